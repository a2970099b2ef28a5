"""Instance profiles through boto3 and the AWS CLI: lifecycle, the one role, tags, errors and
authorization, including iam:PassRole for AddRoleToInstanceProfile (issue 4, part B)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import Deployment
from tests.e2e.helpers import allow, new_user

EC2_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = e.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


def test_instance_profile_lifecycle_boto3(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    made = iam.create_instance_profile(
        InstanceProfileName="web", Path="/apps/", Tags=[{"Key": "tier", "Value": "web"}]
    )["InstanceProfile"]
    assert made["Arn"] == f"arn:aws:iam::{account}:instance-profile/apps/web"
    assert made["InstanceProfileId"].startswith("AIPA") and len(made["InstanceProfileId"]) == 21
    assert made["Roles"] == [] and made["Tags"] == [{"Key": "tier", "Value": "web"}]
    with pytest.raises(ClientError) as e:
        iam.create_instance_profile(InstanceProfileName="WEB")
    assert error(e) == ("EntityAlreadyExists", "Instance Profile WEB already exists.")

    role = iam.create_role(RoleName="web-role", AssumeRolePolicyDocument=EC2_TRUST)["Role"]
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="web-role")
    got = iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]
    assert [r["RoleId"] for r in got["Roles"]] == [role["RoleId"]]
    assert got["Roles"][0]["AssumeRolePolicyDocument"] == json.loads(EC2_TRUST)
    assert got["CreateDate"] == made["CreateDate"]

    for_role = iam.list_instance_profiles_for_role(RoleName="web-role")["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in for_role] == ["web"]
    listed = iam.list_instance_profiles(PathPrefix="/apps/")["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in listed] == ["web"]
    assert "Tags" not in listed[0] and listed[0]["Roles"][0]["RoleName"] == "web-role"

    # One role per instance profile, a quota AWS does not raise.
    iam.create_role(RoleName="other-role", AssumeRolePolicyDocument=EC2_TRUST)
    for name in ("other-role", "web-role"):
        with pytest.raises(ClientError) as e:
            iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName=name)
        assert error(e) == (
            "LimitExceeded",
            "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
        )
    with pytest.raises(ClientError) as e:
        iam.delete_instance_profile(InstanceProfileName="web")
    assert error(e) == (
        "DeleteConflict",
        "Cannot delete entity, must remove roles from instance profile first.",
    )
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="web-role")
    assert error(e) == (
        "DeleteConflict",
        "Cannot delete entity, must remove roles from instance profile first.",
    )
    with pytest.raises(ClientError) as e:
        iam.remove_role_from_instance_profile(InstanceProfileName="web", RoleName="other-role")
    assert error(e)[0] == "NoSuchEntity"
    iam.remove_role_from_instance_profile(InstanceProfileName="web", RoleName="web-role")
    assert iam.list_instance_profiles_for_role(RoleName="web-role")["InstanceProfiles"] == []
    iam.delete_role(RoleName="web-role")
    iam.delete_instance_profile(InstanceProfileName="web")
    with pytest.raises(ClientError) as e:
        iam.get_instance_profile(InstanceProfileName="web")
    assert error(e) == ("NoSuchEntity", "Instance Profile web cannot be found.")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_missing_instance_profile_and_role(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    for method, extra in [
        ("get_instance_profile", {}),
        ("delete_instance_profile", {}),
        ("list_instance_profile_tags", {}),
        ("tag_instance_profile", {"Tags": [{"Key": "k", "Value": "v"}]}),
        ("untag_instance_profile", {"TagKeys": ["k"]}),
        ("add_role_to_instance_profile", {"RoleName": "ghost"}),
        ("remove_role_from_instance_profile", {"RoleName": "ghost"}),
    ]:
        with pytest.raises(ClientError) as e:
            getattr(iam, method)(InstanceProfileName="ghost-profile", **extra)
        assert error(e) == ("NoSuchEntity", "Instance Profile ghost-profile cannot be found."), (
            method
        )
    iam.create_instance_profile(InstanceProfileName="lonely")
    with pytest.raises(ClientError) as e:
        iam.add_role_to_instance_profile(InstanceProfileName="lonely", RoleName="ghost-role")
    assert error(e) == ("NoSuchEntity", "The role with name ghost-role cannot be found.")


def test_instance_profile_pagination_and_tags(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    for i in range(5):
        iam.create_instance_profile(InstanceProfileName=f"pg-ip-{i}", Path="/paged/")
    pages = iam.get_paginator("list_instance_profiles").paginate(
        PathPrefix="/paged/", PaginationConfig={"PageSize": 2}
    )
    names = [p["InstanceProfileName"] for page in pages for p in page["InstanceProfiles"]]
    assert names == [f"pg-ip-{i}" for i in range(5)]
    first = iam.list_instance_profiles(PathPrefix="/paged/", MaxItems=3)
    assert first["IsTruncated"] and len(first["InstanceProfiles"]) == 3

    # Instance profile tag keys are case-sensitive: Env and env are two tags.
    iam.tag_instance_profile(
        InstanceProfileName="pg-ip-0",
        Tags=[{"Key": "Env", "Value": "a"}, {"Key": "env", "Value": "b"}],
    )
    iam.tag_instance_profile(InstanceProfileName="pg-ip-0", Tags=[{"Key": "Env", "Value": "c"}])
    assert iam.list_instance_profile_tags(InstanceProfileName="pg-ip-0")["Tags"] == [
        {"Key": "Env", "Value": "c"},
        {"Key": "env", "Value": "b"},
    ]
    iam.untag_instance_profile(InstanceProfileName="pg-ip-0", TagKeys=["env", "absent"])
    got = iam.get_instance_profile(InstanceProfileName="pg-ip-0")["InstanceProfile"]
    assert got["Tags"] == [{"Key": "Env", "Value": "c"}]
    with pytest.raises(ClientError) as e:
        iam.tag_instance_profile(
            InstanceProfileName="pg-ip-1",
            Tags=[{"Key": "k0", "Value": "v"}, {"Key": "k0", "Value": "again"}],
        )
    assert error(e)[0] == "InvalidInput"
    iam.tag_instance_profile(
        InstanceProfileName="pg-ip-1", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    )
    with pytest.raises(ClientError) as e:
        iam.tag_instance_profile(InstanceProfileName="pg-ip-1", Tags=[{"Key": "x", "Value": "y"}])
    assert error(e)[0] == "LimitExceeded"
    page = iam.list_instance_profile_tags(InstanceProfileName="pg-ip-1", MaxItems=30)
    assert page["IsTruncated"] and len(page["Tags"]) == 30


def test_instance_profile_cli(deployment: Deployment) -> None:
    made = deployment.aws(
        "iam", "create-instance-profile", "--instance-profile-name", "cli-ip", "--path", "/c/"
    )
    assert made["InstanceProfile"]["Path"] == "/c/"
    deployment.aws(
        "iam",
        "create-role",
        "--role-name",
        "cli-ip-role",
        "--assume-role-policy-document",
        EC2_TRUST,
    )
    deployment.aws(
        "iam",
        "add-role-to-instance-profile",
        "--instance-profile-name",
        "cli-ip",
        "--role-name",
        "cli-ip-role",
    )
    got = deployment.aws("iam", "get-instance-profile", "--instance-profile-name", "cli-ip")
    assert [r["RoleName"] for r in got["InstanceProfile"]["Roles"]] == ["cli-ip-role"]
    for_role = deployment.aws(
        "iam", "list-instance-profiles-for-role", "--role-name", "cli-ip-role"
    )
    assert [p["InstanceProfileName"] for p in for_role["InstanceProfiles"]] == ["cli-ip"]
    assert "cli-ip" in [
        p["InstanceProfileName"]
        for p in deployment.aws("iam", "list-instance-profiles")["InstanceProfiles"]
    ]
    deployment.aws(
        "iam",
        "tag-instance-profile",
        "--instance-profile-name",
        "cli-ip",
        "--tags",
        "Key=a,Value=b",
    )
    tags = deployment.aws("iam", "list-instance-profile-tags", "--instance-profile-name", "cli-ip")
    assert tags["Tags"] == [{"Key": "a", "Value": "b"}]
    deployment.aws(
        "iam", "untag-instance-profile", "--instance-profile-name", "cli-ip", "--tag-keys", "a"
    )
    refused = deployment.aws(
        "iam", "delete-instance-profile", "--instance-profile-name", "cli-ip", check=False
    )
    assert refused.returncode != 0 and "DeleteConflict" in refused.stderr
    deployment.aws(
        "iam",
        "remove-role-from-instance-profile",
        "--instance-profile-name",
        "cli-ip",
        "--role-name",
        "cli-ip-role",
    )
    deployment.aws("iam", "delete-instance-profile", "--instance-profile-name", "cli-ip")
    gone = deployment.aws(
        "iam", "get-instance-profile", "--instance-profile-name", "cli-ip", check=False
    )
    assert gone.returncode != 0 and "NoSuchEntity" in gone.stderr


# -- authorization -------------------------------------------------------------------------------


def test_add_role_needs_pass_role(deployment: Deployment) -> None:
    account = deployment.account["account_id"]
    admin = deployment.client("iam")
    admin.create_role(RoleName="ec2-ok", Path="/ec2/", AssumeRolePolicyDocument=EC2_TRUST)
    admin.create_role(RoleName="ec2-secret", Path="/secret/", AssumeRolePolicyDocument=EC2_TRUST)
    profile_actions = [
        "iam:CreateInstanceProfile",
        "iam:AddRoleToInstanceProfile",
        "iam:RemoveRoleFromInstanceProfile",
        "iam:GetInstanceProfile",
    ]
    creds = new_user(
        deployment,
        "profile-admin",
        allow(profile_actions, f"arn:aws:iam::{account}:instance-profile/*"),
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": f"arn:aws:iam::{account}:role/ec2/*",
                    "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
                }
            ],
        },
    )
    iam = deployment.client("iam", creds)
    iam.create_instance_profile(InstanceProfileName="pass-a")
    iam.add_role_to_instance_profile(InstanceProfileName="pass-a", RoleName="ec2-ok")
    iam.create_instance_profile(InstanceProfileName="pass-b")
    with pytest.raises(ClientError) as e:
        iam.add_role_to_instance_profile(InstanceProfileName="pass-b", RoleName="ec2-secret")
    code, message = error(e)
    assert code == "AccessDenied"
    assert f"iam:PassRole on resource: arn:aws:iam::{account}:role/secret/ec2-secret" in message
    assert (
        admin.get_instance_profile(InstanceProfileName="pass-b")["InstanceProfile"]["Roles"] == []
    )
    # Without PassRole at all, even the allowed profile action is not enough.
    bare = deployment.client("iam", new_user(deployment, "no-pass", allow(profile_actions, "*")))
    with pytest.raises(ClientError) as e:
        bare.add_role_to_instance_profile(InstanceProfileName="pass-b", RoleName="ec2-ok")
    assert error(e)[0] == "AccessDenied"


def test_profile_path_and_tag_conditions(deployment: Deployment) -> None:
    account = deployment.account["account_id"]
    admin = deployment.client("iam")
    admin.create_instance_profile(
        InstanceProfileName="tagged-green", Tags=[{"Key": "team", "Value": "green"}]
    )
    admin.create_instance_profile(
        InstanceProfileName="tagged-red", Tags=[{"Key": "team", "Value": "red"}]
    )
    creds = new_user(
        deployment,
        "profile-reader",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["iam:GetInstanceProfile", "iam:DeleteInstanceProfile"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:ResourceTag/team": "green"}},
                },
                {
                    "Effect": "Allow",
                    "Action": ["iam:ListInstanceProfiles", "iam:CreateInstanceProfile"],
                    "Resource": f"arn:aws:iam::{account}:instance-profile/mine/*",
                },
                {
                    "Effect": "Deny",
                    "Action": "iam:DeleteInstanceProfile",
                    "Resource": f"arn:aws:iam::{account}:instance-profile/tagged-green",
                },
            ],
        },
    )
    iam = deployment.client("iam", creds)
    assert iam.get_instance_profile(InstanceProfileName="tagged-green")["InstanceProfile"]
    with pytest.raises(ClientError) as e:
        iam.get_instance_profile(InstanceProfileName="tagged-red")
    assert error(e)[0] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        iam.delete_instance_profile(InstanceProfileName="tagged-green")
    code, message = error(e)
    assert code == "AccessDenied" and "explicit deny" in message
    iam.create_instance_profile(InstanceProfileName="own", Path="/mine/")
    assert [
        p["InstanceProfileName"]
        for p in iam.list_instance_profiles(PathPrefix="/mine/")["InstanceProfiles"]
    ] == ["own"]
    with pytest.raises(ClientError) as e:
        iam.list_instance_profiles()
    assert error(e)[0] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        iam.create_instance_profile(InstanceProfileName="elsewhere", Path="/theirs/")
    assert error(e)[0] == "AccessDenied"
