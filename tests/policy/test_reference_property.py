"""The compiled evaluator agrees with the literal reference evaluator (tests/policy/reference.py)
on generated policies and requests: same effect, same reason, same explicitly denying
statements, and every statement named for an allow is one the reference found applicable."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sagegate.policy import (
    ConditionClause,
    Context,
    Policy,
    PolicyKind,
    PolicySet,
    Principal,
    PrincipalInfo,
    Request,
    Statement,
    compile_policy,
    evaluate,
)

from .reference import reference_evaluate

A = "111122223333"
B = "444455556666"

ACTIONS = ["iam:CreateUser", "iam:GetUser", "iam:ListUsers", "s3:GetObject", "s3:PutObject",
           "sagemaker:CreateModel", "sts:AssumeRole"]  # fmt: skip
ACTION_PATTERNS = ACTIONS + ["*", "iam:*", "iam:Get*", "iam:*User", "iam:*User*", "s3:?etObject",
                             "IAM:getuser", "sagemaker:*", "s3:*Object", "*:GetUser", "iam:List?sers"]  # fmt: skip
RESOURCES = [f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:user/bob",
             "arn:aws:s3:::b/k", "arn:aws:s3:::b/ml/x", "arn:aws:s3:::b/*?$", "*",
             f"arn:aws:iam::{A}:role/R", f"arn:aws:iam::{B}:user/alice"]  # fmt: skip
RESOURCE_PATTERNS = RESOURCES + [
    f"arn:aws:iam::{A}:user/*", "arn:aws:s3:::b/*", "arn:aws:iam::*:user/${aws:username}",
    "arn:aws:s3:::b/${aws:PrincipalTag/team, 'k'}", "arn:aws:s3:::b/${aws:PrincipalTag/team}/*",
    f"arn:aws:iam::{A}:user/a?ice", "arn:aws:s3:::b/${*}${?}${$}", "arn:aws:*", "arn:aws:s3:::B/*",
    "arn:aws:s3:::b/${aws:TagKeys}",
]  # fmt: skip
OPERATORS = [
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan",
    "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals",
    "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
    "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals",
    "ArnLike", "ArnNotEquals", "ArnNotLike", "Null", "Bogus",
]  # fmt: skip
KEYS = ["aws:username", "k:str", "k:num", "k:multi", "aws:SourceIp", "aws:CurrentTime",
        "aws:PrincipalTag/team", "aws:TagKeys", "k:arn", "k:bool", "K:STR"]  # fmt: skip
VALUES = ["alice", "Alice", "a*", "${aws:username}", "x-${aws:PrincipalTag/team, 'd'}", "*",
          "10", "9.5", "abc", "2020-01-01T00:00:00Z", "1577836800", "2021-06-01", "true",
          "false", "10.0.0.0/8", "2001:db8::/32", "192.168.1.1", "arn:aws:iam::*:user/*",
          f"arn:aws:iam::{A}:user/${{aws:username}}", "QUJD", "ml", "d", "${*}", ""]  # fmt: skip
CTX_VALUES: list[Any] = ["alice", "ALICE", "a-b", "10", "11", "9.5", "ten",
                         "2020-01-01T00:00:00Z", "2019-05-05T10:00:00Z", "true", "false",
                         "10.1.2.3", "192.168.1.1", "2001:db8::1", f"arn:aws:iam::{A}:user/alice",
                         "QUJD", "ml", "", ("ml", "x"), ("a", "alice"), (), ("10", "5"), "*",
                         "a*", "x-d", "1577836800", "TRUE", ("10.1.1.1", "8.8.8.8"), ("",)]  # fmt: skip

PRINCIPALS = [
    PrincipalInfo(f"arn:aws:iam::{A}:user/alice", A, "User", "AIDAALICE", "alice"),
    PrincipalInfo(f"arn:aws:iam::{B}:user/alice", B, "User", "AIDAALICEB", "alice"),
    PrincipalInfo(f"arn:aws:sts::{A}:assumed-role/R/s", A, "AssumedRole", "AROAR:s",
                  role_arn=f"arn:aws:iam::{A}:role/R"),
    PrincipalInfo(f"arn:aws:iam::{A}:root", A, "Account", A, is_root=True),
    PrincipalInfo(f"arn:aws:iam::{B}:root", B, "Account", B, is_root=True),
    PrincipalInfo("sagemaker.amazonaws.com", "", "Service", "sagemaker.amazonaws.com"),
    PrincipalInfo(f"arn:aws:sts::{A}:federated-user/fed", A, "FederatedUser", f"{A}:fed",
                  role_arn=f"arn:aws:iam::{A}:user/alice"),
]  # fmt: skip
PRINCIPAL_ENTRIES = [("AWS", "*"), ("AWS", A), ("AWS", B), ("AWS", f"arn:aws:iam::{A}:root"),
                     ("AWS", f"arn:aws:iam::{B}:root"), ("AWS", f"arn:aws:iam::{A}:user/alice"),
                     ("AWS", f"arn:aws:iam::{B}:user/alice"), ("AWS", f"arn:aws:iam::{A}:role/R"),
                     ("AWS", f"arn:aws:sts::{A}:assumed-role/R/s"),
                     ("AWS", f"arn:aws:sts::{A}:federated-user/fed"),
                     ("Service", "sagemaker.amazonaws.com"), ("Service", "glue.amazonaws.com")]  # fmt: skip


@st.composite
def operators(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from(OPERATORS))
    qual = draw(st.sampled_from(["", "", "", "ForAllValues:", "ForAnyValue:"]))
    suffix = draw(st.sampled_from(["", "", "IfExists"]))
    return qual + base + suffix


FAMILY_VALUES = {
    "String": ["alice", "Alice", "a*", "${aws:username}", "x-${aws:PrincipalTag/team, 'd'}", "*",
               "ml", "${*}", "", "a?ice", "ALICE", "${aws:TagKeys, 'ml'}"],
    "Numeric": ["10", "9.5", "abc", "-1", "1e1", "11"],
    "Date": ["2020-01-01T00:00:00Z", "1577836800", "2021-06-01", "bad", "2019-05-05T10:00Z"],
    "Bool": ["true", "false", "TRUE", "maybe"],
    "Binary": ["QUJD", "QUJE", "!!"],
    "IpAddress": ["10.0.0.0/8", "2001:db8::/32", "192.168.1.1", "bad", "0.0.0.0/0"],
    "NotIpAddress": ["10.0.0.0/8", "2001:db8::/32", "192.168.1.1", "bad", "0.0.0.0/0"],
    "Arn": ["arn:aws:iam::*:user/*", f"arn:aws:iam::{A}:user/${{aws:username}}",
            "arn:aws:*:*:*:*", "nope", f"arn:aws:iam::{A}:user/alice"],
    "Null": ["true", "false", "True"],
}  # fmt: skip


@st.composite
def conditions(draw: st.DrawFn) -> ConditionClause:
    op = draw(operators())
    base = op.split(":")[-1]
    pool = next((v for k, v in FAMILY_VALUES.items() if base.startswith(k)), VALUES)
    values = st.one_of(st.sampled_from(pool), st.sampled_from(pool), st.sampled_from(VALUES))
    key = draw(st.sampled_from([*KEYS, "k:absent", "aws:TokenIssueTime"]))
    return ConditionClause(op, key, tuple(draw(st.lists(values, min_size=1, max_size=3))))


@st.composite
def statements(draw: st.DrawFn, index: int, resource_policy: bool, req: Request) -> Statement:
    # biased towards the request so that statements often apply and conditions decide
    action_pool = st.one_of(st.sampled_from(ACTION_PATTERNS), st.sampled_from([req.action, "*"]))
    resource_pool = st.one_of(
        st.sampled_from(RESOURCE_PATTERNS), st.sampled_from([req.resource, "*"])
    )
    not_action = draw(st.integers(0, 5)) == 0
    acts = tuple(draw(st.lists(action_pool, min_size=1, max_size=3)))
    not_res = draw(st.integers(0, 5)) == 0
    res = tuple(draw(st.lists(resource_pool, min_size=1, max_size=3)))
    principal = not_principal = None
    if resource_policy:
        entry_pool = st.one_of(
            st.sampled_from(PRINCIPAL_ENTRIES),
            st.sampled_from(
                [("AWS", req.principal.arn), ("AWS", req.principal.role_arn or "*"), ("AWS", "*")]
            ),
        )
        pr = Principal(entries=tuple(draw(st.lists(entry_pool, min_size=1, max_size=3))))
        if draw(st.integers(0, 4)) == 0:
            not_principal = pr
        else:
            principal = pr
    return Statement(
        index=index,
        effect=draw(st.sampled_from(["Allow", "Allow", "Allow", "Allow", "Deny"])),
        sid=f"S{index}",
        principal=principal,
        not_principal=not_principal,
        actions=None if not_action else acts,
        not_actions=acts if not_action else None,
        resources=None if not_res else res,
        not_resources=res if not_res else None,
        conditions=tuple(draw(st.lists(conditions(), max_size=2))) if draw(st.booleans()) else (),
    )


@st.composite
def policies(draw: st.DrawFn, req: Request, resource_policy: bool = False) -> Policy:
    n = draw(st.integers(1, 4))
    sts = tuple(draw(statements(i, resource_policy, req)) for i in range(n))
    version = draw(st.sampled_from(["2012-10-17", "2012-10-17", None, "2008-10-17"]))
    return Policy(
        sts, version, kind=PolicyKind.RESOURCE if resource_policy else PolicyKind.IDENTITY
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Request, list[tuple[str, Policy]], Any, Any, Any]:
    principal = draw(st.sampled_from(PRINCIPALS + PRINCIPALS[:3] * 2))
    ctx: dict[str, Any] = {}
    for key in KEYS:
        if draw(st.integers(0, 3)) > 0:
            ctx[key] = draw(st.sampled_from(CTX_VALUES))
    if principal.username and draw(st.booleans()):
        ctx["aws:username"] = principal.username
    req = Request(
        action=draw(st.sampled_from(ACTIONS + ["IAM:GETUSER"])),
        resource=draw(st.sampled_from(RESOURCES)),
        principal=principal,
        context=Context.build(ctx),
        resource_account=draw(st.sampled_from([None, A, B])),
    )
    identity = [(f"id{i}", draw(policies(req))) for i in range(draw(st.integers(0, 3)))]
    boundary = ("boundary", draw(policies(req))) if draw(st.booleans()) else None
    session_kind = draw(st.integers(0, 3))
    session = (
        None
        if session_kind < 2
        else [(f"sess{i}", draw(policies(req))) for i in range(session_kind - 2 + 1)]
    )
    if session_kind == 1 and draw(st.booleans()):
        session = []
    resource = (
        ("resource", draw(policies(req, resource_policy=True))) if draw(st.booleans()) else None
    )
    return req, identity, boundary, session, resource


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_compiled_evaluator_matches_reference(
    scenario: tuple[Request, list[tuple[str, Policy]], Any, Any, Any],
) -> None:
    req, identity, boundary, session, resource = scenario
    ps = PolicySet(
        identity=tuple(compile_policy(p, pid) for pid, p in identity),
        boundary=None if boundary is None else compile_policy(boundary[1], boundary[0]),
        session=None if session is None else tuple(compile_policy(p, pid) for pid, p in session),
        resource=None if resource is None else compile_policy(resource[1], resource[0]),
    )
    fast = evaluate(req, ps)
    ref = reference_evaluate(req, identity, boundary, session, resource)
    assert (fast.effect, fast.reason.name) == (ref.effect, ref.reason)
    if fast.effect == "explicitDeny":
        assert {(m.policy_id, m.index) for m in fast.matched} == ref.denies
    for m in fast.matched:
        if m.effect == "Allow":
            assert (m.policy_id, m.index) in ref.allows[m.layer]


@settings(max_examples=3000, deadline=None)
@given(
    clause=conditions(),
    ctx=st.dictionaries(
        st.sampled_from([*KEYS, "aws:TokenIssueTime"]), st.sampled_from(CTX_VALUES), max_size=6
    ),
    variables=st.booleans(),
)
def test_each_condition_matches_reference(
    clause: ConditionClause, ctx: dict[str, Any], variables: bool
) -> None:
    from sagegate.policy import compile_condition

    from .reference import condition_true

    context = Context.build(ctx)
    fast = compile_condition(clause, variables).evaluate(context, [], [])
    assert fast is condition_true(clause, dict(context.entries), variables)
