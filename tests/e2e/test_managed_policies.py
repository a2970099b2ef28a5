"""Customer and AWS managed policies through boto3 and the AWS CLI: create, read, list with
scope/usage filters, versions (at most five), deletion rules, entities, tags (issue 4)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import Deployment
from tests.e2e.helpers import allow, new_user


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = e.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


DOC = allow("s3:ListBucket", "arn:aws:s3:::bucket")


def test_create_get_and_validate(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    made = iam.create_policy(
        PolicyName="Team",
        Path="/team/",
        PolicyDocument=json.dumps(DOC),
        Description="for the team",
        Tags=[{"Key": "owner", "Value": "ana"}],
    )["Policy"]
    assert made["Arn"] == f"arn:aws:iam::{account}:policy/team/Team"
    assert made["PolicyId"].startswith("ANPA") and made["DefaultVersionId"] == "v1"
    assert made["AttachmentCount"] == 0 and made["IsAttachable"] is True
    got = iam.get_policy(PolicyArn=made["Arn"])["Policy"]
    assert got["Description"] == "for the team"
    assert got["Tags"] == [{"Key": "owner", "Value": "ana"}]
    assert got["CreateDate"] == made["CreateDate"]
    version = iam.get_policy_version(PolicyArn=made["Arn"], VersionId="v1")["PolicyVersion"]
    assert version["Document"] == DOC and version["IsDefaultVersion"] is True

    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName="team", PolicyDocument=json.dumps(DOC))
    assert error(e) == (
        "EntityAlreadyExists",
        "A policy called team already exists. Duplicate names are not allowed.",
    )
    no_version = {"Statement": DOC["Statement"]}
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName="NoVersion", PolicyDocument=json.dumps(no_version))
    assert error(e)[0] == "MalformedPolicyDocument"
    huge = allow("s3:GetObject", [f"arn:aws:s3:::b/{i:04d}" + "x" * 100 for i in range(60)])
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName="Huge", PolicyDocument=json.dumps(huge))
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for PolicySize: 6144")
    missing = f"arn:aws:iam::{account}:policy/Missing"
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn=missing)
    assert error(e) == ("NoSuchEntity", f"Policy {missing} does not exist or is not attachable.")


def test_list_policies_scope_and_filters(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    local = iam.create_policy(PolicyName="ListMe", Path="/list/", PolicyDocument=json.dumps(DOC))
    arn = local["Policy"]["Arn"]
    aws_names = {p["PolicyName"] for p in iam.list_policies(Scope="AWS")["Policies"]}
    assert "AdministratorAccess" in aws_names and "ListMe" not in aws_names
    local_names = {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]}
    assert "ListMe" in local_names and "AdministratorAccess" not in local_names
    assert [p["Arn"] for p in iam.list_policies(PathPrefix="/list/")["Policies"]] == [arn]
    listed = iam.list_policies(Scope="Local", PathPrefix="/list/")["Policies"][0]
    assert "Description" not in listed and "Tags" not in listed

    assert arn not in [p["Arn"] for p in iam.list_policies(OnlyAttached=True)["Policies"]]
    iam.create_user(UserName="list-user")
    iam.attach_user_policy(UserName="list-user", PolicyArn=arn)
    attached = iam.list_policies(OnlyAttached=True, PolicyUsageFilter="PermissionsPolicy")
    assert arn in [p["Arn"] for p in attached["Policies"]]
    bounded = iam.list_policies(OnlyAttached=True, PolicyUsageFilter="PermissionsBoundary")
    assert arn not in [p["Arn"] for p in bounded["Policies"]]
    iam.put_user_permissions_boundary(UserName="list-user", PermissionsBoundary=arn)
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["AttachmentCount"] == 1 and got["PermissionsBoundaryUsageCount"] == 1
    bounded = iam.list_policies(OnlyAttached=True, PolicyUsageFilter="PermissionsBoundary")
    assert arn in [p["Arn"] for p in bounded["Policies"]]

    pages = iam.get_paginator("list_policies").paginate(PaginationConfig={"PageSize": 3})
    every = [p["Arn"] for page in pages for p in page["Policies"]]
    assert len(every) == len(set(every)) and arn in every
    assert len(every) == len(iam.list_policies(MaxItems=1000)["Policies"])


def test_versions(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    arn = iam.create_policy(PolicyName="Versioned", PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
    v2 = iam.create_policy_version(
        PolicyArn=arn, PolicyDocument=json.dumps(allow("s3:*")), SetAsDefault=True
    )["PolicyVersion"]
    assert v2["VersionId"] == "v2" and v2["IsDefaultVersion"] is True
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    for _ in range(3):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC))
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]
    assert [v["IsDefaultVersion"] for v in versions] == [False, False, False, True, False]
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC))
    assert error(e) == (
        "LimitExceeded",
        "A managed policy can have up to 5 versions. Before you create a new version, "
        "you must delete an existing version.",
    )
    with pytest.raises(ClientError) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert error(e) == ("DeleteConflict", "Cannot delete the default version of a policy.")
    with pytest.raises(ClientError) as e:
        iam.set_default_policy_version(PolicyArn=arn, VersionId="v9")
    assert error(e) == (
        "NoSuchEntity",
        f"Policy {arn} version v9 does not exist or is not attachable.",
    )
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert error(e)[0] == "DeleteConflict"
    for vid in ("v2", "v3", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=vid)
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn=arn)
    assert error(e)[0] == "NoSuchEntity"


def test_new_default_version_takes_effect(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    creds = new_user(deployment, "versioned-user")
    as_user = deployment.client("iam", creds)
    arn = iam.create_policy(
        PolicyName="ListUsersOnly", PolicyDocument=json.dumps(allow("iam:ListUsers"))
    )["Policy"]["Arn"]
    iam.attach_user_policy(UserName="versioned-user", PolicyArn=arn)
    as_user.list_users()
    iam.create_policy_version(
        PolicyArn=arn, PolicyDocument=json.dumps(allow("iam:ListGroups")), SetAsDefault=True
    )
    with pytest.raises(ClientError) as e:
        as_user.list_users()
    assert error(e)[0] == "AccessDenied"
    as_user.list_groups()


def test_delete_attached_and_entities(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    arn = iam.create_policy(PolicyName="Shared", PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
    iam.create_user(UserName="shared-user")
    iam.create_group(GroupName="SharedGroup")
    iam.attach_user_policy(UserName="shared-user", PolicyArn=arn)
    iam.attach_group_policy(GroupName="SharedGroup", PolicyArn=arn)
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["shared-user"]
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == ["SharedGroup"]
    assert entities["PolicyRoles"] == []
    only_groups = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Group")
    assert only_groups["PolicyUsers"] == [] and len(only_groups["PolicyGroups"]) == 1
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 2

    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert error(e) == ("DeleteConflict", "Cannot delete a policy attached to entities.")
    iam.detach_user_policy(UserName="shared-user", PolicyArn=arn)
    iam.detach_group_policy(GroupName="SharedGroup", PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)


def test_aws_managed_policies_cannot_change(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["Arn"] == arn and got["PolicyName"] == "ReadOnlyAccess"
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert error(e)[0] == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC))
    assert error(e)[0] == "NoSuchEntity"


def test_user_policy_quota(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    iam.create_user(UserName="quota-user")
    doc = json.dumps(DOC)
    arns = [
        iam.create_policy(PolicyName=f"uq-{i}", PolicyDocument=doc)["Policy"]["Arn"]
        for i in range(11)
    ]
    for arn in arns[:10]:
        iam.attach_user_policy(UserName="quota-user", PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName="quota-user", PolicyArn=arns[10])
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for PoliciesPerUser: 10")


def test_policy_tags_and_cli(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    made = deployment.aws(
        "iam",
        "create-policy",
        "--policy-name",
        "CliPolicy",
        "--policy-document",
        json.dumps(DOC),
    )
    arn = made["Policy"]["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "A", "Value": "3"}])  # keys are case-insensitive
    tags = iam.list_policy_tags(PolicyArn=arn)["Tags"]
    assert tags == [{"Key": "A", "Value": "3"}, {"Key": "b", "Value": "2"}]
    iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as e:
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}])
    assert error(e) == (
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    )
    versions = deployment.aws("iam", "list-policy-versions", "--policy-arn", arn)
    assert [v["VersionId"] for v in versions["Versions"]] == ["v1"]
    deployment.aws("iam", "delete-policy", "--policy-arn", arn)
