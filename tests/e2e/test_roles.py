"""IAM roles through boto3 and the AWS CLI: lifecycle, trust policies, role policies, boundaries,
tags, service-linked roles, errors and authorization (issue 4, part B)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.harness import Deployment
from tests.e2e.helpers import allow, new_user

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
TRUST_DOC = json.dumps(TRUST)
S3_READ = allow("s3:GetObject", "arn:aws:s3:::bucket/*")


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = e.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


def unvalidated(d: Deployment) -> Any:
    """An IAM client that sends what it is given, for the server's own input validation."""
    return boto3.session.Session().client(
        "iam",
        endpoint_url=d.endpoint,
        region_name="us-east-1",
        aws_access_key_id=d.admin.access_key_id,
        aws_secret_access_key=d.admin.secret_access_key,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )


def status(e: pytest.ExceptionInfo[ClientError]) -> int:
    return int(e.value.response["ResponseMetadata"]["HTTPStatusCode"])


def test_role_lifecycle_boto3(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    made = iam.create_role(
        RoleName="ml-exec",
        Path="/ml/",
        AssumeRolePolicyDocument=TRUST_DOC,
        Description="runs training",
        MaxSessionDuration=7200,
        Tags=[{"Key": "team", "Value": "ml"}],
    )["Role"]
    assert made["Arn"] == f"arn:aws:iam::{account}:role/ml/ml-exec"
    assert made["RoleId"].startswith("AROA") and len(made["RoleId"]) == 21
    assert made["Path"] == "/ml/" and made["RoleName"] == "ml-exec"
    assert made["AssumeRolePolicyDocument"] == TRUST  # boto3 decodes the URL-encoded JSON
    assert made["Tags"] == [{"Key": "team", "Value": "ml"}]

    got = iam.get_role(RoleName="ML-EXEC")["Role"]  # names are case-insensitive
    assert got["RoleId"] == made["RoleId"] and got["CreateDate"] == made["CreateDate"]
    assert got["Description"] == "runs training" and got["MaxSessionDuration"] == 7200
    assert got["RoleLastUsed"] == {}
    assert got["AssumeRolePolicyDocument"] == TRUST

    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="Ml-Exec", AssumeRolePolicyDocument=TRUST_DOC)
    assert error(e) == ("EntityAlreadyExists", "Role with name Ml-Exec already exists.")
    assert status(e) == 409

    iam.update_role(RoleName="ml-exec", Description="new words", MaxSessionDuration=43200)
    got = iam.get_role(RoleName="ml-exec")["Role"]
    assert got["Description"] == "new words" and got["MaxSessionDuration"] == 43200
    described = iam.update_role_description(RoleName="ml-exec", Description="third")["Role"]
    assert described["Description"] == "third" and described["RoleName"] == "ml-exec"

    new_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.update_assume_role_policy(RoleName="ml-exec", PolicyDocument=json.dumps(new_trust))
    assert iam.get_role(RoleName="ml-exec")["Role"]["AssumeRolePolicyDocument"] == new_trust

    listed = iam.list_roles(PathPrefix="/ml/")["Roles"]
    assert [r["RoleName"] for r in listed] == ["ml-exec"]
    # Listing leaves out PermissionsBoundary, Tags and RoleLastUsed, as AWS does.
    assert "Tags" not in listed[0] and "RoleLastUsed" not in listed[0]
    assert listed[0]["Description"] == "third"

    iam.delete_role(RoleName="ml-exec")
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="ml-exec")
    assert error(e) == ("NoSuchEntity", "The role with name ml-exec cannot be found.")
    assert status(e) == 404


def test_list_roles_pagination(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    for i in range(5):
        iam.create_role(RoleName=f"pg-role-{i}", Path="/paged/", AssumeRolePolicyDocument=TRUST_DOC)
    first = iam.list_roles(PathPrefix="/paged/", MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Roles"]) == 2
    pages = iam.get_paginator("list_roles").paginate(
        PathPrefix="/paged/", PaginationConfig={"PageSize": 2}
    )
    assert [r["RoleName"] for p in pages for r in p["Roles"]] == [f"pg-role-{i}" for i in range(5)]
    assert iam.list_roles(PathPrefix="/nothing-here/")["Roles"] == []


def test_role_lifecycle_cli(deployment: Deployment) -> None:
    made = deployment.aws(
        "iam",
        "create-role",
        "--role-name",
        "cli-role",
        "--assume-role-policy-document",
        TRUST_DOC,
        "--tags",
        "Key=env,Value=dev",
    )
    assert made["Role"]["RoleName"] == "cli-role"
    got = deployment.aws("iam", "get-role", "--role-name", "cli-role")["Role"]
    assert got["AssumeRolePolicyDocument"] == TRUST and got["MaxSessionDuration"] == 3600
    deployment.aws(
        "iam",
        "put-role-policy",
        "--role-name",
        "cli-role",
        "--policy-name",
        "read",
        "--policy-document",
        json.dumps(S3_READ),
    )
    assert deployment.aws("iam", "list-role-policies", "--role-name", "cli-role") == {
        "PolicyNames": ["read"]
    }
    doc = deployment.aws(
        "iam", "get-role-policy", "--role-name", "cli-role", "--policy-name", "read"
    )
    assert doc["PolicyDocument"] == S3_READ
    deployment.aws(
        "iam",
        "attach-role-policy",
        "--role-name",
        "cli-role",
        "--policy-arn",
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    )
    attached = deployment.aws("iam", "list-attached-role-policies", "--role-name", "cli-role")
    assert attached["AttachedPolicies"] == [
        {
            "PolicyName": "AmazonS3ReadOnlyAccess",
            "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        }
    ]
    refused = deployment.aws("iam", "delete-role", "--role-name", "cli-role", check=False)
    assert refused.returncode != 0 and "DeleteConflict" in refused.stderr
    deployment.aws(
        "iam",
        "detach-role-policy",
        "--role-name",
        "cli-role",
        "--policy-arn",
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    )
    deployment.aws("iam", "delete-role-policy", "--role-name", "cli-role", "--policy-name", "read")
    deployment.aws("iam", "tag-role", "--role-name", "cli-role", "--tags", "Key=a,Value=1")
    tags = deployment.aws("iam", "list-role-tags", "--role-name", "cli-role")["Tags"]
    assert tags == [{"Key": "env", "Value": "dev"}, {"Key": "a", "Value": "1"}]
    deployment.aws("iam", "untag-role", "--role-name", "cli-role", "--tag-keys", "env")
    deployment.aws(
        "iam", "update-role", "--role-name", "cli-role", "--max-session-duration", "5000"
    )
    deployment.aws(
        "iam",
        "update-assume-role-policy",
        "--role-name",
        "cli-role",
        "--policy-document",
        TRUST_DOC,
    )
    assert deployment.aws("iam", "list-role-tags", "--role-name", "cli-role")["Tags"] == [
        {"Key": "a", "Value": "1"}
    ]
    assert "cli-role" in [r["RoleName"] for r in deployment.aws("iam", "list-roles")["Roles"]]
    deployment.aws("iam", "delete-role", "--role-name", "cli-role")
    gone = deployment.aws("iam", "get-role", "--role-name", "cli-role", check=False)
    assert gone.returncode != 0 and "NoSuchEntity" in gone.stderr


def test_create_role_input_errors(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="bad-trust", AssumeRolePolicyDocument="{not json")
    assert error(e)[0] == "MalformedPolicyDocument"
    # A trust policy needs a Principal and may not name a Resource.
    no_principal = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}],
    }
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="bad-trust", AssumeRolePolicyDocument=json.dumps(no_principal))
    assert error(e)[0] == "MalformedPolicyDocument"
    with_resource = {
        "Version": "2012-10-17",
        "Statement": [{**TRUST["Statement"][0], "Resource": "*"}],
    }
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="bad-trust", AssumeRolePolicyDocument=json.dumps(with_resource))
    assert error(e)[0] == "MalformedPolicyDocument"
    big = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{i:012d}:root" for i in range(80)]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="bad-trust", AssumeRolePolicyDocument=json.dumps(big))
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048")

    raw = unvalidated(deployment)
    for duration in (3599, 43201):
        with pytest.raises(ClientError) as e:
            raw.create_role(
                RoleName="bad-duration",
                AssumeRolePolicyDocument=TRUST_DOC,
                MaxSessionDuration=duration,
            )
        assert error(e)[0] == "ValidationError"
    with pytest.raises(ClientError) as e:
        raw.create_role(RoleName="bad name!", AssumeRolePolicyDocument=TRUST_DOC)
    assert error(e)[0] == "ValidationError"
    with pytest.raises(ClientError) as e:
        raw.create_role(RoleName="bad-path", Path="no-slash", AssumeRolePolicyDocument=TRUST_DOC)
    assert error(e)[0] == "ValidationError"
    with pytest.raises(ClientError) as e:
        iam.create_role(
            RoleName="dup-tags",
            AssumeRolePolicyDocument=TRUST_DOC,
            Tags=[{"Key": "Team", "Value": "a"}, {"Key": "team", "Value": "b"}],
        )
    assert error(e) == (
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    )
    missing = f"arn:aws:iam::{deployment.account['account_id']}:policy/no-such-boundary"
    with pytest.raises(ClientError) as e:
        iam.create_role(
            RoleName="bad-boundary", AssumeRolePolicyDocument=TRUST_DOC, PermissionsBoundary=missing
        )
    assert error(e) == (
        "NoSuchEntity",
        f"Scope ARN: {missing} does not exist or is not attachable.",
    )
    names = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert not {"bad-trust", "bad-duration", "dup-tags", "bad-boundary"} & set(names)


def test_missing_role_errors(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    calls: list[tuple[str, dict[str, Any]]] = [
        ("get_role", {}),
        ("delete_role", {}),
        ("update_role", {"Description": "x"}),
        ("update_role_description", {"Description": "x"}),
        ("update_assume_role_policy", {"PolicyDocument": TRUST_DOC}),
        ("list_role_policies", {}),
        ("list_attached_role_policies", {}),
        ("list_role_tags", {}),
        ("tag_role", {"Tags": [{"Key": "k", "Value": "v"}]}),
        ("untag_role", {"TagKeys": ["k"]}),
        ("put_role_policy", {"PolicyName": "p", "PolicyDocument": json.dumps(S3_READ)}),
        ("delete_role_permissions_boundary", {}),
        ("list_instance_profiles_for_role", {}),
    ]
    for method, extra in calls:
        with pytest.raises(ClientError) as e:
            getattr(iam, method)(RoleName="ghost-role", **extra)
        assert error(e) == ("NoSuchEntity", "The role with name ghost-role cannot be found."), (
            method
        )


def test_role_policies_and_limits(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    iam.create_role(RoleName="policied", AssumeRolePolicyDocument=TRUST_DOC)
    iam.put_role_policy(RoleName="policied", PolicyName="Read", PolicyDocument=json.dumps(S3_READ))
    got = iam.get_role_policy(RoleName="policied", PolicyName="read")
    assert got["PolicyName"] == "Read" and got["PolicyDocument"] == S3_READ
    with pytest.raises(ClientError) as e:
        iam.get_role_policy(RoleName="policied", PolicyName="nope")
    assert error(e) == ("NoSuchEntity", "The role policy with name nope cannot be found.")
    with pytest.raises(ClientError) as e:
        iam.delete_role_policy(RoleName="policied", PolicyName="nope")
    assert error(e)[0] == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.put_role_policy(RoleName="policied", PolicyName="bad", PolicyDocument='{"x": 1}')
    assert error(e)[0] == "MalformedPolicyDocument"

    # Inline policies of one role hold 10,240 characters (without white space) together.
    def sized(n: int) -> str:
        base = allow("s3:GetObject", "arn:aws:s3:::b/")
        filler = 10_000 - len(json.dumps(base, separators=(",", ":")))
        base["Statement"][0]["Resource"] = "arn:aws:s3:::b/" + "x" * (filler - 1 + n)
        return json.dumps(base, separators=(",", ":"))

    iam.put_role_policy(RoleName="policied", PolicyName="Read", PolicyDocument=sized(0))
    with pytest.raises(ClientError) as e:
        iam.put_role_policy(RoleName="policied", PolicyName="more", PolicyDocument=sized(0))
    assert error(e) == (
        "LimitExceeded",
        "Maximum policy size of 10240 bytes exceeded for role policied",
    )
    assert iam.list_role_policies(RoleName="policied")["PolicyNames"] == ["Read"]

    account = deployment.account["account_id"]
    arns = []
    for i in range(11):
        arn = iam.create_policy(PolicyName=f"rp-{i}", PolicyDocument=json.dumps(S3_READ))["Policy"][
            "Arn"
        ]
        arns.append(arn)
    for arn in arns[:10]:
        iam.attach_role_policy(RoleName="policied", PolicyArn=arn)
    iam.attach_role_policy(RoleName="policied", PolicyArn=arns[0])  # again: no change
    with pytest.raises(ClientError) as e:
        iam.attach_role_policy(RoleName="policied", PolicyArn=arns[10])
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10")
    page = iam.list_attached_role_policies(RoleName="policied", MaxItems=4)
    assert page["IsTruncated"] and len(page["AttachedPolicies"]) == 4
    with pytest.raises(ClientError) as e:
        iam.attach_role_policy(
            RoleName="policied", PolicyArn=f"arn:aws:iam::{account}:policy/absent"
        )
    assert error(e) == (
        "NoSuchEntity",
        f"Policy arn:aws:iam::{account}:policy/absent does not exist or is not attachable.",
    )
    with pytest.raises(ClientError) as e:
        iam.detach_role_policy(RoleName="policied", PolicyArn=arns[10])
    assert error(e) == ("NoSuchEntity", f"Policy {arns[10]} was not found.")

    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="policied")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must delete policies first.")
    iam.delete_role_policy(RoleName="policied", PolicyName="READ")
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="policied")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.")
    for arn in arns[:10]:
        iam.detach_role_policy(RoleName="policied", PolicyArn=arn)
    iam.delete_role(RoleName="policied")


def test_permissions_boundary(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    boundary = iam.create_policy(PolicyName="role-boundary", PolicyDocument=json.dumps(S3_READ))[
        "Policy"
    ]["Arn"]
    iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=TRUST_DOC)
    iam.put_role_permissions_boundary(RoleName="bounded", PermissionsBoundary=boundary)
    assert iam.get_role(RoleName="bounded")["Role"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": boundary,
    }
    with pytest.raises(ClientError) as e:
        iam.put_role_permissions_boundary(
            RoleName="bounded", PermissionsBoundary=boundary + "-missing"
        )
    assert error(e) == (
        "NoSuchEntity",
        f"Scope ARN: {boundary}-missing does not exist or is not attachable.",
    )
    iam.delete_role_permissions_boundary(RoleName="bounded")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="bounded")["Role"]
    made = iam.create_role(
        RoleName="born-bounded", AssumeRolePolicyDocument=TRUST_DOC, PermissionsBoundary=boundary
    )["Role"]
    assert made["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary


def test_role_tags(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    iam.create_role(
        RoleName="tagged",
        AssumeRolePolicyDocument=TRUST_DOC,
        Tags=[{"Key": "Department", "Value": "finance"}],
    )
    # Role tag keys are case-insensitive: department replaces Department.
    iam.tag_role(RoleName="tagged", Tags=[{"Key": "department", "Value": "hr"}])
    assert iam.list_role_tags(RoleName="tagged")["Tags"] == [{"Key": "department", "Value": "hr"}]
    iam.tag_role(RoleName="tagged", Tags=[{"Key": f"k{i}", "Value": str(i)} for i in range(49)])
    page = iam.list_role_tags(RoleName="tagged", MaxItems=20)
    assert page["IsTruncated"] and len(page["Tags"]) == 20
    rest = iam.list_role_tags(RoleName="tagged", Marker=page["Marker"], MaxItems=100)
    assert len(rest["Tags"]) == 30 and not rest["IsTruncated"]
    with pytest.raises(ClientError) as e:
        iam.tag_role(RoleName="tagged", Tags=[{"Key": "one-too-many", "Value": "x"}])
    assert error(e)[0] == "LimitExceeded"
    iam.tag_role(RoleName="tagged", Tags=[{"Key": "K0", "Value": "replaced"}])  # no new key
    iam.untag_role(RoleName="tagged", TagKeys=["K1", "absent"])
    tags = {t["Key"]: t["Value"] for t in iam.get_role(RoleName="tagged")["Role"]["Tags"]}
    assert tags["K0"] == "replaced" and "k1" not in tags and len(tags) == 49
    with pytest.raises(ClientError) as e:
        iam.tag_role(
            RoleName="tagged", Tags=[{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}]
        )
    assert error(e)[0] == "InvalidInput"


def test_service_linked_role(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    made = iam.create_service_linked_role(
        AWSServiceName="sagemaker.amazonaws.com", Description="notebooks"
    )["Role"]
    name = "AWSServiceRoleForAmazonSageMakerNotebooks"
    assert made["RoleName"] == name
    assert made["Path"] == "/aws-service-role/sagemaker.amazonaws.com/"
    assert (
        made["Arn"]
        == f"arn:aws:iam::{account}:role/aws-service-role/sagemaker.amazonaws.com/{name}"
    )
    assert made["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "sagemaker.amazonaws.com"
    }
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert attached == [
        {
            "PolicyName": "AmazonSageMakerNotebooksServiceRolePolicy",
            "PolicyArn": "arn:aws:iam::aws:policy/aws-service-role/"
            "AmazonSageMakerNotebooksServiceRolePolicy",
        }
    ]
    with pytest.raises(ClientError) as e:
        iam.create_service_linked_role(AWSServiceName="sagemaker.amazonaws.com")
    assert error(e) == (
        "InvalidInput",
        f"Service role name {name} has been taken in this account, please try a different suffix.",
    )
    with pytest.raises(ClientError) as e:
        iam.create_service_linked_role(AWSServiceName="sagemaker.amazonaws.com", CustomSuffix="x")
    assert error(e) == ("InvalidInput", "Custom suffix is not allowed for sagemaker.amazonaws.com")
    with pytest.raises(ClientError) as e:
        iam.create_service_linked_role(AWSServiceName="nosuch.amazonaws.com")
    assert error(e)[0] == "InvalidInput"

    protected = (
        f"Cannot perform the operation on the protected role '{name}' - "
        "this role is only modifiable by AWS"
    )
    edits: list[tuple[str, dict[str, Any]]] = [
        ("delete_role", {}),
        ("put_role_policy", {"PolicyName": "p", "PolicyDocument": json.dumps(S3_READ)}),
        ("delete_role_policy", {"PolicyName": "p"}),
        ("attach_role_policy", {"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
        (
            "detach_role_policy",
            {
                "PolicyArn": "arn:aws:iam::aws:policy/aws-service-role/"
                "AmazonSageMakerNotebooksServiceRolePolicy"
            },
        ),
        ("update_assume_role_policy", {"PolicyDocument": TRUST_DOC}),
        ("update_role", {"MaxSessionDuration": 7200}),
    ]
    for method, extra in edits:
        with pytest.raises(ClientError) as e:
            getattr(iam, method)(RoleName=name, **extra)
        assert error(e) == ("UnmodifiableEntity", protected), method
    # The description may change.
    assert (
        iam.update_role_description(RoleName=name, Description="d2")["Role"]["Description"] == "d2"
    )

    iam.create_role(RoleName="plain-role", AssumeRolePolicyDocument=TRUST_DOC)
    with pytest.raises(ClientError) as e:
        iam.delete_service_linked_role(RoleName="plain-role")
    assert error(e)[0] == "InvalidInput"
    task = iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    assert task.startswith(f"task/aws-service-role/sagemaker.amazonaws.com/{name}/")
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName=name)
    assert error(e)[0] == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.get_service_linked_role_deletion_status(DeletionTaskId="task/bogus")
    assert error(e)[0] == "InvalidInput"
    # It can be created again once deleted.
    again = deployment.aws(
        "iam", "create-service-linked-role", "--aws-service-name", "sagemaker.amazonaws.com"
    )
    assert again["Role"]["RoleName"] == name


# -- authorization -------------------------------------------------------------------------------


def test_user_allowed_only_roles_under_a_path(deployment: Deployment) -> None:
    account = deployment.account["account_id"]
    creds = new_user(
        deployment,
        "path-admin",
        allow(
            ["iam:CreateRole", "iam:GetRole", "iam:DeleteRole", "iam:PutRolePolicy"],
            f"arn:aws:iam::{account}:role/team-a/*",
        ),
        allow("iam:ListRoles", f"arn:aws:iam::{account}:role/team-a/*"),
    )
    iam = deployment.client("iam", creds)
    iam.create_role(RoleName="a-role", Path="/team-a/", AssumeRolePolicyDocument=TRUST_DOC)
    iam.put_role_policy(RoleName="a-role", PolicyName="p", PolicyDocument=json.dumps(S3_READ))
    assert iam.get_role(RoleName="a-role")["Role"]["Path"] == "/team-a/"
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/team-a/")["Roles"]] == ["a-role"]
    with pytest.raises(ClientError) as e:
        iam.list_roles()
    assert error(e)[0] == "AccessDenied"
    assert f"iam:ListRoles on resource: arn:aws:iam::{account}:role/" in error(e)[1]
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="b-role", Path="/team-b/", AssumeRolePolicyDocument=TRUST_DOC)
    assert error(e)[0] == "AccessDenied"
    assert f"arn:aws:iam::{account}:role/team-b/b-role" in error(e)[1]
    deployment.client("iam").create_role(
        RoleName="b-role", Path="/team-b/", AssumeRolePolicyDocument=TRUST_DOC
    )
    # The role's real path decides, whatever the caller passes.
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="b-role")
    assert error(e)[0] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="b-role")
    assert error(e)[0] == "AccessDenied"
    denied = deployment.aws("iam", "get-role", "--role-name", "b-role", creds=creds, check=False)
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr
    with pytest.raises(ClientError) as e:  # not granted
        iam.delete_role_policy(RoleName="a-role", PolicyName="p")
    assert error(e)[0] == "AccessDenied"
    admin = deployment.client("iam")
    admin.delete_role_policy(RoleName="a-role", PolicyName="p")
    iam.delete_role(RoleName="a-role")


def test_tag_conditions(deployment: Deployment) -> None:
    creds = new_user(
        deployment,
        "tag-admin",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["iam:GetRole", "iam:UpdateRoleDescription", "iam:TagRole"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"iam:ResourceTag/team": "blue"}},
                },
                {
                    "Effect": "Allow",
                    "Action": "iam:CreateRole",
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"aws:RequestTag/team": "blue"},
                        "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]},
                    },
                },
            ],
        },
    )
    admin = deployment.client("iam")
    iam = deployment.client("iam", creds)
    admin.create_role(
        RoleName="blue-role",
        AssumeRolePolicyDocument=TRUST_DOC,
        Tags=[{"Key": "team", "Value": "blue"}],
    )
    admin.create_role(
        RoleName="red-role",
        AssumeRolePolicyDocument=TRUST_DOC,
        Tags=[{"Key": "team", "Value": "red"}],
    )
    assert iam.get_role(RoleName="blue-role")["Role"]["RoleName"] == "blue-role"
    iam.update_role_description(RoleName="blue-role", Description="ok")
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="red-role")
    assert error(e)[0] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        iam.update_role_description(RoleName="red-role", Description="no")
    assert error(e)[0] == "AccessDenied"
    # Creating requires the request to carry team=blue and no other keys than team and env.
    iam.create_role(
        RoleName="blue-new",
        AssumeRolePolicyDocument=TRUST_DOC,
        Tags=[{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "dev"}],
    )
    for tags in (
        [],
        [{"Key": "team", "Value": "red"}],
        [{"Key": "team", "Value": "blue"}, {"Key": "owner", "Value": "me"}],
    ):
        with pytest.raises(ClientError) as e:
            iam.create_role(RoleName="not-made", AssumeRolePolicyDocument=TRUST_DOC, Tags=tags)
        assert error(e)[0] == "AccessDenied", tags
    # Retagging blue-role to red takes it out of reach.
    iam.tag_role(RoleName="blue-role", Tags=[{"Key": "team", "Value": "red"}])
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="blue-role")
    assert error(e)[0] == "AccessDenied"


def test_explicit_deny(deployment: Deployment) -> None:
    account = deployment.account["account_id"]
    creds = new_user(
        deployment,
        "deny-admin",
        allow("iam:*"),
        allow(
            ["iam:DeleteRole", "iam:AttachRolePolicy"],
            f"arn:aws:iam::{account}:role/protected/*",
            effect="Deny",
        ),
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": "iam:AttachRolePolicy",
                    "Resource": "*",
                    "Condition": {
                        "ArnEquals": {
                            "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"
                        }
                    },
                }
            ],
        },
    )
    iam = deployment.client("iam", creds)
    iam.create_role(RoleName="guarded", Path="/protected/", AssumeRolePolicyDocument=TRUST_DOC)
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="guarded")
    code, message = error(e)
    assert code == "AccessDenied" and "explicit deny" in message
    iam.create_role(RoleName="open-role", AssumeRolePolicyDocument=TRUST_DOC)
    iam.attach_role_policy(
        RoleName="open-role", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    )
    with pytest.raises(ClientError) as e:
        iam.attach_role_policy(
            RoleName="open-role", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
        )
    assert error(e)[0] == "AccessDenied"
    assert [
        p["PolicyName"]
        for p in iam.list_attached_role_policies(RoleName="open-role")["AttachedPolicies"]
    ] == ["AmazonS3ReadOnlyAccess"]


def test_boundary_condition_on_create(deployment: Deployment) -> None:
    admin = deployment.client("iam")
    boundary = admin.create_policy(
        PolicyName="required-boundary", PolicyDocument=json.dumps(S3_READ)
    )["Policy"]["Arn"]
    creds = new_user(
        deployment,
        "boundary-admin",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["iam:CreateRole", "iam:PutRolePolicy"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary}},
                }
            ],
        },
    )
    iam = deployment.client("iam", creds)
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="unbounded", AssumeRolePolicyDocument=TRUST_DOC)
    assert error(e)[0] == "AccessDenied"
    iam.create_role(
        RoleName="inside-boundary", AssumeRolePolicyDocument=TRUST_DOC, PermissionsBoundary=boundary
    )
    # An existing role's boundary is the key's value for calls on it.
    iam.put_role_policy(
        RoleName="inside-boundary", PolicyName="p", PolicyDocument=json.dumps(S3_READ)
    )
    admin.create_role(RoleName="outside-boundary", AssumeRolePolicyDocument=TRUST_DOC)
    with pytest.raises(ClientError) as e:
        iam.put_role_policy(
            RoleName="outside-boundary", PolicyName="p", PolicyDocument=json.dumps(S3_READ)
        )
    assert error(e)[0] == "AccessDenied"


def test_role_last_used_after_assume_role(deployment: Deployment) -> None:
    account = deployment.account["account_id"]
    iam = deployment.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName="used-role", AssumeRolePolicyDocument=json.dumps(trust))
    assert iam.get_role(RoleName="used-role")["Role"]["RoleLastUsed"] == {}
    sts = deployment.client("sts", region="eu-west-1")
    sts.assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="s1")
    used = iam.get_role(RoleName="used-role")["Role"]["RoleLastUsed"]
    assert used["Region"] == "eu-west-1"
    assert used["LastUsedDate"] >= role["Role"]["CreateDate"]


def test_boundary_description_and_service_linked_role_cli(deployment: Deployment) -> None:
    boundary = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    deployment.aws(
        "iam",
        "create-role",
        "--role-name",
        "cli-bounded",
        "--assume-role-policy-document",
        TRUST_DOC,
    )
    deployment.aws(
        "iam",
        "put-role-permissions-boundary",
        "--role-name",
        "cli-bounded",
        "--permissions-boundary",
        boundary,
    )
    described = deployment.aws(
        "iam", "update-role-description", "--role-name", "cli-bounded", "--description", "d"
    )["Role"]
    assert described["Description"] == "d"
    assert described["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    deployment.aws("iam", "delete-role-permissions-boundary", "--role-name", "cli-bounded")
    got = deployment.aws("iam", "get-role", "--role-name", "cli-bounded")["Role"]
    assert "PermissionsBoundary" not in got

    name = "AWSServiceRoleForAmazonSageMakerNotebooks"
    if (
        "NoSuchEntity"
        not in deployment.aws("iam", "get-role", "--role-name", name, check=False).stderr
    ):
        deployment.aws("iam", "delete-service-linked-role", "--role-name", name)
    deployment.aws(
        "iam", "create-service-linked-role", "--aws-service-name", "sagemaker.amazonaws.com"
    )
    task = deployment.aws("iam", "delete-service-linked-role", "--role-name", name)
    status = deployment.aws(
        "iam",
        "get-service-linked-role-deletion-status",
        "--deletion-task-id",
        task["DeletionTaskId"],
    )
    assert status["Status"] == "SUCCEEDED"


def test_service_role_policy_is_only_for_service_linked_roles(deployment: Deployment) -> None:
    """AWS's service-linked-role policies (path /aws-service-role/) show IsAttachable false and
    cannot be attached by the account; the service-linked role itself carries one."""
    iam = deployment.client("iam")
    arn = "arn:aws:iam::aws:policy/aws-service-role/AmazonSageMakerNotebooksServiceRolePolicy"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["IsAttachable"] is False
    iam.create_user(UserName="slr-policy-user")
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName="slr-policy-user", PolicyArn=arn)
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
    assert e.value.response["Error"]["Message"] == (
        f"Policy {arn} does not exist or is not attachable."
    )
    assert (
        iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")["Policy"][
            "IsAttachable"
        ]
        is True
    )
