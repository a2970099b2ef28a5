"""Every call is authorized by the policy engine (issue 2, point 8)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import Deployment
from tests.e2e.helpers import allow, new_user


def denied(e: pytest.ExceptionInfo[ClientError]) -> str:
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    return str(e.value.response["Error"]["Message"])


def test_no_policy_denied_with_aws_message_then_allowed(deployment: Deployment) -> None:
    account = deployment.account["account_id"]
    bob = new_user(deployment, "bob")
    iam = deployment.client("iam", bob)
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="alice")
    assert denied(e) == (
        f"User: arn:aws:iam::{account}:user/bob is not authorized to perform: iam:CreateUser "
        f"on resource: arn:aws:iam::{account}:user/alice because no identity-based policy "
        "allows the iam:CreateUser action"
    )
    deployment.client("iam").put_user_policy(
        UserName="bob",
        PolicyName="create-users",
        PolicyDocument=json.dumps(allow("iam:CreateUser")),
    )
    assert iam.create_user(UserName="alice")["User"]["UserName"] == "alice"  # the very next request


def test_explicit_deny_wins_over_admin(deployment: Deployment) -> None:
    account = deployment.account["account_id"]
    admin = deployment.client("iam")
    carl = new_user(
        deployment, "carl", allow("iam:DeleteUser", f"arn:aws:iam::{account}:user/keep-*", "Deny")
    )
    admin.attach_user_policy(
        UserName="carl", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    admin.create_user(UserName="keep-me")
    admin.create_user(UserName="drop-me")
    iam = deployment.client("iam", carl)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="keep-me")
    assert denied(e).startswith(
        f"User: arn:aws:iam::{account}:user/carl is not authorized to perform: iam:DeleteUser "
        f"on resource: arn:aws:iam::{account}:user/keep-me with an explicit deny in an "
        "identity-based policy"
    )
    iam.delete_user(UserName="drop-me")


def test_read_only_access(deployment: Deployment) -> None:
    admin = deployment.client("iam")
    reader = new_user(deployment, "reader")
    admin.attach_user_policy(UserName="reader", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam = deployment.client("iam", reader)
    assert any(u["UserName"] == "reader" for u in iam.list_users()["Users"])
    assert iam.get_user(UserName="admin")["User"]["UserName"] == "admin"
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="not-allowed")
    assert "iam:CreateUser" in denied(e)
    admin.detach_user_policy(UserName="reader", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    with pytest.raises(ClientError) as e:
        iam.list_users()
    assert "iam:ListUsers" in denied(e)


def test_resource_and_notaction_scoping(deployment: Deployment) -> None:
    account = deployment.account["account_id"]
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:*",
                "Resource": f"arn:aws:iam::{account}:user/sandbox/*",
            },
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        ],
    }
    sam = new_user(deployment, "sam", doc)
    iam = deployment.client("iam", sam)
    iam.create_user(UserName="kid", Path="/sandbox/")
    iam.get_user(UserName="kid")
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="grownup")
    assert f"on resource: arn:aws:iam::{account}:user/grownup" in denied(e)


def test_denial_via_cli_is_explained(deployment: Deployment) -> None:
    nobody = new_user(deployment, "cli-nobody")
    proc = deployment.aws("iam", "create-user", "--user-name", "x", creds=nobody, check=False)
    assert proc.returncode != 0
    assert "AccessDenied" in proc.stderr
    assert "because no identity-based policy allows the iam:CreateUser action" in proc.stderr


def test_malformed_policy_rejected(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    iam.create_user(UserName="mal")
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName="mal", PolicyName="bad", PolicyDocument='{"Statement": []')
    assert e.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(
            UserName="mal",
            PolicyName="bad",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Permit", "Action": "*", "Resource": "*"}],
                }
            ),
        )
    assert e.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    assert iam.list_user_policies(UserName="mal")["PolicyNames"] == []


def test_inline_policy_roundtrip(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    iam.create_user(UserName="pol")
    doc = allow(["iam:GetUser", "iam:ListUsers"], "*")
    iam.put_user_policy(UserName="pol", PolicyName="read", PolicyDocument=json.dumps(doc))
    got = iam.get_user_policy(UserName="pol", PolicyName="read")
    assert got["PolicyDocument"] == doc  # boto3 decodes the URL-encoded JSON document
    assert iam.list_user_policies(UserName="pol")["PolicyNames"] == ["read"]
    cli = deployment.aws("iam", "get-user-policy", "--user-name", "pol", "--policy-name", "read")
    assert cli["PolicyDocument"] == doc
    iam.delete_user_policy(UserName="pol", PolicyName="read")
    with pytest.raises(ClientError) as e:
        iam.get_user_policy(UserName="pol", PolicyName="read")
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"


def test_attach_unknown_policy(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    iam.create_user(UserName="att")
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName="att", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.detach_user_policy(UserName="att", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
