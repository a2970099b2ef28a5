"""The account: aliases, GetAccountSummary, GetAccountAuthorizationDetails, credential reports,
through boto3 and the AWS CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import Deployment
from tests.e2e.helpers import allow, new_user

REPORT_HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_account_aliases(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    assert iam.list_account_aliases()["AccountAliases"] == []
    iam.create_account_alias(AccountAlias="sg-first")
    assert iam.list_account_aliases()["AccountAliases"] == ["sg-first"]
    iam.create_account_alias(AccountAlias="sg-second")  # an account has one alias: replaced
    assert iam.list_account_aliases()["AccountAliases"] == ["sg-second"]
    with pytest.raises(ClientError) as e:
        iam.create_account_alias(AccountAlias="Bad--Alias")
    assert error(e)[0] == "ValidationError"

    # Unique across the deployment: another account cannot take it.
    other = deployment.create_account()
    from tests.e2e.harness import Credentials

    theirs = deployment.client(
        "iam", Credentials(other["admin_access_key_id"], other["admin_secret_access_key"])
    )
    with pytest.raises(ClientError) as e:
        theirs.create_account_alias(AccountAlias="sg-second")
    assert error(e) == ("EntityAlreadyExists", "The account alias sg-second already exists.", 409)

    with pytest.raises(ClientError) as e:
        iam.delete_account_alias(AccountAlias="sg-first")
    assert error(e)[0] == "NoSuchEntity"
    deployment.aws("iam", "delete-account-alias", "--account-alias", "sg-second")
    assert deployment.aws("iam", "list-account-aliases")["AccountAliases"] == []
    theirs.create_account_alias(AccountAlias="sg-second")  # free again


def test_account_summary_counts(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    before = iam.get_account_summary()["SummaryMap"]
    assert before["UsersQuota"] == 5000 and before["AccessKeysPerUserQuota"] == 2
    assert before["AccountMFAEnabled"] == 0
    iam.create_user(UserName="sum-user")
    iam.create_virtual_mfa_device(VirtualMFADeviceName="sum-device")
    iam.create_open_id_connect_provider(
        Url="https://summary.example.com",
        ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
    )
    after = deployment.aws("iam", "get-account-summary")["SummaryMap"]
    assert after["Users"] == before["Users"] + 1
    assert after["MFADevices"] == before["MFADevices"] + 1
    assert after["MFADevicesInUse"] == before["MFADevicesInUse"]
    assert after["Providers"] == before["Providers"] + 1
    assert set(after) >= {
        "Users", "Groups", "Roles", "Policies", "PolicyVersionsInUse", "InstanceProfiles",
        "MFADevices", "MFADevicesInUse", "AccountMFAEnabled", "AccountAccessKeysPresent",
        "AccountSigningCertificatesPresent", "Providers", "ServerCertificates",
        "GroupsQuota", "RolesQuota", "PoliciesQuota", "PolicySizeQuota", "VersionsPerPolicyQuota",
    }  # fmt: skip


def test_authorization_details(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
    )
    iam.create_user(UserName="ad-user", Path="/ad/")
    iam.put_user_policy(UserName="ad-user", PolicyName="inline", PolicyDocument=doc)
    iam.attach_user_policy(UserName="ad-user", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    details = iam.get_account_authorization_details(Filter=["User", "AWSManagedPolicy"])
    [user] = [u for u in details["UserDetailList"] if u["UserName"] == "ad-user"]
    assert user["Path"] == "/ad/" and user["GroupList"] == []
    assert [p["PolicyName"] for p in user["UserPolicyList"]] == ["inline"]
    assert user["UserPolicyList"][0]["PolicyDocument"] == json.loads(doc)  # boto3 decodes it
    assert user["AttachedManagedPolicies"] == [
        {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    ]
    assert details["GroupDetailList"] == [] and details["RoleDetailList"] == []
    [ro] = [p for p in details["Policies"] if p["PolicyName"] == "ReadOnlyAccess"]
    assert ro["AttachmentCount"] >= 1 and ro["PolicyVersionList"][0]["IsDefaultVersion"]

    # Pagination, by boto3's paginator and by hand.
    pages = list(
        iam.get_paginator("get_account_authorization_details").paginate(
            PaginationConfig={"PageSize": 1}
        )
    )
    assert len(pages) > 1
    paged_users = [u["UserName"] for p in pages for u in p["UserDetailList"]]
    whole = iam.get_account_authorization_details(Filter=["User"])
    assert paged_users == [u["UserName"] for u in whole["UserDetailList"]]
    first = iam.get_account_authorization_details(Filter=["User"], MaxItems=1)
    assert first["IsTruncated"] is True and len(first["UserDetailList"]) == 1
    cli = deployment.aws("iam", "get-account-authorization-details", "--filter", "User")
    assert "ad-user" in [u["UserName"] for u in cli["UserDetailList"]]


def test_credential_report(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    with pytest.raises(ClientError) as e:
        iam.get_credential_report()
    assert error(e)[0] == "ReportNotPresent" and error(e)[2] == 410

    iam.create_user(UserName="cr-user")
    iam.create_login_profile(UserName="cr-user", Password="Report-Passw0rd")
    iam.create_access_key(UserName="cr-user")
    started = iam.generate_credential_report()
    assert started["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    text = report["Content"].decode()
    assert text.split("\n", 1)[0] == REPORT_HEADER
    rows = list(csv.DictReader(io.StringIO(text)))
    root = rows[0]
    assert root["user"] == "<root_account>" and root["arn"] == f"arn:aws:iam::{account}:root"
    assert root["password_enabled"] == "not_supported"
    assert root["password_next_rotation"] == "not_supported"
    [mine] = [r for r in rows if r["user"] == "cr-user"]
    assert mine["arn"] == f"arn:aws:iam::{account}:user/cr-user"
    assert mine["password_enabled"] == "true" and mine["password_last_used"] == "no_information"
    assert mine["password_next_rotation"] == "N/A" and mine["mfa_active"] == "false"
    assert mine["access_key_1_active"] == "true" and mine["access_key_1_last_used_date"] == "N/A"
    assert mine["access_key_2_active"] == "false" and mine["access_key_2_last_rotated"] == "N/A"
    assert mine["cert_1_active"] == "false" and mine["cert_2_last_rotated"] == "N/A"
    admin = [r for r in rows if r["user"] == "admin"]
    assert admin and admin[0]["password_enabled"] == "false"
    assert admin[0]["password_last_used"] == "N/A"

    cli = deployment.aws("iam", "get-credential-report")
    assert cli["ReportFormat"] == "text/csv" and cli["Content"]


def test_account_calls_need_their_actions(deployment: Deployment) -> None:
    creds = new_user(deployment, "acct-reader", allow("iam:GetAccountSummary"))
    me = deployment.client("iam", creds)
    assert "Users" in me.get_account_summary()["SummaryMap"]
    for call in (
        lambda: me.list_account_aliases(),
        lambda: me.get_account_authorization_details(),
        lambda: me.generate_credential_report(),
        lambda: me.create_account_alias(AccountAlias="sg-denied"),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert error(e)[0] == "AccessDenied"


def test_authorization_details_groups_roles_policies(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}],
    }
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    local = iam.create_policy(PolicyName="ad-local", PolicyDocument=json.dumps(doc))["Policy"][
        "Arn"
    ]
    iam.create_group(GroupName="ad-group")
    iam.put_group_policy(
        GroupName="ad-group", PolicyName="g-inline", PolicyDocument=json.dumps(doc)
    )
    iam.attach_group_policy(GroupName="ad-group", PolicyArn=local)
    iam.create_user(UserName="ad-member")
    iam.add_user_to_group(GroupName="ad-group", UserName="ad-member")
    iam.create_role(RoleName="ad-role", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="ad-role", PolicyName="r-inline", PolicyDocument=json.dumps(doc))
    iam.attach_role_policy(RoleName="ad-role", PolicyArn=local)
    iam.create_instance_profile(InstanceProfileName="ad-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="ad-profile", RoleName="ad-role")

    details = iam.get_account_authorization_details()
    [member] = [u for u in details["UserDetailList"] if u["UserName"] == "ad-member"]
    assert member["GroupList"] == ["ad-group"]
    [group] = [g for g in details["GroupDetailList"] if g["GroupName"] == "ad-group"]
    assert group["Arn"] == f"arn:aws:iam::{account}:group/ad-group"
    assert group["GroupPolicyList"] == [{"PolicyName": "g-inline", "PolicyDocument": doc}]
    assert group["AttachedManagedPolicies"] == [{"PolicyName": "ad-local", "PolicyArn": local}]
    [role] = [r for r in details["RoleDetailList"] if r["RoleName"] == "ad-role"]
    assert role["AssumeRolePolicyDocument"] == trust
    assert role["RolePolicyList"] == [{"PolicyName": "r-inline", "PolicyDocument": doc}]
    assert [p["InstanceProfileName"] for p in role["InstanceProfileList"]] == ["ad-profile"]
    [policy] = [p for p in details["Policies"] if p["Arn"] == local]
    assert policy["AttachmentCount"] == 2 and policy["DefaultVersionId"] == "v1"
    assert policy["PolicyVersionList"][0]["Document"] == doc

    only_local = iam.get_account_authorization_details(Filter=["LocalManagedPolicy"])
    assert only_local["UserDetailList"] == [] and only_local["RoleDetailList"] == []
    assert all(p["Arn"].startswith(f"arn:aws:iam::{account}:") for p in only_local["Policies"])
    assert local in [p["Arn"] for p in only_local["Policies"]]
