"""Property and hostile-input tests of `sagegate.policy.parse`.

Whatever the input, `parse` either returns a well-formed `Policy` or raises
`MalformedPolicyDocument`: never RecursionError, ValueError, KeyError or anything else. Inputs
are bounded in size so every example is cheap; no timing is asserted (see benchmarks/).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sagegate.policy.ast import Policy, PolicyKind
from sagegate.policy.errors import MalformedPolicyDocument
from sagegate.policy.limits import MAX_DOCUMENT_CHARS, size_without_whitespace
from sagegate.policy.parse import parse

KINDS = list(PolicyKind)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(document: Any, kind: PolicyKind = PolicyKind.IDENTITY, **kw: Any) -> Policy | None:
    """Parse; only MalformedPolicyDocument may escape, and a result must be well formed."""
    try:
        policy = parse(document, kind, **kw)
    except MalformedPolicyDocument as err:
        assert isinstance(err.message, str) and err.message
        assert str(err) == err.message
        assert isinstance(err.path, str)
        return None
    assert isinstance(policy, Policy)
    assert policy.kind is kind
    assert policy.source_size == size_without_whitespace(document)
    assert policy.statements
    for i, s in enumerate(policy.statements):
        assert s.index == i
        assert s.effect in ("Allow", "Deny")
        assert (s.actions is None) != (s.not_actions is None)
        assert s.actions or s.not_actions
        if kind is PolicyKind.TRUST:
            assert s.resources is None and s.not_resources is None
            assert s.principal is not None and s.not_principal is None
        else:
            assert (s.resources is None) != (s.not_resources is None)
            assert s.resources or s.not_resources
        if kind in (PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION, PolicyKind.SCP):
            assert s.principal is None and s.not_principal is None
        if kind is PolicyKind.RESOURCE:
            assert (s.principal is None) != (s.not_principal is None)
            assert s.not_principal is None or s.effect == "Deny"
        for group in (s.actions, s.not_actions, s.resources, s.not_resources):
            assert all(type(v) is str for v in group or ())
        for clause in s.conditions:
            assert all(type(v) is str for v in clause.values)
            assert clause.path.startswith(s.path + ".Condition.")
    return policy


# --- random JSON and random text ------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=40,
)


@FUZZ
@given(json_values, st.sampled_from(KINDS))
def test_random_json(value: Any, kind: PolicyKind) -> None:
    check(json.dumps(value), kind)
    check(json.dumps(value, ensure_ascii=False), kind)


@FUZZ
@given(st.text(max_size=300), st.sampled_from(KINDS))
def test_random_text(text: str, kind: PolicyKind) -> None:
    check(text, kind)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_as_latin1(data: bytes) -> None:
    check(data.decode("latin-1"))


# --- random documents shaped like policies --------------------------------------------------

INTERESTING = [
    "*", "", "Allow", "Deny", "allow", "DENY", "s3:GetObject", "s3:*", "s3:Get*Object", "iam:",
    ":x", "a:b:c", "sts:AssumeRole", "sts:*", "sts:TagSession", "arn:aws:s3:::bucket/*",
    "arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:role/R", "arn:aws:iam:::x",
    "arn:aws:s3::b", "arn:aws::::", "arn:aws", "arn:xx:s3:::b", "arn:aws:s3:us-east-1::b",
    "111122223333", "sagemaker.amazonaws.com", "accounts.google.com", "${aws:username}",
    "2020-01-01T00:00:00Z", "1563278400", "-1", "2016-12-13t2:00:00.5+23", "Sid1", "a b",
    "2012-10-17", "2008-10-17",
]  # fmt: skip
OPERATORS = [
    "StringEquals", "StringLikeIfExists", "ForAnyValue:StringLike", "ForAllValues:ArnLike",
    "DateGreaterThan", "DateLessThanEqualsIfExists", "NumericLessThan", "Bool", "Null",
    "NullIfExists", "IpAddress", "BinaryEquals", "stringequals", "Bogus", "ForAnyValue:",
]  # fmt: skip

strings = st.sampled_from(INTERESTING) | st.text(max_size=20)
scalars = strings | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.none()
string_or_list = strings | st.lists(strings, max_size=4) | scalars | st.lists(scalars, max_size=3)
principal = (
    st.sampled_from(["*", "x"])
    | st.dictionaries(
        st.sampled_from(["AWS", "Service", "Federated", "CanonicalUser", "aws", "Other"]),
        string_or_list,
        max_size=3,
    )
    | scalars
)
condition = st.dictionaries(
    st.sampled_from(OPERATORS) | st.text(max_size=10),
    st.dictionaries(
        strings, string_or_list | st.lists(st.lists(strings, max_size=2), max_size=2), max_size=3
    )
    | scalars,
    max_size=3,
)
ELEMENT_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "Sid": strings | scalars,
    "Effect": st.sampled_from(["Allow", "Deny", "allow", "x"]) | scalars,
    "Principal": principal,
    "NotPrincipal": principal,
    "Action": string_or_list,
    "NotAction": string_or_list,
    "Resource": string_or_list,
    "NotResource": string_or_list,
    "Condition": condition | scalars,
    "Bogus": scalars,
}


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(sorted(ELEMENT_VALUES)), max_size=6, unique=True))
    # bias towards statements that get past the first checks
    body: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    if draw(st.booleans()):
        body["Action"] = draw(ELEMENT_VALUES["Action"])
    for name in names:
        body[name] = draw(ELEMENT_VALUES[name])
    return body


documents = st.fixed_dictionaries(
    {"Statement": st.lists(statements(), min_size=1, max_size=4) | statements()},
    optional={
        "Version": st.sampled_from(["2012-10-17", "2008-10-17", "2012-10-18"]) | scalars,
        "Id": strings | scalars,
        "Extra": scalars,
    },
)


@FUZZ
@given(documents, st.sampled_from(KINDS), st.booleans())
def test_policy_shaped_documents(body: dict[str, Any], kind: PolicyKind, strict: bool) -> None:
    text = json.dumps(body)
    first = check(text, kind, require_version_2012=strict)
    # white space is not meaning: the indented form gives the same answer
    second = check(json.dumps(body, indent=2), kind, require_version_2012=strict)
    assert first == second


EXAMPLE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Jobs",
                "Effect": "Allow",
                "Action": ["sagemaker:CreateTrainingJob", "sagemaker:Describe*"],
                "Resource": "arn:aws:sagemaker:*:111122223333:training-job/${aws:username}-*",
                "Condition": {
                    "ForAllValues:StringLike": {"sagemaker:InstanceTypes": ["ml.c5.*"]},
                    "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"},
                    "NumericLessThan": {"sagemaker:MaxRuntimeInSeconds": 3600},
                },
            },
            {"Effect": "Deny", "NotAction": "iam:*", "NotResource": "*"},
        ],
    }
)


@FUZZ
@given(
    st.lists(
        st.tuples(st.integers(0, len(EXAMPLE)), st.integers(0, 3), st.text(max_size=3)),
        min_size=1,
        max_size=5,
    )
)
def test_mutated_example(edits: list[tuple[int, int, str]]) -> None:
    text = EXAMPLE
    for at, cut, insert in edits:
        at = min(at, len(text))
        text = text[:at] + insert + text[at + cut :]
    check(text)
    check(text, PolicyKind.RESOURCE)


# --- hostile inputs -------------------------------------------------------------------------


def _statement(**extra: Any) -> str:
    return json.dumps({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", **extra})


HOSTILE: list[tuple[str, str]] = [
    ("deep-arrays", "[" * 100_000 + "]" * 100_000),
    ("deep-arrays-unclosed", "[" * 200_000),
    ("deep-arrays-under-cap", "[" * 60_000 + "]" * 60_000),
    ("deep-objects-under-cap", '{"a":' * 20_000 + "1" + "}" * 20_000),
    ("deep-objects", '{"a":' * 50_000 + "1" + "}" * 50_000),
    ("deep-statement", '{"Statement":' * 30_000 + "{}" + "}" * 30_000),
    ("deep-condition-value", '{"Statement":{"Effect":"Allow","Action":"*","Resource":"*",'
     '"Condition":{"StringEquals":{"k":' + "[" * 5000 + "]" * 5000 + "}}}}"),
    ("string-1mb", json.dumps({"Statement": "x" * 1_000_000})),
    ("whitespace-1mb", " " * 1_000_000),
    ("list-100k", json.dumps({"Statement": {"Effect": "Allow", "Action": ["s3:a"] * 100_000, "Resource": "*"}})),
    ("numbers-100k", "[" + ",".join(["1"] * 100_000) + "]"),
    ("infinity", '{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"k":Infinity}}}}'),
    ("many-duplicate-keys", "{" + ",".join(['"Version":"2012-10-17"'] * 10_000) + "}"),
    ("lone-surrogate-escape", '{"Statement":' + _statement(Sid="X").replace('"X"', '"\\ud800"') + "}"),
    ("nul-escape", '{"Statement":' + _statement(Sid="X").replace('"X"', '"\\u0000"') + "}"),
    ("non-latin1-escape", '{"Statement":' + _statement(Sid="\u20ac") + "}"),
    ("non-latin1-raw", '{"Statement":' + _statement(Sid="X").replace('"X"', '"\u20ac"') + "}"),
    ("null-byte", "\x00" * 1000),
]  # fmt: skip


@pytest.mark.parametrize(("document",), [pytest.param(d, id=i) for i, d in HOSTILE])
@pytest.mark.parametrize("kind", KINDS)
def test_hostile_rejected(document: str, kind: PolicyKind) -> None:
    with pytest.raises(MalformedPolicyDocument):
        parse(document, kind)
    # with the size quota lifted they reach the API-length cap or the JSON decoder: still clean
    with pytest.raises(MalformedPolicyDocument):
        parse(document, kind, max_size=10**9)


def test_huge_number_is_kept_as_text() -> None:
    digits = "9" * 10_000
    text = (
        '{"Statement":{"Effect":"Allow","Action":"*","Resource":"*",'
        '"Condition":{"NumericEquals":{"k":' + digits + "}}}}"
    )
    policy = check(text)
    assert policy is not None
    assert policy.statements[0].conditions[0].values == (digits,)
    with pytest.raises(MalformedPolicyDocument):  # over the trust-policy quota
        parse(text, PolicyKind.TRUST)
    # an out-of-range exponent is text too: Numeric* operators judge it when they compile
    text = text.replace(digits, "1e999999")
    assert check(text).statements[0].conditions[0].values == ("1e999999",)  # type: ignore[union-attr]


def _wide(count: int, pattern: str) -> str:
    return json.dumps(
        {"Statement": {"Effect": "Allow", "Action": [pattern] * count, "Resource": "*"}}
    )


def test_large_valid_lists_parse_within_the_api_limit() -> None:
    text = _wide(10_000, "s3:Get*")
    assert len(text) < MAX_DOCUMENT_CHARS
    policy = check(text, max_size=MAX_DOCUMENT_CHARS)
    assert policy is not None and len(policy.statements[0].actions or ()) == 10_000
    with pytest.raises(MalformedPolicyDocument):  # over the identity quota by default
        parse(text)


BACKTRACKING_TRAPS = [
    # a trust-policy action built to blow up a naive glob matcher
    json.dumps({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:" + "*a" * 3000 + "b"}}),
    # a date value with a very long run of digits
    json.dumps({"Statement": json.loads(_statement(Condition={"DateEquals": {"k": "1" * 8000}}))}),
    json.dumps({"Statement": json.loads(_statement(Condition={"DateEquals": {"k": "2020-" + "1" * 8000}}))}),
    # principals that nearly match the principal patterns
    json.dumps({"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/" + "a/" * 3000 + "*"}, "Action": "sts:AssumeRole"}}),
    json.dumps({"Statement": {"Effect": "Allow", "Principal": {"Service": "a." * 3000 + "."}, "Action": "sts:AssumeRole"}}),
    json.dumps({"Statement": {"Effect": "Allow", "Principal": {"Federated": "a-" * 3000 + "!"}, "Action": "sts:AssumeRole"}}),
    # resources with many colons
    json.dumps({"Statement": json.loads(_statement(Resource=":" * 9000))}),
    json.dumps({"Statement": json.loads(_statement(Resource="a:" + "b" * 9000))}),
]  # fmt: skip


@pytest.mark.parametrize("document", BACKTRACKING_TRAPS)
def test_backtracking_traps_are_linear(document: str) -> None:
    check(document, PolicyKind.TRUST, max_size=MAX_DOCUMENT_CHARS)
    check(document, PolicyKind.IDENTITY, max_size=MAX_DOCUMENT_CHARS)
