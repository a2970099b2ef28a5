"""Compiled policies are immutable values; the request context is a case-insensitive mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sagegate.policy import (
    Context,
    PolicyKind,
    PolicySet,
    Reason,
    compile_policy,
    evaluate,
    parse,
    principal_context,
)
from sagegate.policy.ast import Principal
from sagegate.policy.compile import compile_principal

from ._build import A, B, compiled, policy, request, role_session, root, user

DOC: list[dict[str, Any]] = [
    {"Sid": "A", "Effect": "Allow", "Action": ["iam:Get*", "s3:*"], "Resource": "*",
     "Condition": {"StringLike": {"aws:PrincipalTag/team": "${aws:username}-*"}}},
    {"Sid": "D", "Effect": "Deny", "Action": "iam:GetUser",
     "Resource": "arn:aws:iam::111122223333:user/${aws:username}"},
]  # fmt: skip


def test_compiled_policy_is_hashable_and_comparable() -> None:
    a = compile_policy(policy(DOC), "p")
    b = compile_policy(policy(DOC), "p")
    assert a == b and hash(a) == hash(b)
    assert a != compile_policy(policy(DOC), "q")
    ps = PolicySet(identity=(a,))
    assert hash(ps) == hash(PolicySet(identity=(b,)))
    with pytest.raises(AttributeError):
        a.policy_id = "x"  # type: ignore[misc]


def test_candidate_index_by_action() -> None:
    pol = compile_policy(policy(DOC), "p")
    denies, allows = pol.candidates("iam:getuser")
    assert [s.sid for s in denies] == ["D"] and [s.sid for s in allows] == ["A"]
    assert pol.candidates("iam:createuser") == ((), ())
    assert pol.candidates("s3:getobject")[1][0].sid == "A"


def test_evaluate_from_parsed_json() -> None:
    doc = """{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:*AccessKey*",
         "Resource": "arn:aws:iam::111122223333:user/${aws:username}"}]}"""
    ps = PolicySet(identity=(compile_policy(parse(doc, PolicyKind.IDENTITY), "p"),))
    assert evaluate(request("iam:CreateAccessKey", f"arn:aws:iam::{A}:user/alice"), ps).allowed
    assert not evaluate(request("iam:CreateAccessKey", f"arn:aws:iam::{A}:user/bob"), ps).allowed


def test_context_is_case_insensitive_and_typed() -> None:
    ctx = Context.build(
        {"AWS:UserName": "alice", "aws:TagKeys": ["a", "b"], "aws:SecureTransport": True,
         "s3:max-keys": 10, "aws:CurrentTime": datetime(2020, 1, 1, tzinfo=UTC)}
    )  # fmt: skip
    assert ctx["aws:username"] == "alice" and "AWS:USERNAME" in ctx
    assert ctx["aws:tagkeys"] == ("a", "b")
    assert ctx["aws:securetransport"] == "true"
    assert ctx["s3:max-keys"] == "10"
    assert ctx["aws:currenttime"] == "2020-01-01T00:00:00Z"
    assert len(ctx) == 5 and ctx.lookup("aws:username") == "alice"
    assert ctx.with_values({"aws:username": "bob"})["aws:username"] == "bob"


def test_principal_context_follows_the_principal_key_table() -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable
    now = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
    u = principal_context(user(), now=now, source_ip="10.0.0.1", principal_tags={"team": "ml"})
    assert u["aws:username"] == "alice" and u["aws:PrincipalType"] == "User"
    assert u["aws:PrincipalTag/team"] == "ml" and u["aws:SourceIp"] == "10.0.0.1"
    assert u["aws:CurrentTime"] == "2026-11-27T21:00:00Z"
    r = principal_context(role_session(), now=now)
    assert "aws:username" not in r and r["aws:PrincipalType"] == "AssumedRole"
    assert r["aws:PrincipalArn"] == f"arn:aws:iam::{A}:role/R"
    assert principal_context(root(), now=now)["aws:PrincipalType"] == "Account"


def test_principal_element_matching() -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
    m = compile_principal(
        Principal(entries=(("AWS", A), ("AWS", f"arn:aws:iam::{B}:role/R"),
                           ("Service", "SageMaker.amazonaws.com")))
    )  # fmt: skip
    assert m.match(user()) == "account"
    assert m.match(role_session(account=B)) == "role"
    assert m.match(user(account=B)) is None
    assert m.match(root()) == "account"
    assert compile_principal(Principal(wildcard=True)).match(user(account=B)) == "direct"


def test_same_account_trust_policy_naming_the_user() -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    # (a resource-based policy — here a role trust policy — that names the IAM user grants
    # access within the account without an identity-based allow); naming the account does not.
    role = f"arn:aws:iam::{A}:role/R"
    by_user = compiled(
        [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:user/alice"},
          "Action": "sts:AssumeRole"}], "trust", kind=PolicyKind.TRUST,
    )  # fmt: skip
    by_account = compiled(
        [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
          "Action": "sts:AssumeRole"}], "trust", kind=PolicyKind.TRUST,
    )  # fmt: skip
    assert evaluate(request("sts:AssumeRole", role), PolicySet(resource=by_user)).allowed
    d = evaluate(request("sts:AssumeRole", role), PolicySet(resource=by_account))
    assert d.reason is Reason.NO_IDENTITY_ALLOW
    allow = compiled([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role}])
    assert evaluate(
        request("sts:AssumeRole", role), PolicySet((allow,), resource=by_account)
    ).allowed
    # cross-account: both the caller's identity policy and the trust policy must allow
    other = request("sts:AssumeRole", role, user("alice", B), resource_account=A)
    trust_b = compiled(
        [{"Effect": "Allow", "Principal": {"AWS": B}, "Action": "sts:AssumeRole"}], "trust"
    )
    assert evaluate(other, PolicySet(resource=trust_b)).reason is Reason.NO_IDENTITY_ALLOW
    assert evaluate(other, PolicySet((allow,), resource=trust_b)).allowed


def test_attaching_a_resource_policy_never_reuses_a_stale_index() -> None:
    import dataclasses

    base = PolicySet(
        identity=(compiled([{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]),)
    )
    res = "arn:aws:s3:::b/k"
    grant = compiled(
        [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": res}], "rp1"
    )
    deny = compiled(
        [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": res}], "rp2"
    )
    r = request("s3:GetObject", res)
    assert evaluate(r, base.with_resource(grant)).allowed
    assert evaluate(r, base.with_resource(deny)).reason is Reason.EXPLICIT_DENY_RESOURCE
    assert evaluate(r, dataclasses.replace(base, resource=grant)).allowed
    assert evaluate(r, dataclasses.replace(base.with_resource(grant), resource=deny)).effect == (
        "explicitDeny"
    )
    assert evaluate(r, base).reason is Reason.NO_IDENTITY_ALLOW
    shared = base.with_resource(grant)
    assert shared.plan("s3:getobject") is base.plan("s3:getobject")
