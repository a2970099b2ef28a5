"""The rest of IAM users through boto3 and the AWS CLI: UpdateUser, tags, permissions boundaries,
and the tag and boundary condition keys on user actions (issue 4)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import Deployment
from tests.e2e.helpers import allow, new_user


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = e.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


def test_update_user_renames_and_moves(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    creds = new_user(deployment, "before", allow("iam:GetUser"))
    iam.create_group(GroupName="RenameGroup")
    iam.add_user_to_group(GroupName="RenameGroup", UserName="before")
    user_id = iam.get_user(UserName="before")["User"]["UserId"]

    iam.update_user(UserName="before", NewUserName="after", NewPath="/moved/")
    got = iam.get_user(UserName="after")["User"]
    assert got["UserId"] == user_id
    assert got["Arn"] == f"arn:aws:iam::{account}:user/moved/after"
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName="before")
    assert error(e) == ("NoSuchEntity", "The user with name before cannot be found.")
    # Keys, inline policies and groups follow the user (they are keyed by its id).
    assert iam.list_user_policies(UserName="after")["PolicyNames"] == ["p0"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="after")["Groups"]] == [
        "RenameGroup"
    ]
    me = deployment.client("iam", creds).get_user()["User"]
    assert me["UserName"] == "after" and me["Path"] == "/moved/"

    iam.create_user(UserName="taken")
    with pytest.raises(ClientError) as e:
        iam.update_user(UserName="after", NewUserName="TAKEN")
    assert error(e) == ("EntityAlreadyExists", "User with name TAKEN already exists.")


def test_user_tags(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    iam.create_user(UserName="tagged", Tags=[{"Key": "team", "Value": "red"}])
    iam.tag_user(UserName="tagged", Tags=[{"Key": "env", "Value": "dev"}])
    iam.tag_user(UserName="tagged", Tags=[{"Key": "TEAM", "Value": "blue"}])
    assert iam.list_user_tags(UserName="tagged")["Tags"] == [
        {"Key": "TEAM", "Value": "blue"},
        {"Key": "env", "Value": "dev"},
    ]
    iam.untag_user(UserName="tagged", TagKeys=["team", "absent"])
    assert iam.list_user_tags(UserName="tagged")["Tags"] == [{"Key": "env", "Value": "dev"}]

    iam.tag_user(UserName="tagged", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    first = iam.list_user_tags(UserName="tagged", MaxItems=20)
    assert first["IsTruncated"] is True and len(first["Tags"]) == 20
    pages = iam.get_paginator("list_user_tags").paginate(
        UserName="tagged", PaginationConfig={"PageSize": 20}
    )
    assert len([t for p in pages for t in p["Tags"]]) == 50
    with pytest.raises(ClientError) as e:
        iam.tag_user(UserName="tagged", Tags=[{"Key": "one-more", "Value": "v"}])
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for TagsPerUser: 50")
    iam.tag_user(UserName="tagged", Tags=[{"Key": "K0", "Value": "replaced"}])  # not a new key
    with pytest.raises(ClientError) as e:
        iam.tag_user(UserName="tagged", Tags=[{"Key": "bad*key", "Value": "v"}])
    assert error(e)[0] == "ValidationError"
    with pytest.raises(ClientError) as e:
        iam.create_user(
            UserName="dup-tags", Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]
        )
    assert error(e) == (
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    )


def test_resource_tag_conditions(deployment: Deployment) -> None:
    """`iam:ResourceTag/K` and `aws:ResourceTag/K` of the target user; `aws:RequestTag/K` and
    `aws:TagKeys` of a tagging call."""
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:GetUser", "iam:ListUserTags"],
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:ResourceTag/team": "red"}},
            },
            {
                "Effect": "Allow",
                "Action": "iam:TagUser",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:ResourceTag/team": "red", "aws:RequestTag/env": "dev"},
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["env"]},
                },
            },
        ],
    }
    creds = new_user(deployment, "tag-checker", policy)
    checker = deployment.client("iam", creds)
    iam.create_user(UserName="red-user", Tags=[{"Key": "team", "Value": "red"}])
    iam.create_user(UserName="blue-user", Tags=[{"Key": "team", "Value": "blue"}])

    assert checker.get_user(UserName="red-user")["User"]["UserName"] == "red-user"
    with pytest.raises(ClientError) as e:
        checker.get_user(UserName="blue-user")
    code, message = error(e)
    assert code == "AccessDenied"
    assert message == (
        f"User: arn:aws:iam::{account}:user/tag-checker is not authorized to perform: "
        f"iam:GetUser on resource: arn:aws:iam::{account}:user/blue-user because no "
        "identity-based policy allows the iam:GetUser action"
    )
    checker.tag_user(UserName="red-user", Tags=[{"Key": "env", "Value": "dev"}])
    with pytest.raises(ClientError) as e:
        checker.tag_user(UserName="red-user", Tags=[{"Key": "env", "Value": "prod"}])
    assert error(e)[0] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        checker.tag_user(
            UserName="red-user", Tags=[{"Key": "env", "Value": "dev"}, {"Key": "x", "Value": "y"}]
        )
    assert error(e)[0] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        checker.tag_user(UserName="blue-user", Tags=[{"Key": "env", "Value": "dev"}])
    assert error(e)[0] == "AccessDenied"


def test_permissions_boundary(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    boundary = iam.create_policy(
        PolicyName="OnlyListUsers", PolicyDocument=json.dumps(allow("iam:ListUsers"))
    )["Policy"]["Arn"]
    creds = new_user(deployment, "bounded", allow("iam:*"))
    bounded = deployment.client("iam", creds)
    bounded.list_groups()  # no boundary yet

    iam.put_user_permissions_boundary(UserName="bounded", PermissionsBoundary=boundary)
    got = iam.get_user(UserName="bounded")["User"]
    assert got["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": boundary,
    }
    bounded.list_users()
    with pytest.raises(ClientError) as e:
        bounded.list_groups()
    code, message = error(e)
    assert code == "AccessDenied"
    assert message.startswith(
        f"User: arn:aws:iam::{account}:user/bounded is not authorized to perform: iam:ListGroups"
    )
    assert "permissions boundary" in message

    missing = f"arn:aws:iam::{account}:policy/NoSuchBoundary"
    with pytest.raises(ClientError) as e:
        iam.put_user_permissions_boundary(UserName="bounded", PermissionsBoundary=missing)
    assert error(e) == ("NoSuchEntity", f"Policy {missing} does not exist or is not attachable.")

    iam.delete_user_permissions_boundary(UserName="bounded")
    assert "PermissionsBoundary" not in iam.get_user(UserName="bounded")["User"]
    bounded.list_groups()


def test_boundary_condition_key(deployment: Deployment) -> None:
    """`iam:PermissionsBoundary` is the requested boundary for Put/CreateUser and the target's
    current one for its policy changes."""
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    good = iam.create_policy(PolicyName="GoodBoundary", PolicyDocument=json.dumps(allow("s3:*")))[
        "Policy"
    ]["Arn"]
    other = iam.create_policy(PolicyName="OtherBoundary", PolicyDocument=json.dumps(allow("s3:*")))[
        "Policy"
    ]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:PutUserPermissionsBoundary", "iam:PutUserPolicy"],
                "Resource": f"arn:aws:iam::{account}:user/*",
                "Condition": {"StringEquals": {"iam:PermissionsBoundary": good}},
            }
        ],
    }
    creds = new_user(deployment, "boundary-setter", policy)
    setter = deployment.client("iam", creds)
    iam.create_user(UserName="target-user")
    with pytest.raises(ClientError) as e:
        setter.put_user_permissions_boundary(UserName="target-user", PermissionsBoundary=other)
    assert error(e)[0] == "AccessDenied"
    with pytest.raises(ClientError) as e:  # no boundary on the target yet
        setter.put_user_policy(
            UserName="target-user", PolicyName="p", PolicyDocument=json.dumps(allow("s3:*"))
        )
    assert error(e)[0] == "AccessDenied"
    setter.put_user_permissions_boundary(UserName="target-user", PermissionsBoundary=good)
    setter.put_user_policy(
        UserName="target-user", PolicyName="p", PolicyDocument=json.dumps(allow("s3:*"))
    )


def test_user_extras_with_aws_cli(deployment: Deployment) -> None:
    deployment.aws("iam", "create-user", "--user-name", "cli-extra")
    deployment.aws("iam", "tag-user", "--user-name", "cli-extra", "--tags", "Key=a,Value=b")
    tags = deployment.aws("iam", "list-user-tags", "--user-name", "cli-extra")
    assert tags["Tags"] == [{"Key": "a", "Value": "b"}]
    deployment.aws(
        "iam", "update-user", "--user-name", "cli-extra", "--new-user-name", "cli-extra-2"
    )
    got = deployment.aws("iam", "get-user", "--user-name", "cli-extra-2")
    assert got["User"]["Tags"] == [{"Key": "a", "Value": "b"}]
