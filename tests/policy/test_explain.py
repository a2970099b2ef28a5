"""AccessDenied messages, in AWS's wording.

https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
https://aws.amazon.com/blogs/security/enhanced-access-denied-error-messages-with-policy-arns
"""

from __future__ import annotations

from typing import Any

import pytest

from sagegate.policy import Decision, PolicySet, Reason, denial_message, evaluate, explain

from ._build import A, B, compiled, request, role_session, user

ALLOW_ALL: list[dict[str, Any]] = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
DENY_ALL: list[dict[str, Any]] = [{"Effect": "Deny", "Action": "*", "Resource": "*"}]
BOB = f"arn:aws:iam::{A}:user/bob"
ALICE = f"arn:aws:iam::{A}:user/alice"
MANAGED = f"arn:aws:iam::{A}:policy/DenyAll"


def message(ps: PolicySet, action: str = "iam:CreateUser", resource: str = ALICE, **kw: Any) -> str:
    r = request(action, resource, kw.pop("principal", user("bob")), **kw)
    d = evaluate(r, ps)
    assert not d.allowed
    return denial_message(r, d)


def test_implicit_deny_identity() -> None:
    # the brief's and AWS's example
    assert message(PolicySet()) == (
        f"User: {BOB} is not authorized to perform: iam:CreateUser on resource: {ALICE} "
        "because no identity-based policy allows the iam:CreateUser action"
    )


def test_no_resource_element_leaves_out_on_resource() -> None:
    # troubleshoot_access-denied: "User: arn:aws:iam::123456789012:user/JohnDoe is not
    # authorized to perform: codecommit:ListRepositories because no identity-based policy
    # allows the codecommit:ListRepositories action"
    assert message(PolicySet(), "codecommit:ListRepositories", "*") == (
        f"User: {BOB} is not authorized to perform: codecommit:ListRepositories "
        "because no identity-based policy allows the codecommit:ListRepositories action"
    )


def test_explicit_deny_identity_names_the_policy() -> None:
    ps = PolicySet(identity=(compiled(ALLOW_ALL, "inline"), compiled(DENY_ALL, MANAGED)))
    assert message(ps) == (
        f"User: {BOB} is not authorized to perform: iam:CreateUser on resource: {ALICE} "
        f"with an explicit deny in an identity-based policy: {MANAGED}"
    )


def test_boundary_messages() -> None:
    narrow = compiled([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}], MANAGED)
    ps = PolicySet(identity=(compiled(ALLOW_ALL, "p"),), boundary=narrow)
    assert message(ps).endswith(
        "on resource: "
        + ALICE
        + " because no permissions boundary allows the iam:CreateUser action"
    )
    ps2 = PolicySet(identity=(compiled(ALLOW_ALL, "p"),), boundary=compiled(DENY_ALL, MANAGED))
    assert message(ps2).endswith(f" with an explicit deny in a permissions boundary: {MANAGED}")


def test_session_messages() -> None:
    narrow = compiled([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}], "session policy")
    ps = PolicySet(identity=(compiled(ALLOW_ALL, "p"),), session=(narrow,))
    m = message(ps, principal=role_session("R", "s"))
    assert m == (
        f"User: arn:aws:sts::{A}:assumed-role/R/s is not authorized to perform: iam:CreateUser "
        f"on resource: {ALICE} because no session policy allows the iam:CreateUser action"
    )
    ps2 = PolicySet(identity=(compiled(ALLOW_ALL, "p"),), session=(compiled(DENY_ALL, MANAGED),))
    assert message(ps2, principal=role_session()).endswith(
        f"with an explicit deny in a session policy: {MANAGED}"
    )


def test_resource_based_messages() -> None:
    res = "arn:aws:s3:::bucket/key"
    deny = compiled(
        [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": res}], "bucket policy"
    )
    ps = PolicySet(identity=(compiled(ALLOW_ALL, "p"),), resource=deny)
    # the resource-based policy is not named
    assert message(ps, "s3:GetObject", res) == (
        f"User: {BOB} is not authorized to perform: s3:GetObject on resource: {res} "
        "with an explicit deny in a resource-based policy"
    )
    cross = user("bob", B)
    assert message(
        PolicySet(identity=(compiled(ALLOW_ALL, "p"),)),
        "s3:GetObject", res, principal=cross, resource_account=A,
    ) == (
        f"User: arn:aws:iam::{B}:user/bob is not authorized to perform: s3:GetObject on resource: "
        f"{res} because no resource-based policy allows the s3:GetObject action"
    )  # fmt: skip


def test_cross_account_explicit_deny_does_not_name_the_policy() -> None:
    # enhanced messages name the policy "only in same-account and same-organization scenarios"
    ps = PolicySet(identity=(compiled(DENY_ALL, MANAGED),))
    m = message(
        ps, "s3:GetObject", "arn:aws:s3:::b/k", principal=user("bob", B), resource_account=A
    )
    assert m.endswith("with an explicit deny in an identity-based policy")


def test_denial_message_of_allowed_decision_is_an_error() -> None:
    r = request("iam:GetUser")
    with pytest.raises(ValueError):
        denial_message(r, Decision(True, "allowed", Reason.IDENTITY_ALLOW))


def test_explain_names_statements() -> None:
    pol = compiled([{"Sid": "Deny1", "Effect": "Deny", "Action": "*", "Resource": "*"}], MANAGED)
    d = evaluate(request("iam:GetUser"), PolicySet(identity=(pol,)))
    text = explain(d)
    assert "explicitDeny" in text and MANAGED in text and "'Deny1'" in text
