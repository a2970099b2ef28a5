"""Instructions per request: `Dispatcher.handle` on `e2e.py`'s signed requests, counted by valgrind.

Run: .venv/bin/python benchmarks/instructions.py [--ops iam:CreateUser+DeleteUser,...]
                                                 [--requests 300] [--base HEAD]

CPU time on this machine moves by 10-40% from one minute to the next; the number of instructions
a request executes does not (it moves by a few percent with the random ids and the B-tree pages
they land on). So a change to the request path can be judged here in a few minutes, before the
side-by-side `compare_builds.py` and the end-to-end `e2e.py` confirm it on the clock.

What it does: starts `sagegate serve` once to give a throwaway data folder `e2e.py`'s setup and
sign 64 requests per workload, stops it, then, per workload and build, runs the requests in
process (no HTTP: `Dispatcher.handle`, the store on a copy of that folder, the clock fixed a minute
after signing) under `valgrind --tool=callgrind` twice, with no requests and with `--requests`
(after two warm-up passes), and prints the difference per request. With `--base REV` the same
runs are made with that git revision's `sagegate` (a throwaway worktree) and the ratio printed.
Needs valgrind (Debian's `valgrind`); each count takes a minute or two. Never part of the tests.
"""

from __future__ import annotations

import argparse
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

ROOT = Path(__file__).resolve().parent.parent
REPLAY = "--replay"
DEFAULT_OPS = "iam:CreateUser+DeleteUser,sagemaker:CreateNotebookInstance+Stop+Delete"


def prepare(folder: Path, workloads: list[Any]) -> None:
    """`folder/data` (the store) and `folder/signed.pkl` (raw requests per workload)."""
    import e2e

    tmp = Path(tempfile.mkdtemp(prefix="sagegate-instr-"))
    target = e2e.start_sagegate(tmp, 1)
    try:
        e2e.setup(target, workloads)
        signed_at = datetime.now(UTC)
        signed = {
            w.name: [
                [s.raw for s in item]
                for item in e2e.signed_items(target, [(w, i) for i in range(e2e.POOL)])
            ]
            for w in workloads
        }
    finally:
        e2e.stop(target)
    shutil.copytree(tmp / "sagegate-data", folder / "data")
    shutil.rmtree(tmp, ignore_errors=True)
    with (folder / "signed.pkl").open("wb") as f:
        pickle.dump({"signed_at": signed_at, "requests": signed}, f)


def replay(folder: Path, op: str, count: int) -> None:
    """In the process valgrind counts: `count` requests of `op` after two warm-up passes."""
    os.environ["SAGEGATE_SAGEMAKER_TRANSITION_SECONDS"] = "0"  # as `e2e.py` serves
    from sagegate.server.dispatch import Dispatcher
    from sagegate.server.settings import Settings
    from sagegate.server.state import open_store

    with (folder / "signed.pkl").open("rb") as f:
        saved = pickle.load(f)
    requests = [_parse(raw) for item in saved["requests"][op] for raw in item]
    now = saved["signed_at"] + timedelta(minutes=1)
    data = Path(tempfile.mkdtemp(prefix="sagegate-instr-run-")) / "data"
    shutil.copytree(folder / "data", data)
    store = open_store(Settings(data_dir=data))
    dispatcher = Dispatcher(store, clock=lambda: now)
    try:
        for i in range(2 * len(requests) + count):
            response = dispatcher.handle(requests[i % len(requests)])
            if response.status >= 300:
                raise SystemExit(f"{op}: {response.status} {response.body[:300]!r}")
    finally:
        store.close()
        shutil.rmtree(data.parent, ignore_errors=True)


def _parse(raw: bytes) -> Any:
    from sagegate.server.dispatch import RawRequest

    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    method, target, _ = lines[0].split(b" ")
    path, _, query = target.partition(b"?")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers.append((name.strip().lower(), value.strip()))
    return RawRequest.from_wire(
        method.decode(), path, query, headers, body, ("127.0.0.1", 1), "http"
    )


def count(tree: Path, folder: Path, op: str, requests: int) -> float:
    """Instructions per request of `op` with the `sagegate` of source tree `tree`."""

    def total(n: int) -> int:
        env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
        cmd += [sys.executable, __file__, REPLAY, str(folder), op, str(n)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True)
        found = re.search(r"Collected : (\d+)", out.stderr)
        if out.returncode != 0 or found is None:
            raise SystemExit(f"valgrind run failed ({out.returncode}):\n{out.stderr[-3000:]}")
        return int(found.group(1))

    return (total(requests) - total(0)) / requests


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == REPLAY:
        replay(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", default=DEFAULT_OPS, help="workload names (see e2e.py), a,b")
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--base", help="a git revision to count too, and compare with")
    args = ap.parse_args()
    import e2e

    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    names = [n.strip() for n in args.ops.split(",")]
    workloads = [w for w in e2e.WORKLOADS if w.name in names]
    if len(workloads) != len(names):
        raise SystemExit(f"unknown workload in {args.ops!r}; see WORKLOADS in e2e.py")
    folder = Path(tempfile.mkdtemp(prefix="sagegate-instr-"))
    trees = {"working tree": ROOT}
    git = ["git", "-C", str(ROOT)]
    if args.base:
        base = folder / "base"
        subprocess.run([*git, "worktree", "add", "--detach", str(base), args.base], check=True)
        trees = {args.base: base, **trees}
    try:
        prepare(folder, workloads)
        for w in workloads:
            counts = {
                label: count(tree, folder, w.name, args.requests) for label, tree in trees.items()
            }
            line = "  ".join(f"{label}: {n:,.0f}" for label, n in counts.items())
            if args.base:
                line += f"  ratio {counts['working tree'] / counts[args.base]:.3f}"
            print(f"{w.name}: instructions/request  {line}", flush=True)
    finally:
        if args.base:
            subprocess.run(
                [*git, "worktree", "remove", "--force", str(folder / "base")], check=False
            )
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
