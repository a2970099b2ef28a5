"""The evaluator's truth table, case by case, from AWS's documentation (each case cites its page)."""

from __future__ import annotations

from typing import Any

import pytest

from sagegate.policy import PolicyKind, PolicySet, Reason, evaluate

from ._build import A, B, compiled, request, role_session, root, user

EVAL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
ALLOW_ALL: list[dict[str, Any]] = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
DENY_ALL: list[dict[str, Any]] = [{"Effect": "Deny", "Action": "*", "Resource": "*"}]
S3_RES = "arn:aws:s3:::bucket/key"


def ident(*docs: Any) -> tuple[Any, ...]:
    return tuple(compiled(d, f"arn:aws:iam::{A}:policy/P{i}") for i, d in enumerate(docs))


def resource_policy(principal: Any, effect: str = "Allow", action: str = "s3:GetObject") -> Any:
    return compiled(
        [{"Effect": effect, "Principal": principal, "Action": action, "Resource": S3_RES}],
        "bucket policy",
    )


# --- identity-based policies only ------------------------------------------------------------


def test_default_is_implicit_deny() -> None:
    # EVAL: "By default, all requests are implicitly denied"
    d = evaluate(request("iam:CreateUser"), PolicySet())
    assert (d.allowed, d.effect, d.reason) == (False, "implicitDeny", Reason.NO_IDENTITY_ALLOW)


def test_identity_allow() -> None:
    d = evaluate(request("iam:CreateUser"), PolicySet(identity=ident(ALLOW_ALL)))
    assert d.allowed and d.effect == "allowed" and d.reason is Reason.IDENTITY_ALLOW
    assert [(m.policy_id, m.index) for m in d.matched] == [(f"arn:aws:iam::{A}:policy/P0", 0)]


def test_explicit_deny_overrides_allow() -> None:
    # EVAL: "An explicit deny in any policy overrides any allows"
    d = evaluate(request("iam:CreateUser"), PolicySet(identity=ident(ALLOW_ALL, DENY_ALL)))
    assert (d.allowed, d.effect, d.reason) == (False, "explicitDeny", Reason.EXPLICIT_DENY_IDENTITY)
    assert d.matched[0].policy_id == f"arn:aws:iam::{A}:policy/P1"
    assert d.matched[0].effect == "Deny"


@pytest.mark.parametrize(
    ("stmt", "action", "resource", "allowed"),
    [
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
        ({"Action": "iam:*", "Resource": "*"}, "iam:CreateUser", "*", True),
        ({"Action": "IAM:createuser", "Resource": "*"}, "iam:CreateUser", "*", True),
        ({"Action": "iam:*User*", "Resource": "*"}, "iam:DeleteUserPolicy", "*", True),
        ({"Action": "iam:Get?ser", "Resource": "*"}, "iam:GetUser", "*", True),
        ({"Action": "iam:Get?ser", "Resource": "*"}, "iam:GetUsers", "*", False),
        ({"Action": "s3:*", "Resource": "*"}, "iam:CreateUser", "*", False),
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
        ({"NotAction": "iam:*", "Resource": "*"}, "s3:GetObject", "*", True),
        ({"NotAction": "iam:*", "Resource": "*"}, "iam:CreateUser", "*", False),
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
        ({"Action": "*", "Resource": "arn:aws:iam::111122223333:user/*"}, "iam:GetUser",
         "arn:aws:iam::111122223333:user/alice", True),
        ({"Action": "*", "Resource": "arn:aws:iam::111122223333:user/*"}, "iam:GetUser",
         "arn:aws:iam::111122223333:USER/alice", False),  # resource ARNs are case-sensitive
        ({"Action": "*", "Resource": "arn:aws:iam::*"}, "iam:GetUser",
         "arn:aws:iam::111122223333:user/alice", True),  # * spans ':'
        ({"Action": "*", "Resource": "arn:aws:iam::111122223333:user/al?ce"}, "iam:GetUser",
         "arn:aws:iam::111122223333:user/alice", True),
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
        ({"Action": "*", "NotResource": "arn:aws:s3:::hrbucket/*"}, "s3:GetObject",
         "arn:aws:s3:::hrbucket/file", False),
        ({"Action": "*", "NotResource": "arn:aws:s3:::hrbucket/*"}, "s3:GetObject",
         "arn:aws:s3:::other/file", True),
    ],
)  # fmt: skip
def test_action_and_resource_matching(
    stmt: dict[str, Any], action: str, resource: str, allowed: bool
) -> None:
    doc = [{"Effect": "Allow", **stmt}]
    assert evaluate(request(action, resource), PolicySet(identity=ident(doc))).allowed is allowed


def test_deny_with_notaction_denies_everything_else() -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
    # "Deny all except IAM" pattern
    pol = ident(ALLOW_ALL, [{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}])
    assert evaluate(request("iam:ListUsers"), PolicySet(identity=pol)).allowed
    d = evaluate(request("s3:ListBuckets"), PolicySet(identity=pol))
    assert d.reason is Reason.EXPLICIT_DENY_IDENTITY


# --- root ------------------------------------------------------------------------------------


def test_root_allowed_in_own_account_regardless_of_identity_policies() -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html (root has full access)
    d = evaluate(request("iam:CreateUser", principal=root()), PolicySet(identity=ident(DENY_ALL)))
    assert d.allowed and d.reason is Reason.ROOT


def test_root_denied_by_resource_policy_explicit_deny() -> None:
    # EVAL: an explicit deny in a resource-based policy applies to every principal it names.
    rp = resource_policy({"AWS": f"arn:aws:iam::{A}:root"}, "Deny")
    d = evaluate(request("s3:GetObject", S3_RES, root()), PolicySet(resource=rp))
    assert d.reason is Reason.EXPLICIT_DENY_RESOURCE


def test_root_cross_account_needs_resource_policy() -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
    r = request("s3:GetObject", S3_RES, root(B), resource_account=A)
    assert evaluate(r, PolicySet()).reason is Reason.NO_RESOURCE_ALLOW
    rp = resource_policy({"AWS": B})
    assert evaluate(r, PolicySet(resource=rp)).allowed


# --- permissions boundaries ------------------------------------------------------------------
BOUNDARIES = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"


def test_boundary_limits_identity_allow() -> None:
    # BOUNDARIES: Shirley's boundary allows s3/cloudwatch/ec2; an identity policy allowing
    # iam:CreateUser does not let her create users.
    boundary = compiled(
        [{"Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"], "Resource": "*"}],
        "arn:aws:iam::111122223333:policy/ShirleyBoundary",
    )
    identity = ident([{"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"}])
    ps = PolicySet(identity=identity, boundary=boundary)
    d = evaluate(request("iam:CreateUser", principal=user("Shirley")), ps)
    assert (d.effect, d.reason) == ("implicitDeny", Reason.NO_BOUNDARY_ALLOW)
    # The boundary alone grants nothing.
    d2 = evaluate(request("s3:ListBuckets", principal=user("Shirley")), ps)
    assert d2.reason is Reason.NO_IDENTITY_ALLOW


ZHANG_BOUNDARY = [
    {"Sid": "CreateOrChangeOnlyWithBoundary", "Effect": "Allow",
     "Action": ["iam:CreateUser", "iam:DeleteUserPolicy", "iam:AttachUserPolicy",
                "iam:DetachUserPolicy", "iam:PutUserPermissionsBoundary"],
     "Resource": "*",
     "Condition": {"StringEquals": {
         "iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/XCompanyBoundaries"}}},
    {"Sid": "CloudWatchAndOtherIAMTasks", "Effect": "Allow",
     "Action": ["cloudwatch:*", "iam:GetUser", "iam:ListUsers", "iam:DeleteUser", "iam:*Group*",
                "iam:CreatePolicy", "iam:DeletePolicy", "iam:SetDefaultPolicyVersion"],
     "Resource": "*"},
    {"Sid": "NoBoundaryPolicyEdit", "Effect": "Deny",
     "Action": ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
                "iam:SetDefaultPolicyVersion"],
     "Resource": ["arn:aws:iam::123456789012:policy/XCompanyBoundaries",
                  "arn:aws:iam::123456789012:policy/DelegatedUserBoundary"]},
    {"Sid": "NoBoundaryUserDelete", "Effect": "Deny",
     "Action": "iam:DeleteUserPermissionsBoundary", "Resource": "*"},
]  # fmt: skip
ZHANG_PERMISSIONS = [
    {"Sid": "IAM", "Effect": "Allow", "Action": "iam:*", "Resource": "*"},
    {"Sid": "CloudWatchLimited", "Effect": "Allow",
     "Action": ["cloudwatch:GetDashboard", "cloudwatch:ListMetrics"], "Resource": "*"},
    {"Sid": "S3BucketContents", "Effect": "Allow", "Action": "s3:ListBucket",
     "Resource": "arn:aws:s3:::ZhangBucket"},
]  # fmt: skip


@pytest.mark.parametrize(
    ("action", "resource", "context", "effect", "reason", "sid"),
    [
        # "The operation fails and access is denied" without the boundary condition key
        ("iam:CreateUser", "arn:aws:iam::111122223333:user/Nikhil", {}, "implicitDeny",
         Reason.NO_BOUNDARY_ALLOW, None),
        ("iam:CreateUser", "arn:aws:iam::111122223333:user/Nikhil",
         {"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/XCompanyBoundaries"},
         "allowed", Reason.IDENTITY_ALLOW, "IAM"),
        ("iam:CreateUser", "arn:aws:iam::111122223333:user/Nikhil",
         {"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/Other"}, "implicitDeny",
         Reason.NO_BOUNDARY_ALLOW, None),
        # "Zhang does not have the permission to delete the permissions boundary"
        ("iam:DeleteUserPermissionsBoundary", "arn:aws:iam::111122223333:user/Nikhil", {},
         "explicitDeny", Reason.EXPLICIT_DENY_BOUNDARY, "NoBoundaryUserDelete"),
        ("iam:DeletePolicy", "arn:aws:iam::123456789012:policy/XCompanyBoundaries", {},
         "explicitDeny", Reason.EXPLICIT_DENY_BOUNDARY, "NoBoundaryPolicyEdit"),
        ("iam:DeletePolicy", "arn:aws:iam::123456789012:policy/Other", {}, "allowed",
         Reason.IDENTITY_ALLOW, "IAM"),
        # "his permissions boundary allows all actions in CloudWatch, so his effective
        # CloudWatch permissions are limited only by his permissions policy"
        ("cloudwatch:ListMetrics", "*", {}, "allowed", Reason.IDENTITY_ALLOW, "CloudWatchLimited"),
        ("cloudwatch:PutMetricData", "*", {}, "implicitDeny", Reason.NO_IDENTITY_ALLOW, None),
        # "his permissions boundary does not allow any Amazon S3 action"
        ("s3:ListBucket", "arn:aws:s3:::ZhangBucket", {}, "implicitDeny",
         Reason.NO_BOUNDARY_ALLOW, None),
    ],
)  # fmt: skip
def test_boundary_delegation_example(
    action: str,
    resource: str,
    context: dict[str, str],
    effect: str,
    reason: Reason,
    sid: str | None,
) -> None:
    # BOUNDARIES, "Delegating responsibility to others using permissions boundaries"
    ps = PolicySet(
        identity=(
            compiled(
                ZHANG_PERMISSIONS, "arn:aws:iam::111122223333:policy/DelegatedUserPermissions"
            ),
        ),
        boundary=compiled(ZHANG_BOUNDARY, "arn:aws:iam::111122223333:policy/DelegatedUserBoundary"),
    )
    d = evaluate(request(action, resource, user("Zhang"), context), ps)
    assert (d.effect, d.reason) == (effect, reason)
    if sid is not None:
        assert d.matched[0].sid == sid


# --- session policies ------------------------------------------------------------------------
SESSION = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session"


def test_session_policy_gate() -> None:
    # SESSION: "The resulting session's permissions are the intersection of the identity-based
    # policies and the session policies"
    identity = ident([{"Effect": "Allow", "Action": ["s3:*", "iam:*"], "Resource": "*"}])
    session = (
        compiled([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}], "session policy"),
    )
    ps = PolicySet(identity=identity, session=session)
    assert evaluate(request("s3:GetObject", S3_RES, role_session()), ps).allowed
    d = evaluate(request("iam:ListUsers", "*", role_session()), ps)
    assert d.reason is Reason.NO_SESSION_ALLOW
    # the session policy alone grants nothing
    d2 = evaluate(request("s3:GetObject", S3_RES, role_session()), PolicySet(session=session))
    assert d2.reason is Reason.NO_IDENTITY_ALLOW
    # an explicit deny in a session policy
    deny = (compiled(DENY_ALL, "arn:aws:iam::111122223333:policy/SessionDeny"),)
    d3 = evaluate(
        request("s3:GetObject", S3_RES, role_session()), PolicySet(identity, session=deny)
    )
    assert d3.reason is Reason.EXPLICIT_DENY_SESSION


def test_empty_session_policy_tuple_denies() -> None:
    ps = PolicySet(identity=ident(ALLOW_ALL), session=())
    assert (
        evaluate(request("s3:GetObject", S3_RES, role_session()), ps).reason
        is Reason.NO_SESSION_ALLOW
    )


# --- resource-based policies, same account ---------------------------------------------------
# EVAL, "Resource-based policies": "If a resource-based policy grants permission directly to the
# IAM user or the session principal that is making the request, then an implicit deny in an
# identity-based policy, a permissions boundary, or a session policy does not impact the final
# decision." / "Resource-based policies that grant permissions to an IAM role ARN are limited by
# an implicit deny in a permissions boundary or session policy."

NARROW_BOUNDARY = [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]
WIDE_BOUNDARY = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]


@pytest.mark.parametrize(
    ("principal", "named", "boundary", "session", "allowed", "reason"),
    [
        # the user ARN, no identity allow: allowed
        (user(), {"AWS": f"arn:aws:iam::{A}:user/alice"}, None, None, True, Reason.RESOURCE_ALLOW),
        # the user ARN with a boundary that does not allow: still allowed
        (user(), {"AWS": f"arn:aws:iam::{A}:user/alice"}, NARROW_BOUNDARY, None, True,
         Reason.RESOURCE_ALLOW),
        # the role session ARN, boundary and session policy do not allow: still allowed
        (role_session(), {"AWS": f"arn:aws:sts::{A}:assumed-role/R/s"}, NARROW_BOUNDARY,
         NARROW_BOUNDARY, True, Reason.RESOURCE_ALLOW),
        # the role ARN, no boundary or session policy: allowed without identity allow
        (role_session(), {"AWS": f"arn:aws:iam::{A}:role/R"}, None, None, True,
         Reason.RESOURCE_ALLOW),
        # the role ARN with a boundary that does not allow: implicit deny from the boundary
        (role_session(), {"AWS": f"arn:aws:iam::{A}:role/R"}, NARROW_BOUNDARY, None, False,
         Reason.NO_BOUNDARY_ALLOW),
        (role_session(), {"AWS": f"arn:aws:iam::{A}:role/R"}, WIDE_BOUNDARY, None, True,
         Reason.RESOURCE_ALLOW),
        # the role ARN with a session policy that does not allow
        (role_session(), {"AWS": f"arn:aws:iam::{A}:role/R"}, None, NARROW_BOUNDARY, False,
         Reason.NO_SESSION_ALLOW),
        # "*" (granted to everyone, hence directly to the session)
        (role_session(), "*", NARROW_BOUNDARY, NARROW_BOUNDARY, True, Reason.RESOURCE_ALLOW),
        # the account: delegation to the account's own policies, which do not allow
        (user(), {"AWS": f"arn:aws:iam::{A}:root"}, None, None, False, Reason.NO_IDENTITY_ALLOW),
        (user(), {"AWS": A}, None, None, False, Reason.NO_IDENTITY_ALLOW),
        # another user
        (user(), {"AWS": f"arn:aws:iam::{A}:user/bob"}, None, None, False,
         Reason.NO_IDENTITY_ALLOW),
    ],
)  # fmt: skip
def test_same_account_resource_policy(
    principal: Any, named: Any, boundary: Any, session: Any, allowed: bool, reason: Reason
) -> None:
    ps = PolicySet(
        boundary=None
        if boundary is None
        else compiled(boundary, "arn:aws:iam::111122223333:policy/B"),
        session=None if session is None else (compiled(session, "session"),),
        resource=resource_policy(named),
    )
    d = evaluate(request("s3:GetObject", S3_RES, principal), ps)
    assert (d.allowed, d.reason) == (allowed, reason)
    if allowed:
        assert d.matched[0].policy_id == "bucket policy"


def test_same_account_identity_allow_without_resource_policy_allow() -> None:
    ps = PolicySet(
        identity=ident(ALLOW_ALL), resource=resource_policy({"AWS": f"arn:aws:iam::{A}:user/bob"})
    )
    d = evaluate(request("s3:GetObject", S3_RES), ps)
    assert d.allowed and d.reason is Reason.IDENTITY_ALLOW


def test_resource_policy_deny_overrides_identity_allow() -> None:
    ps = PolicySet(identity=ident(ALLOW_ALL), resource=resource_policy("*", "Deny"))
    d = evaluate(request("s3:GetObject", S3_RES), ps)
    assert (d.effect, d.reason) == ("explicitDeny", Reason.EXPLICIT_DENY_RESOURCE)


def test_not_principal() -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    rp = compiled(
        [{"Effect": "Deny", "NotPrincipal": {"AWS": f"arn:aws:iam::{A}:user/bob"},
          "Action": "s3:*", "Resource": S3_RES}],
        "bucket policy",
    )  # fmt: skip
    ps = PolicySet(identity=ident(ALLOW_ALL), resource=rp)
    assert (
        evaluate(request("s3:GetObject", S3_RES, user("alice")), ps).reason
        is Reason.EXPLICIT_DENY_RESOURCE
    )
    assert evaluate(request("s3:GetObject", S3_RES, user("bob")), ps).allowed
    # BOUNDARIES, Important: a NotPrincipal Deny always denies a principal with a boundary.
    ps_b = PolicySet(identity=ident(ALLOW_ALL), boundary=compiled(ALLOW_ALL, "b"), resource=rp)
    assert (
        evaluate(request("s3:GetObject", S3_RES, user("bob")), ps_b).reason
        is Reason.EXPLICIT_DENY_RESOURCE
    )


def test_service_principal() -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
    from sagegate.policy import PrincipalInfo

    svc = PrincipalInfo("sagemaker.amazonaws.com", "", "Service", "sagemaker.amazonaws.com")
    trust = compiled(
        [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
          "Action": "sts:AssumeRole"}], "trust", kind=PolicyKind.TRUST,
    )  # fmt: skip
    r = request("sts:AssumeRole", f"arn:aws:iam::{A}:role/R", svc, resource_account=A)
    assert evaluate(r, PolicySet(resource=trust)).allowed
    other = PrincipalInfo("glue.amazonaws.com", "", "Service", "glue.amazonaws.com")
    d = evaluate(
        request("sts:AssumeRole", f"arn:aws:iam::{A}:role/R", other), PolicySet(resource=trust)
    )
    assert d.reason is Reason.NO_RESOURCE_ALLOW


# --- cross-account ---------------------------------------------------------------------------
CROSS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"


@pytest.mark.parametrize(
    ("identity_doc", "named", "allowed", "reason"),
    [
        # CROSS: "the identity-based policy and the resource-based policy must both allow"
        (ALLOW_ALL, {"AWS": B}, True, Reason.CROSS_ACCOUNT_ALLOW),
        (ALLOW_ALL, {"AWS": f"arn:aws:iam::{B}:root"}, True, Reason.CROSS_ACCOUNT_ALLOW),
        (ALLOW_ALL, {"AWS": f"arn:aws:iam::{B}:user/alice"}, True, Reason.CROSS_ACCOUNT_ALLOW),
        (ALLOW_ALL, {"AWS": f"arn:aws:iam::{B}:user/bob"}, False, Reason.NO_RESOURCE_ALLOW),
        (ALLOW_ALL, None, False, Reason.NO_RESOURCE_ALLOW),
        # the resource policy naming the user directly is not enough across accounts
        (None, {"AWS": f"arn:aws:iam::{B}:user/alice"}, False, Reason.NO_IDENTITY_ALLOW),
        (DENY_ALL, {"AWS": B}, False, Reason.EXPLICIT_DENY_IDENTITY),
    ],
)
def test_cross_account(identity_doc: Any, named: Any, allowed: bool, reason: Reason) -> None:
    ps = PolicySet(
        identity=() if identity_doc is None else ident(identity_doc),
        resource=None if named is None else resource_policy(named),
    )
    r = request("s3:GetObject", S3_RES, user("alice", B), resource_account=A)
    d = evaluate(r, ps)
    assert (d.allowed, d.reason) == (allowed, reason)


def test_cross_account_boundary_still_applies() -> None:
    ps = PolicySet(
        identity=ident(ALLOW_ALL),
        boundary=compiled(NARROW_BOUNDARY, "b"),
        resource=resource_policy({"AWS": f"arn:aws:iam::{B}:user/alice"}),
    )
    d = evaluate(request("s3:GetObject", S3_RES, user("alice", B), resource_account=A), ps)
    assert d.reason is Reason.NO_BOUNDARY_ALLOW


def test_resource_account_equal_to_principal_account_is_same_account() -> None:
    ps = PolicySet(resource=resource_policy({"AWS": f"arn:aws:iam::{A}:user/alice"}))
    assert evaluate(request("s3:GetObject", S3_RES, resource_account=A), ps).allowed


# --- conditions in statements ----------------------------------------------------------------


def test_condition_gates_statement_and_reports_missing_keys() -> None:
    doc = [{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]  # fmt: skip
    ps = PolicySet(identity=ident(doc))
    d = evaluate(request("iam:ListUsers"), ps)
    assert not d.allowed and d.missing_context_keys == ("aws:MultiFactorAuthPresent",)
    assert evaluate(
        request("iam:ListUsers", context={"aws:MultiFactorAuthPresent": True}), ps
    ).allowed


def test_unevaluable_statement_is_recorded_and_does_not_match() -> None:
    doc = [{"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"NumericLessThan": {"s3:max-keys": "abc"}}}]  # fmt: skip
    ps = PolicySet(identity=ident(ALLOW_ALL, doc))
    d = evaluate(request("s3:ListBucket", context={"s3:max-keys": "10"}), ps)
    assert d.allowed
    assert d.diagnostics and "abc" in d.diagnostics[0]


def test_statement_order_and_policy_order_do_not_matter() -> None:
    # EVAL: "the order in which the policies are evaluated has no effect"
    a = ident(ALLOW_ALL, DENY_ALL)
    b = ident(DENY_ALL, ALLOW_ALL)
    for ps in (PolicySet(identity=a), PolicySet(identity=b)):
        assert evaluate(request("iam:GetUser"), ps).effect == "explicitDeny"


# --- the worked examples of "Policy evaluation logic" ----------------------------------------

CARLOS_IDENTITY = [
    {"Sid": "AllowS3ListRead", "Effect": "Allow",
     "Action": ["s3:GetBucketLocation", "s3:GetAccountPublicAccessBlock", "s3:ListAccessPoints",
                "s3:ListAllMyBuckets"],
     "Resource": "arn:aws:s3:::*"},
    {"Sid": "AllowS3Self", "Effect": "Allow", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"]},
    {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"},
]  # fmt: skip
CARLOS_BUCKET = [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/carlossalazar"},
     "Action": "s3:*",
     "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"]},
]  # fmt: skip


@pytest.mark.parametrize(
    ("resource", "with_identity", "effect", "reason", "sid"),
    [
        # "It finds one, because the identity-based policy explicitly denies Carlos access to
        # any S3 buckets used for logging"
        ("arn:aws:s3:::carlossalazar-logs/file", True, "explicitDeny",
         Reason.EXPLICIT_DENY_IDENTITY, "DenyS3Logs"),
        # "Both the identity-based policy and the resource-based policy allow the request"
        ("arn:aws:s3:::carlossalazar/file", True, "allowed", Reason.RESOURCE_ALLOW, None),
        # "If one of the policy types allows the request and the other doesn't, the request is
        # still allowed" (same account)
        ("arn:aws:s3:::carlossalazar/file", False, "allowed", Reason.RESOURCE_ALLOW, None),
    ],
)  # fmt: skip
def test_carlos_example(
    resource: str, with_identity: bool, effect: str, reason: Reason, sid: str | None
) -> None:
    # EVAL, "Example identity-based and resource-based policy evaluation"
    ps = PolicySet(
        identity=ident(CARLOS_IDENTITY) if with_identity else (),
        resource=compiled(CARLOS_BUCKET, "bucket policy"),
    )
    d = evaluate(request("s3:PutObject", resource, user("carlossalazar")), ps)
    assert (d.effect, d.reason) == (effect, reason)
    if sid is not None:
        assert d.matched[0].sid == sid


@pytest.mark.parametrize(
    ("action", "effect"),
    [
        ("iam:GetUser", "allowed"),
        ("iam:ListRoles", "allowed"),
        ("iam:CreatePolicy", "implicitDeny"),
        ("iam:GetOrganizationsAccessReport", "explicitDeny"),
        ("iam:GenerateCredentialReport", "explicitDeny"),
    ],
)
def test_explicit_and_implicit_denies_example(action: str, effect: str) -> None:
    # EVAL, "The difference between explicit and implicit denies" (AllowGetList / DenyReports),
    # plus another policy granting iam:GenerateCredentialReport: "report-related requests are
    # still denied because of this explicit deny"
    doc = [
        {"Sid": "AllowGetList", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
        {"Sid": "DenyReports", "Effect": "Deny", "Action": "iam:*Report", "Resource": "*"},
    ]  # fmt: skip
    extra = [{"Effect": "Allow", "Action": "iam:GenerateCredentialReport", "Resource": "*"}]
    assert evaluate(request(action), PolicySet(identity=ident(doc, extra))).effect == effect


def test_federated_user_sessions() -> None:
    # EVAL, "IAM federated user sessions": a resource-based policy naming the federated user ARN
    # grants directly; naming the IAM user who federated is limited by the session policy; and
    # "If there is no session policy ... Otherwise [not a role session], the request is
    # implicitly denied".
    from sagegate.policy import PrincipalInfo

    fed = PrincipalInfo(
        f"arn:aws:sts::{A}:federated-user/carlos", A, "FederatedUser", f"{A}:carlos",
        role_arn=f"arn:aws:iam::{A}:user/admin",
    )  # fmt: skip
    narrow = (compiled([{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}], "session"),)
    direct = resource_policy({"AWS": f"arn:aws:sts::{A}:federated-user/carlos"})
    via_user = resource_policy({"AWS": f"arn:aws:iam::{A}:user/admin"})
    r = request("s3:GetObject", S3_RES, fed)
    assert evaluate(r, PolicySet(session=narrow, resource=direct)).allowed
    d = evaluate(r, PolicySet(session=narrow, resource=via_user))
    assert d.reason is Reason.NO_SESSION_ALLOW
    wide = (compiled(ALLOW_ALL, "session"),)
    assert evaluate(r, PolicySet(session=wide, resource=via_user)).allowed
    # identity allow but no session policy at all: implicitly denied
    assert evaluate(r, PolicySet(identity=ident(ALLOW_ALL))).reason is Reason.NO_SESSION_ALLOW
    assert evaluate(r, PolicySet(identity=ident(ALLOW_ALL), session=wide)).allowed


def test_anonymous_and_federated_provider_principals() -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
    # ("*" includes anonymous callers; a Federated principal names an identity provider)
    from sagegate.policy import PrincipalInfo

    anon = PrincipalInfo("anonymous", "", "Anonymous", "anonymous")
    r = request("s3:GetObject", S3_RES, anon, resource_account=A)
    assert evaluate(r, PolicySet(resource=resource_policy("*"))).allowed
    assert (
        evaluate(r, PolicySet(resource=resource_policy({"AWS": A}))).reason
        is Reason.NO_RESOURCE_ALLOW
    )
    provider = f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com"
    web = PrincipalInfo(
        "arn:aws:sts::111122223333:assumed-role/R/web",
        A,
        "WebIdentityUser",
        "web",
        provider=provider,
    )
    trust = compiled(
        [{"Effect": "Allow", "Principal": {"Federated": provider},
          "Action": "sts:AssumeRoleWithWebIdentity"}], "trust", kind=PolicyKind.TRUST,
    )  # fmt: skip
    r2 = request("sts:AssumeRoleWithWebIdentity", f"arn:aws:iam::{A}:role/R", web)
    assert evaluate(r2, PolicySet(resource=trust)).allowed
    other = PrincipalInfo("x", A, "WebIdentityUser", "web", provider="accounts.google.com")
    r3 = request("sts:AssumeRoleWithWebIdentity", f"arn:aws:iam::{A}:role/R", other)
    assert not evaluate(r3, PolicySet(resource=trust)).allowed


# --- role trust policies: an exception to the same-account rule ------------------------------

ROLE_ARN = f"arn:aws:iam::{A}:role/R"


def trust(principal: Any) -> Any:
    return compiled(
        [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        ROLE_ARN,
        kind=PolicyKind.TRUST,
    )


@pytest.mark.parametrize(
    ("named", "identity", "allowed", "reason"),
    [
        # EVAL, "role trust policies ... must explicitly allow access for principals": an identity
        # Allow alone is not enough in the same account when the trust policy names someone else.
        ({"AWS": f"arn:aws:iam::{A}:user/bob"}, ALLOW_ALL, False, Reason.NO_RESOURCE_ALLOW),
        ({"Service": "sagemaker.amazonaws.com"}, ALLOW_ALL, False, Reason.NO_RESOURCE_ALLOW),
        # The trust policy names the caller: allowed without any identity policy.
        ({"AWS": f"arn:aws:iam::{A}:user/alice"}, None, True, Reason.RESOURCE_ALLOW),
        # It names the account: delegation, the identity side decides.
        ({"AWS": f"arn:aws:iam::{A}:root"}, ALLOW_ALL, True, Reason.IDENTITY_ALLOW),
        ({"AWS": f"arn:aws:iam::{A}:root"}, None, False, Reason.NO_IDENTITY_ALLOW),
    ],
)
def test_trust_policy_must_name_the_caller(
    named: Any, identity: Any, allowed: bool, reason: Reason
) -> None:
    ps = PolicySet(identity=ident(identity) if identity else (), resource=trust(named))
    d = evaluate(request("sts:AssumeRole", ROLE_ARN), ps)
    assert (d.allowed, d.reason) == (allowed, reason)
