"""IAM groups through boto3 and the AWS CLI: lifecycle, membership, group policies, and group
policies applying to members (issue 4)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import Deployment
from tests.e2e.helpers import allow, new_user


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = e.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


def test_group_lifecycle(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    made = iam.create_group(GroupName="Devs", Path="/eng/")["Group"]
    assert made["Arn"] == f"arn:aws:iam::{account}:group/eng/Devs"
    assert made["GroupId"].startswith("AGPA") and len(made["GroupId"]) == 21
    with pytest.raises(ClientError) as e:
        iam.create_group(GroupName="devs")
    assert error(e) == ("EntityAlreadyExists", "Group with name devs already exists.")

    got = iam.get_group(GroupName="Devs")
    assert got["Group"]["GroupId"] == made["GroupId"] and got["Users"] == []
    assert got["IsTruncated"] is False
    assert [g["GroupName"] for g in iam.list_groups(PathPrefix="/eng/")["Groups"]] == ["Devs"]

    iam.update_group(GroupName="Devs", NewGroupName="Developers", NewPath="/dev/")
    got = iam.get_group(GroupName="Developers")["Group"]
    assert got["GroupId"] == made["GroupId"]
    assert got["Arn"] == f"arn:aws:iam::{account}:group/dev/Developers"
    with pytest.raises(ClientError) as e:
        iam.get_group(GroupName="Devs")
    assert error(e) == ("NoSuchEntity", "The group with name Devs cannot be found.")

    iam.delete_group(GroupName="Developers")
    assert "Developers" not in [g["GroupName"] for g in iam.list_groups()["Groups"]]


def test_membership_and_delete_conflicts(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    iam.create_group(GroupName="Ops")
    for name in ("ops-a", "ops-b", "ops-c"):
        iam.create_user(UserName=name)
        iam.add_user_to_group(GroupName="Ops", UserName=name)
    iam.add_user_to_group(GroupName="Ops", UserName="ops-a")  # again: no-op

    first = iam.get_group(GroupName="Ops", MaxItems=2)
    assert first["IsTruncated"] is True
    rest = iam.get_group(GroupName="Ops", Marker=first["Marker"])
    names = [u["UserName"] for u in first["Users"] + rest["Users"]]
    assert names == ["ops-a", "ops-b", "ops-c"]
    paginated = iam.get_paginator("get_group").paginate(
        GroupName="Ops", PaginationConfig={"PageSize": 1}
    )
    assert [u["UserName"] for p in paginated for u in p["Users"]] == names
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="ops-a")["Groups"]] == ["Ops"]

    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName="Ops")
    assert error(e) == (
        "DeleteConflict",
        "Cannot delete entity, must remove users from group first.",
    )
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="ops-a")
    assert error(e) == (
        "DeleteConflict",
        "Cannot delete entity, must remove users from group first.",
    )
    for name in ("ops-a", "ops-b", "ops-c"):
        iam.remove_user_from_group(GroupName="Ops", UserName=name)
        iam.delete_user(UserName=name)

    iam.put_group_policy(
        GroupName="Ops", PolicyName="inline", PolicyDocument=json.dumps(allow("s3:*"))
    )
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName="Ops")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must delete policies first.")
    iam.delete_group_policy(GroupName="Ops", PolicyName="inline")
    iam.attach_group_policy(GroupName="Ops", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName="Ops")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.")
    iam.detach_group_policy(GroupName="Ops", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.delete_group(GroupName="Ops")


def test_group_inline_policies(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    iam.create_group(GroupName="Inline")
    doc = allow("s3:GetObject", "arn:aws:s3:::bucket/*")
    iam.put_group_policy(GroupName="Inline", PolicyName="Read", PolicyDocument=json.dumps(doc))
    got = iam.get_group_policy(GroupName="Inline", PolicyName="Read")
    assert got["PolicyDocument"] == doc and got["GroupName"] == "Inline"
    assert iam.list_group_policies(GroupName="Inline")["PolicyNames"] == ["Read"]
    with pytest.raises(ClientError) as e:
        iam.get_group_policy(GroupName="Inline", PolicyName="Nope")
    assert error(e) == ("NoSuchEntity", "The group policy with name Nope cannot be found.")

    # The group's inline policies together may not exceed 5,120 characters without white space.
    big = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "x" * 2600}
        ],
    }
    iam.put_group_policy(GroupName="Inline", PolicyName="Big1", PolicyDocument=json.dumps(big))
    with pytest.raises(ClientError) as e:
        iam.put_group_policy(GroupName="Inline", PolicyName="Big2", PolicyDocument=json.dumps(big))
    assert error(e) == (
        "LimitExceeded",
        "Maximum policy size of 5120 bytes exceeded for group Inline",
    )
    with pytest.raises(ClientError) as e:
        iam.put_group_policy(GroupName="Inline", PolicyName="Bad", PolicyDocument="{}")
    assert error(e)[0] == "MalformedPolicyDocument"


def test_attached_group_policy_quota(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    iam.create_group(GroupName="Quota")
    doc = json.dumps(allow("s3:ListBucket"))
    arns = [
        iam.create_policy(PolicyName=f"quota-{i}", PolicyDocument=doc)["Policy"]["Arn"]
        for i in range(11)
    ]
    for arn in arns[:10]:
        iam.attach_group_policy(GroupName="Quota", PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.attach_group_policy(GroupName="Quota", PolicyArn=arns[10])
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for PoliciesPerGroup: 10")
    listed = iam.list_attached_group_policies(GroupName="Quota", MaxItems=4)
    assert listed["IsTruncated"] is True and len(listed["AttachedPolicies"]) == 4
    missing = f"arn:aws:iam::{account}:policy/none"
    with pytest.raises(ClientError) as e:
        iam.attach_group_policy(GroupName="Quota", PolicyArn=missing)
    assert error(e) == ("NoSuchEntity", f"Policy {missing} does not exist or is not attachable.")


def test_group_policies_apply_to_members(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    creds = new_user(deployment, "member")
    as_member = deployment.client("iam", creds)
    with pytest.raises(ClientError) as e:
        as_member.list_groups()
    assert error(e)[0] == "AccessDenied"

    iam.create_group(GroupName="Readers")
    iam.add_user_to_group(GroupName="Readers", UserName="member")
    iam.attach_group_policy(
        GroupName="Readers", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    )
    assert "Readers" in [g["GroupName"] for g in as_member.list_groups()["Groups"]]

    # An explicit deny in a group's inline policy wins, and the message names the group's policy.
    iam.put_group_policy(
        GroupName="Readers",
        PolicyName="NoGroups",
        PolicyDocument=json.dumps(allow("iam:ListGroups", effect="Deny")),
    )
    with pytest.raises(ClientError) as e:
        as_member.list_groups()
    code, message = error(e)
    assert code == "AccessDenied"
    assert message.endswith(
        f"with an explicit deny in an identity-based policy: "
        f"arn:aws:iam::{account}:group/Readers inline policy NoGroups"
    ), message

    # Leaving the group takes its policies away on the next request.
    iam.remove_user_from_group(GroupName="Readers", UserName="member")
    with pytest.raises(ClientError) as e:
        as_member.list_users()
    assert error(e)[0] == "AccessDenied"


def test_groups_with_aws_cli(deployment: Deployment) -> None:
    made = deployment.aws("iam", "create-group", "--group-name", "cli-group", "--path", "/cli/")
    assert made["Group"]["GroupName"] == "cli-group"
    deployment.aws("iam", "create-user", "--user-name", "cli-member")
    deployment.aws(
        "iam", "add-user-to-group", "--group-name", "cli-group", "--user-name", "cli-member"
    )
    got = deployment.aws("iam", "get-group", "--group-name", "cli-group")
    assert [u["UserName"] for u in got["Users"]] == ["cli-member"]
    listed = deployment.aws("iam", "list-groups", "--path-prefix", "/cli/")
    assert [g["GroupName"] for g in listed["Groups"]] == ["cli-group"]
