"""Delegating user administration with a permissions boundary, and every way out of it closed
(issue 4, "Authorization").

The policies follow the IAM User Guide, *Permissions boundaries for IAM entities*, section
"Delegating responsibility to others using permissions boundaries": an administrator lets the
user `delegate` create users only with the `XCompanyBoundaries` boundary
(`CreateOrChangeOnlyWithBoundary`, keyed on `iam:PermissionsBoundary`), forbids editing the
boundary policies (`NoBoundaryPolicyEdit`) and removing boundaries (`NoBoundaryUserDelete`), and
bounds `delegate` itself with `DelegatedUserBoundary`. One adaptation: the guide's example lets
the delegate manage access keys, passwords, names and paths of every user; here that is limited to
users under the `/delegated/` path, so that it cannot take over an administrator's credentials
(directly, or by first moving the administrator under `/delegated/`).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import Credentials, Deployment


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = e.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


def company_boundary() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ServiceBoundaries",
                "Effect": "Allow",
                "Action": ["s3:*", "cloudwatch:*", "ec2:*", "iam:GetUser"],
                "Resource": "*",
            }
        ],
    }


def delegated_user_boundary(account: str) -> dict[str, Any]:
    company = f"arn:aws:iam::{account}:policy/XCompanyBoundaries"
    own = f"arn:aws:iam::{account}:policy/DelegatedUserBoundary"
    delegated_users = f"arn:aws:iam::{account}:user/delegated/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CreateOrChangeOnlyWithBoundary",
                "Effect": "Allow",
                "Action": [
                    "iam:CreateUser",
                    "iam:DeleteUserPolicy",
                    "iam:AttachUserPolicy",
                    "iam:DetachUserPolicy",
                    "iam:PutUserPermissionsBoundary",
                    "iam:PutUserPolicy",
                ],
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:PermissionsBoundary": company}},
            },
            {
                "Sid": "CloudWatchAndOtherIAMTasks",
                "Effect": "Allow",
                "Action": [
                    "cloudwatch:*",
                    "iam:GetUser",
                    "iam:ListUsers",
                    "iam:ListAttachedUserPolicies",
                    "iam:ListUserPolicies",
                    "iam:ListUserTags",
                    "iam:GetPolicy",
                    "iam:GetPolicyVersion",
                    "iam:ListPolicies",
                    "iam:ListPolicyVersions",
                    "iam:CreatePolicy",
                    "iam:CreatePolicyVersion",
                    "iam:SetDefaultPolicyVersion",
                    "iam:DeletePolicyVersion",
                    "iam:DeletePolicy",
                    "iam:ListEntitiesForPolicy",
                ],
                "Resource": "*",
            },
            {
                "Sid": "DelegatedUsersOnly",
                "Effect": "Allow",
                "Action": [
                    "iam:DeleteUser",
                    "iam:UpdateUser",
                    "iam:TagUser",
                    "iam:UntagUser",
                    "iam:CreateAccessKey",
                    "iam:ListAccessKeys",
                    "iam:DeleteAccessKey",
                    "iam:CreateLoginProfile",
                    "iam:DeleteLoginProfile",
                ],
                "Resource": delegated_users,
            },
            {
                "Sid": "NoBoundaryPolicyEdit",
                "Effect": "Deny",
                "Action": [
                    "iam:CreatePolicyVersion",
                    "iam:DeletePolicy",
                    "iam:DeletePolicyVersion",
                    "iam:SetDefaultPolicyVersion",
                ],
                "Resource": [company, own],
            },
            {
                "Sid": "NoBoundaryUserDelete",
                "Effect": "Deny",
                "Action": "iam:DeleteUserPermissionsBoundary",
                "Resource": "*",
            },
        ],
    }


@pytest.fixture(scope="module")
def setup(deployment: Deployment) -> dict[str, Any]:
    """The administrator's part: both boundary policies, and the user `delegate`."""
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    company = iam.create_policy(
        PolicyName="XCompanyBoundaries", PolicyDocument=json.dumps(company_boundary())
    )["Policy"]["Arn"]
    own = iam.create_policy(
        PolicyName="DelegatedUserBoundary",
        PolicyDocument=json.dumps(delegated_user_boundary(account)),
    )["Policy"]["Arn"]
    iam.create_user(UserName="delegate", PermissionsBoundary=own)
    iam.attach_user_policy(UserName="delegate", PolicyArn=own)
    key = iam.create_access_key(UserName="delegate")["AccessKey"]
    creds = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    return {
        "account": account,
        "company": company,
        "own": own,
        "creds": creds,
        "delegate": deployment.client("iam", creds),
        "arn": f"arn:aws:iam::{account}:user/delegate",
    }


def denied(e: pytest.ExceptionInfo[ClientError], setup: dict[str, Any], action: str) -> str:
    code, message = error(e)
    assert code == "AccessDenied", message
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert message.startswith(f"User: {setup['arn']} is not authorized to perform: {action}")
    return message


def explicit_deny(setup: dict[str, Any]) -> str:
    return f"with an explicit deny in an identity-based policy: {setup['own']}"


def test_delegate_creates_bounded_users(deployment: Deployment, setup: dict[str, Any]) -> None:
    """The allowed path, with the AWS CLI: a user under the company boundary, which then bounds
    even the AdministratorAccess the delegate attaches to it."""
    made = deployment.aws(
        "iam",
        "create-user",
        "--user-name",
        "worker",
        "--path",
        "/delegated/",
        "--permissions-boundary",
        setup["company"],
        creds=setup["creds"],
    )
    assert made["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == setup["company"]
    delegate = setup["delegate"]
    delegate.attach_user_policy(
        UserName="worker", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    key = delegate.create_access_key(UserName="worker")["AccessKey"]
    worker = Credentials(key["AccessKeyId"], key["SecretAccessKey"])

    assert deployment.client("iam", worker).get_user()["User"]["UserName"] == "worker"
    proc = deployment.aws(
        "iam", "create-user", "--user-name", "worker-made", creds=worker, check=False
    )
    assert proc.returncode != 0
    assert "AccessDenied" in proc.stderr
    assert "because no permissions boundary allows the iam:CreateUser action" in proc.stderr


def test_create_user_needs_the_boundary(deployment: Deployment, setup: dict[str, Any]) -> None:
    delegate = setup["delegate"]
    with pytest.raises(ClientError) as e:
        delegate.create_user(UserName="unbounded", Path="/delegated/")
    message = denied(e, setup, "iam:CreateUser")
    assert message.endswith("because no identity-based policy allows the iam:CreateUser action")
    with pytest.raises(ClientError) as e:
        delegate.create_user(
            UserName="admin-bounded",
            Path="/delegated/",
            PermissionsBoundary="arn:aws:iam::aws:policy/AdministratorAccess",
        )
    denied(e, setup, "iam:CreateUser")
    users = [u["UserName"] for u in delegate.list_users()["Users"]]
    assert "unbounded" not in users and "admin-bounded" not in users


def test_cannot_edit_the_boundary_policies(deployment: Deployment, setup: dict[str, Any]) -> None:
    iam = deployment.client("iam")
    delegate = setup["delegate"]
    permissive = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    )
    for arn in (setup["company"], setup["own"]):
        with pytest.raises(ClientError) as e:
            delegate.create_policy_version(
                PolicyArn=arn, PolicyDocument=permissive, SetAsDefault=True
            )
        message = denied(e, setup, "iam:CreatePolicyVersion")
        assert message.endswith(f"on resource: {arn} {explicit_deny(setup)}")
        with pytest.raises(ClientError) as e:
            delegate.delete_policy(PolicyArn=arn)
        denied(e, setup, "iam:DeletePolicy")

    # A permissive version the administrator left behind cannot be made the default either.
    iam.create_policy_version(PolicyArn=setup["company"], PolicyDocument=permissive)
    with pytest.raises(ClientError) as e:
        delegate.set_default_policy_version(PolicyArn=setup["company"], VersionId="v2")
    message = denied(e, setup, "iam:SetDefaultPolicyVersion")
    assert message.endswith(explicit_deny(setup))
    with pytest.raises(ClientError) as e:
        delegate.delete_policy_version(PolicyArn=setup["company"], VersionId="v2")
    denied(e, setup, "iam:DeletePolicyVersion")
    assert iam.get_policy(PolicyArn=setup["company"])["Policy"]["DefaultVersionId"] == "v1"
    iam.delete_policy_version(PolicyArn=setup["company"], VersionId="v2")

    # Its own policies it may still version: the deny names only the boundary policies.
    mine = delegate.create_policy(PolicyName="DelegatesOwn", PolicyDocument=permissive)
    delegate.create_policy_version(PolicyArn=mine["Policy"]["Arn"], PolicyDocument=permissive)


def test_cannot_remove_boundaries(deployment: Deployment, setup: dict[str, Any]) -> None:
    delegate = setup["delegate"]
    delegate.create_user(
        UserName="kept-bounded", Path="/delegated/", PermissionsBoundary=setup["company"]
    )
    for name in ("delegate", "kept-bounded"):
        with pytest.raises(ClientError) as e:
            delegate.delete_user_permissions_boundary(UserName=name)
        message = denied(e, setup, "iam:DeleteUserPermissionsBoundary")
        assert message.endswith(explicit_deny(setup))
    with pytest.raises(ClientError) as e:  # nor swap its own for a looser one
        delegate.put_user_permissions_boundary(
            UserName="delegate", PermissionsBoundary="arn:aws:iam::aws:policy/AdministratorAccess"
        )
    denied(e, setup, "iam:PutUserPermissionsBoundary")
    got = deployment.client("iam").get_user(UserName="delegate")["User"]
    assert got["PermissionsBoundary"]["PermissionsBoundaryArn"] == setup["own"]


def test_cannot_grant_itself_more(deployment: Deployment, setup: dict[str, Any]) -> None:
    delegate = setup["delegate"]
    account = setup["account"]
    with pytest.raises(ClientError) as e:
        delegate.attach_user_policy(
            UserName="delegate", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
        )
    message = denied(e, setup, "iam:AttachUserPolicy")
    assert f"on resource: arn:aws:iam::{account}:user/delegate because" in message
    with pytest.raises(ClientError) as e:
        delegate.put_user_policy(
            UserName="delegate",
            PolicyName="escape",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                }
            ),
        )
    denied(e, setup, "iam:PutUserPolicy")
    with pytest.raises(ClientError) as e:
        delegate.detach_user_policy(UserName="delegate", PolicyArn=setup["own"])
    denied(e, setup, "iam:DetachUserPolicy")
    attached = deployment.client("iam").list_attached_user_policies(UserName="delegate")
    assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == [setup["own"]]


def test_cannot_take_over_other_credentials(deployment: Deployment, setup: dict[str, Any]) -> None:
    iam = deployment.client("iam")
    delegate = setup["delegate"]
    account = setup["account"]
    iam.create_user(UserName="operator")
    iam.attach_user_policy(
        UserName="operator", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    with pytest.raises(ClientError) as e:
        delegate.create_access_key(UserName="operator")
    message = denied(e, setup, "iam:CreateAccessKey")
    assert message.endswith(
        f"on resource: arn:aws:iam::{account}:user/operator because no identity-based policy "
        "allows the iam:CreateAccessKey action"
    )
    with pytest.raises(ClientError) as e:
        delegate.create_access_key(UserName="admin")
    denied(e, setup, "iam:CreateAccessKey")
    assert iam.list_access_keys(UserName="operator")["AccessKeyMetadata"] == []

    with pytest.raises(ClientError) as e:
        delegate.create_login_profile(UserName="operator", Password="Str0ng-Passw0rd!x")
    message = denied(e, setup, "iam:CreateLoginProfile")
    assert message.endswith(
        "because no identity-based policy allows the iam:CreateLoginProfile action"
    )
    with pytest.raises(ClientError) as e:
        iam.get_login_profile(UserName="operator")
    assert error(e)[0] == "NoSuchEntity"

    # Nor can it first move an administrator into its reach.
    with pytest.raises(ClientError) as e:
        delegate.update_user(UserName="operator", NewPath="/delegated/")
    message = denied(e, setup, "iam:UpdateUser")
    assert f"on resource: arn:aws:iam::{account}:user/operator because" in message
    assert iam.get_user(UserName="operator")["User"]["Path"] == "/"
    # Users it made are its to manage.
    delegate.create_user(
        UserName="temp-worker", Path="/delegated/", PermissionsBoundary=setup["company"]
    )
    delegate.update_user(UserName="temp-worker", NewUserName="temp-worker-2")
    # Renaming and moving need permission on the old and the new ARN: none out of its reach.
    with pytest.raises(ClientError) as e:
        delegate.update_user(UserName="temp-worker-2", NewPath="/")
    message = denied(e, setup, "iam:UpdateUser")
    assert f"on resource: arn:aws:iam::{account}:user/temp-worker-2 because" in message
    delegate.delete_user(UserName="temp-worker-2")
