"""sts:AssumeRole end to end with boto3 and the AWS CLI (issue 5): trust policies, cross-account
with ExternalId, role chaining, session policies and tags, source identity, MFA, and what the
role session may do afterwards."""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.harness import Credentials, Deployment
from tests.e2e.helpers import allow, new_user


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def trust(*principals: str, condition: dict[str, Any] | None = None, actions: Any = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": list(principals)},
        "Action": actions or ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def make_role(
    d: Deployment,
    name: str,
    trust_doc: str,
    *policies: dict[str, Any],
    creds: Credentials | None = None,
    **extra: Any,
) -> str:
    iam = d.client("iam", creds)
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_doc, **extra)["Role"]
    for i, doc in enumerate(policies):
        iam.put_role_policy(RoleName=name, PolicyName=f"p{i}", PolicyDocument=json.dumps(doc))
    return str(role["Arn"])


def session(resp: dict[str, Any]) -> Credentials:
    c = resp["Credentials"]
    return Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def unvalidated(d: Deployment, service: str) -> Any:
    """A client of the admin that leaves input validation to the server."""
    return boto3.session.Session().client(
        service,
        endpoint_url=d.endpoint,
        region_name="us-east-1",
        aws_access_key_id=d.admin.access_key_id,
        aws_secret_access_key=d.admin.secret_access_key,
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
    )


def code_of(e: pytest.ExceptionInfo[ClientError]) -> str:
    return str(e.value.response["Error"]["Code"])


def message_of(e: pytest.ExceptionInfo[ClientError]) -> str:
    return str(e.value.response["Error"]["Message"])


@pytest.fixture(scope="module")
def account(deployment: Deployment) -> str:
    return str(deployment.account["account_id"])


def test_assume_role_named_user_gets_exactly_the_roles_permissions(
    deployment: Deployment, account: str
) -> None:
    user = unique("u")
    creds = new_user(deployment, user)  # no policy of its own: the trust policy names it
    role = unique("reader")
    arn = make_role(
        deployment,
        role,
        trust(f"arn:aws:iam::{account}:user/{user}"),
        allow("iam:ListUsers"),
        Path="/app/",
    )
    assert arn == f"arn:aws:iam::{account}:role/app/{role}"
    resp = deployment.client("sts", creds).assume_role(RoleArn=arn, RoleSessionName="alice")
    role_id = deployment.client("iam").get_role(RoleName=role)["Role"]["RoleId"]
    assert resp["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role_id}:alice",
        "Arn": f"arn:aws:sts::{account}:assumed-role/{role}/alice",
    }
    c = resp["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA") and len(c["AccessKeyId"]) == 20
    assert len(c["SecretAccessKey"]) == 40
    assert 3500 < (c["Expiration"] - datetime.now(UTC)).total_seconds() <= 3601
    assert "PackedPolicySize" not in resp
    s = session(resp)
    ident = deployment.client("sts", s).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{account}:assumed-role/{role}/alice"
    assert ident["UserId"] == f"{role_id}:alice"
    assert ident["Account"] == account
    # The role's permissions, no more.
    iam = deployment.client("iam", s)
    assert any(u["UserName"] == user for u in iam.list_users()["Users"])
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=unique("x"))
    assert code_of(e) == "AccessDenied"
    assert message_of(e).startswith(
        f"User: arn:aws:sts::{account}:assumed-role/{role}/alice is not authorized to perform: "
        "iam:CreateUser"
    )
    # The user's own (long-term) credentials still cannot list users.
    with pytest.raises(ClientError):
        deployment.client("iam", creds).list_users()


def test_cli_assume_role_and_get_caller_identity(deployment: Deployment, account: str) -> None:
    role = unique("cli")
    arn = make_role(deployment, role, trust(f"arn:aws:iam::{account}:root"))
    out = deployment.aws("sts", "assume-role", "--role-arn", arn, "--role-session-name", "cli-s")
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/{role}/cli-s"
    c = out["Credentials"]
    creds = Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    ident = deployment.aws("sts", "get-caller-identity", creds=creds)
    assert ident["Arn"] == f"arn:aws:sts::{account}:assumed-role/{role}/cli-s"


def test_trust_naming_the_account_needs_an_identity_allow(
    deployment: Deployment, account: str
) -> None:
    role = unique("acct")
    arn = make_role(deployment, role, trust(f"arn:aws:iam::{account}:root"))
    user = unique("u")
    creds = new_user(deployment, user)
    sts = deployment.client("sts", creds)
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1")
    assert code_of(e) == "AccessDenied"
    assert message_of(e) == (
        f"User: arn:aws:iam::{account}:user/{user} is not authorized to perform: "
        f"sts:AssumeRole on resource: {arn} because no identity-based policy allows the "
        "sts:AssumeRole action"
    )
    deployment.client("iam").put_user_policy(
        UserName=user, PolicyName="assume", PolicyDocument=json.dumps(allow("sts:AssumeRole", arn))
    )
    assert sts.assume_role(RoleArn=arn, RoleSessionName="s1")["AssumedRoleUser"]


def test_a_trust_policy_that_does_not_name_the_caller_denies_even_an_admin(
    deployment: Deployment, account: str
) -> None:
    other = unique("nobody")
    new_user(deployment, other)
    arn = make_role(deployment, unique("closed"), trust(f"arn:aws:iam::{account}:user/{other}"))
    with pytest.raises(ClientError) as e:
        deployment.client("sts").assume_role(RoleArn=arn, RoleSessionName="admin")
    assert code_of(e) == "AccessDenied"


def test_a_missing_role_is_access_denied(deployment: Deployment, account: str) -> None:
    arn = f"arn:aws:iam::{account}:role/{unique('missing')}"
    with pytest.raises(ClientError) as e:
        deployment.client("sts").assume_role(RoleArn=arn, RoleSessionName="s0")
    assert code_of(e) == "AccessDenied"
    assert message_of(e) == (
        f"User: arn:aws:iam::{account}:user/admin is not authorized to perform: sts:AssumeRole "
        f"on resource: {arn}"
    )


def test_duration_limits(deployment: Deployment, account: str) -> None:
    arn = make_role(
        deployment, unique("dur"), trust(f"arn:aws:iam::{account}:root"), MaxSessionDuration=7200
    )
    sts = deployment.client("sts")
    ok = sts.assume_role(RoleArn=arn, RoleSessionName="s0", DurationSeconds=7200)
    exp = ok["Credentials"]["Expiration"]
    issued = sts.assume_role(RoleArn=arn, RoleSessionName="s0", DurationSeconds=900)
    assert (exp - issued["Credentials"]["Expiration"]).total_seconds() >= 7200 - 900 - 60
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="s0", DurationSeconds=7201)
    assert code_of(e) == "ValidationError"
    assert message_of(e) == (
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    )
    with pytest.raises(ClientError) as e:
        unvalidated(deployment, "sts").assume_role(
            RoleArn=arn, RoleSessionName="s0", DurationSeconds=899
        )
    assert code_of(e) == "ValidationError"


def test_role_session_name_rules(deployment: Deployment, account: str) -> None:
    arn = make_role(deployment, unique("names"), trust(f"arn:aws:iam::{account}:root"))
    sts = unvalidated(deployment, "sts")
    assert sts.assume_role(RoleArn=arn, RoleSessionName="a+b=c,d.e@f-g_h")["AssumedRoleUser"]
    for bad in ("x", "has space", "a" * 65, "slash/no"):
        with pytest.raises(ClientError) as e:
            sts.assume_role(RoleArn=arn, RoleSessionName=bad)
        assert code_of(e) == "ValidationError", bad


def test_cross_account_with_external_id(deployment: Deployment, account: str) -> None:
    other = deployment.create_account()
    other_admin = Credentials(other["admin_access_key_id"], other["admin_secret_access_key"])
    other_id = other["account_id"]
    role = unique("xacct")
    arn = make_role(
        deployment,
        role,
        trust(
            f"arn:aws:iam::{account}:root",
            condition={"StringEquals": {"sts:ExternalId": "ext-42"}},
        ),
        allow("iam:ListRoles"),
        creds=other_admin,
    )
    assert arn == f"arn:aws:iam::{other_id}:role/{role}"
    sts = deployment.client("sts")  # the first account's admin
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="xx")
    assert code_of(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="xx", ExternalId="wrong")
    assert code_of(e) == "AccessDenied"
    resp = sts.assume_role(RoleArn=arn, RoleSessionName="xx", ExternalId="ext-42")
    assert resp["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{other_id}:assumed-role/{role}/xx"
    s = session(resp)
    assert deployment.client("sts", s).get_caller_identity()["Account"] == other_id
    roles = deployment.client("iam", s).list_roles()["Roles"]
    assert any(r["Arn"] == arn for r in roles)  # the other account's roles
    with pytest.raises(ClientError):
        deployment.client("iam", s).list_users()

    # Cross-account, both sides must allow: a user of the first account without an identity
    # policy is refused although the trust policy names its account.
    plain = new_user(deployment, unique("plain"))
    with pytest.raises(ClientError) as e:
        deployment.client("sts", plain).assume_role(
            RoleArn=arn, RoleSessionName="xx", ExternalId="ext-42"
        )
    assert code_of(e) == "AccessDenied"


def test_role_chaining_is_limited_to_one_hour(deployment: Deployment, account: str) -> None:
    second = make_role(
        deployment,
        unique("second"),
        trust(f"arn:aws:iam::{account}:root"),
        allow("iam:ListRoles"),
        MaxSessionDuration=43200,
    )
    first_name = unique("first")
    first = make_role(
        deployment,
        first_name,
        trust(f"arn:aws:iam::{account}:root"),
        allow("sts:AssumeRole", second),
    )
    s1 = session(deployment.client("sts").assume_role(RoleArn=first, RoleSessionName="one"))
    sts1 = deployment.client("sts", s1)
    with pytest.raises(ClientError) as e:
        sts1.assume_role(RoleArn=second, RoleSessionName="two", DurationSeconds=3601)
    assert code_of(e) == "ValidationError"
    assert message_of(e) == (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
        "role chaining."
    )
    resp = sts1.assume_role(RoleArn=second, RoleSessionName="two", DurationSeconds=3600)
    s2 = session(resp)
    ident = deployment.aws("sts", "get-caller-identity", creds=s2)
    assert ident["Arn"].endswith(":assumed-role/" + second.rsplit("/", 1)[1] + "/two")
    deployment.client("iam", s2).list_roles()
    # The first session cannot do what only the second role may.
    with pytest.raises(ClientError):
        deployment.client("iam", s1).list_roles()


def test_session_policy_narrows_the_role(deployment: Deployment, account: str) -> None:
    arn = make_role(
        deployment,
        unique("wide"),
        trust(f"arn:aws:iam::{account}:root"),
        allow(["iam:ListUsers", "iam:ListRoles"]),
    )
    resp = deployment.client("sts").assume_role(
        RoleArn=arn, RoleSessionName="narrow", Policy=json.dumps(allow("iam:ListUsers"))
    )
    assert 0 < resp["PackedPolicySize"] <= 100
    iam = deployment.client("iam", session(resp))
    iam.list_users()
    with pytest.raises(ClientError) as e:
        iam.list_roles()
    assert message_of(e).endswith("because no session policy allows the iam:ListRoles action")
    # A managed session policy (PolicyArns) works the same way.
    resp = deployment.client("sts").assume_role(
        RoleArn=arn,
        RoleSessionName="managed",
        PolicyArns=[{"arn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}],
    )
    deployment.client("iam", session(resp)).list_roles()


def test_session_policy_errors(deployment: Deployment, account: str) -> None:
    arn = make_role(deployment, unique("perr"), trust(f"arn:aws:iam::{account}:root"))
    sts = deployment.client("sts")
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="s0", Policy="{not json")
    assert code_of(e) == "MalformedPolicyDocument"
    with pytest.raises(ClientError) as e:
        unvalidated(deployment, "sts").assume_role(
            RoleArn=arn,
            RoleSessionName="s0",
            PolicyArns=[{"arn": f"arn:aws:iam::aws:policy/P{i}"} for i in range(11)],
        )
    assert code_of(e) == "ValidationError"
    # High-entropy resources do not pack: PackedPolicyTooLarge, with AWS's words.
    resources = [f"arn:aws:s3:::bucket/{secrets.token_urlsafe(336)}" for _ in range(4)]
    doc = json.dumps(allow("s3:GetObject", resources), separators=(",", ":"))
    assert len(doc) <= 2048
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="s0", Policy=doc)
    assert code_of(e) == "PackedPolicyTooLarge"
    assert message_of(e).startswith("Packed policy consumes ")
    assert message_of(e).endswith("% of allotted space, please use smaller policy.")


def test_session_tags_become_principal_tags(deployment: Deployment, account: str) -> None:
    role = unique("tagged")
    abac = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:ListUsers",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/Team": "blue"}},
            }
        ],
    }
    arn = make_role(
        deployment,
        role,
        trust(f"arn:aws:iam::{account}:root"),
        abac,
        Tags=[{"Key": "Team", "Value": "red"}],
    )
    sts = deployment.client("sts")
    red = session(sts.assume_role(RoleArn=arn, RoleSessionName="rr"))
    with pytest.raises(ClientError):
        deployment.client("iam", red).list_users()  # the role's own tag: red
    resp = sts.assume_role(
        RoleArn=arn, RoleSessionName="bb", Tags=[{"Key": "team", "Value": "blue"}]
    )
    assert resp["PackedPolicySize"] > 0
    deployment.client("iam", session(resp)).list_users()  # session tag wins, whatever its case


def test_tag_session_must_be_allowed(deployment: Deployment, account: str) -> None:
    user = unique("tagger")
    arn = make_role(
        deployment,
        unique("notags"),
        trust(f"arn:aws:iam::{account}:root", actions="sts:AssumeRole"),
    )
    creds = new_user(deployment, user, allow("sts:AssumeRole", arn))
    sts = deployment.client("sts", creds)
    sts.assume_role(RoleArn=arn, RoleSessionName="s0")
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="s0", Tags=[{"Key": "k", "Value": "v"}])
    assert code_of(e) == "AccessDenied"
    assert "sts:TagSession" in message_of(e)


def test_transitive_tags_and_source_identity_survive_chaining(
    deployment: Deployment, account: str
) -> None:
    second_name = unique("t2")
    check = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:ListUsers",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "aws:PrincipalTag/Project": "apollo",
                        "aws:SourceIdentity": "alice",
                    }
                },
            }
        ],
    }
    second = make_role(deployment, second_name, trust(f"arn:aws:iam::{account}:root"), check)
    first = make_role(
        deployment,
        unique("t1"),
        trust(f"arn:aws:iam::{account}:root"),
        allow(["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"], second),
    )
    resp = deployment.client("sts").assume_role(
        RoleArn=first,
        RoleSessionName="one",
        Tags=[{"Key": "Project", "Value": "apollo"}, {"Key": "Temp", "Value": "x"}],
        TransitiveTagKeys=["Project"],
        SourceIdentity="alice",
    )
    assert resp["SourceIdentity"] == "alice"
    s1 = deployment.client("sts", session(resp))
    chained = s1.assume_role(RoleArn=second, RoleSessionName="two")
    assert chained["SourceIdentity"] == "alice"
    deployment.client("iam", session(chained)).list_users()
    # An inherited transitive tag cannot be set again; the source identity cannot change.
    with pytest.raises(ClientError) as e:
        s1.assume_role(
            RoleArn=second, RoleSessionName="two", Tags=[{"Key": "project", "Value": "other"}]
        )
    assert code_of(e) == "ValidationError"
    with pytest.raises(ClientError) as e:
        s1.assume_role(RoleArn=second, RoleSessionName="two", SourceIdentity="mallory")
    assert code_of(e) == "AccessDenied"


def test_session_revocation_by_token_issue_time(deployment: Deployment, account: str) -> None:
    role = unique("revoke")
    arn = make_role(deployment, role, trust(f"arn:aws:iam::{account}:root"), allow("iam:ListUsers"))
    old = session(deployment.client("sts").assume_role(RoleArn=arn, RoleSessionName="old"))
    deployment.client("iam", old).list_users()
    time.sleep(1.1)  # token issue times have a one-second resolution
    cutoff = deployment.client("sts").assume_role(RoleArn=arn, RoleSessionName="cut")
    revoke = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                # The issue time of the cut-off session (one hour before its expiry).
                "Condition": {
                    "DateLessThan": {
                        "aws:TokenIssueTime": _iso(cutoff["Credentials"]["Expiration"], -3600)
                    }
                },
            }
        ],
    }
    deployment.client("iam").put_role_policy(
        RoleName=role, PolicyName="AWSRevokeOlderSessions", PolicyDocument=json.dumps(revoke)
    )
    with pytest.raises(ClientError) as e:
        deployment.client("iam", old).list_users()
    assert "explicit deny" in message_of(e)
    new = session(deployment.client("sts").assume_role(RoleArn=arn, RoleSessionName="new"))
    deployment.client("iam", new).list_users()


def test_revoke_sessions_command(deployment: Deployment, account: str) -> None:
    """`sagegate role revoke-sessions ROLE`: the console's *Revoke active sessions* in one
    command; older sessions are denied at once, new ones work, and running it again moves the
    cut-off."""
    role = unique("revokecli")
    arn = make_role(deployment, role, trust(f"arn:aws:iam::{account}:root"), allow("iam:ListUsers"))
    old = session(deployment.client("sts").assume_role(RoleArn=arn, RoleSessionName="old"))
    deployment.client("iam", old).list_users()
    store = [*deployment.store_args(), "--account-id", account]
    out = deployment.run_cli("role", "revoke-sessions", *store, role)
    assert f"Sessions of {arn} issued before" in out.stdout
    with pytest.raises(ClientError) as e:
        deployment.client("iam", old).list_users()
    assert "explicit deny" in message_of(e)
    time.sleep(1.1)  # the cut-off is the next whole second
    new = session(deployment.client("sts").assume_role(RoleArn=arn, RoleSessionName="new"))
    deployment.client("iam", new).list_users()
    doc = deployment.client("iam").get_role_policy(
        RoleName=role, PolicyName="AWSRevokeOlderSessions"
    )["PolicyDocument"]
    assert doc["Statement"][0]["Effect"] == "Deny"
    # Again: the same policy, a later cut-off; now the "new" session is revoked too.
    time.sleep(1.1)
    deployment.run_cli("role", "revoke-sessions", *store, role)
    with pytest.raises(ClientError):
        deployment.client("iam", new).list_users()
    names = deployment.client("iam").list_role_policies(RoleName=role)["PolicyNames"]
    assert names.count("AWSRevokeOlderSessions") == 1
    missing = deployment.run_cli("role", "revoke-sessions", *store, "no-such-role", check=False)
    assert missing.returncode == 1 and "no role no-such-role" in missing.stdout


def _iso(when: datetime, shift: int) -> str:
    return (when + timedelta(seconds=shift)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_tag_session_granted_by_the_trust_policy_alone(
    deployment: Deployment, account: str
) -> None:
    """*Passing session tags in AWS STS*, "Example role trust policy for session tags": the trust
    policy names the user and allows sts:TagSession; the user needs no policy of its own."""
    user = unique("tagtrust")
    creds = new_user(deployment, user)
    arn = make_role(deployment, unique("tagtrust"), trust(f"arn:aws:iam::{account}:user/{user}"))
    deployment.client("sts", creds).assume_role(
        RoleArn=arn, RoleSessionName="s0", Tags=[{"Key": "Project", "Value": "x"}]
    )


def test_tag_session_refused_when_the_trust_policy_lacks_it(
    deployment: Deployment, account: str
) -> None:
    """A trust policy without sts:TagSession: "For roles that don't have this permission in the
    trust policy, the AssumeRole operation will fail" — even for an administrator."""
    arn = make_role(
        deployment,
        unique("notag"),
        trust(f"arn:aws:iam::{account}:root", actions="sts:AssumeRole"),
    )
    with pytest.raises(ClientError) as e:
        deployment.client("sts").assume_role(
            RoleArn=arn, RoleSessionName="s0", Tags=[{"Key": "Project", "Value": "x"}]
        )
    assert code_of(e) == "AccessDenied"
