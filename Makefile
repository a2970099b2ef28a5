# sagegate: `make run` and `make test` do everything on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/sagegate serve --data-dir .sagegate --port 4747

# Unit, protocol, policy, store and end-to-end tests; store and e2e tests also run on PostgreSQL
# when SAGEGATE_TEST_POSTGRES_URL is set (scripts/test.sh starts a throwaway cluster for that).
test: $(STAMP)
	PY=$(PY) bash scripts/test.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check sagegate tests benchmarks
	$(VENV)/bin/lint-imports
	$(PY) -m mypy --strict sagegate/policy sagegate/sigv4

bench: $(STAMP)
	$(PY) benchmarks/policy.py
	$(PY) benchmarks/e2e.py

clean:
	rm -rf $(VENV) .sagegate
