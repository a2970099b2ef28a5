"""Users and access keys through boto3 and the AWS CLI (issue 2, point 7)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import Credentials, Deployment


def code(e: pytest.ExceptionInfo[ClientError]) -> str:
    return str(e.value.response["Error"]["Code"])


def test_user_lifecycle_boto3(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    made = iam.create_user(UserName="alice", Path="/team/")["User"]
    assert made["Arn"] == f"arn:aws:iam::{account}:user/team/alice"
    assert made["UserId"].startswith("AIDA") and len(made["UserId"]) == 21
    assert made["Path"] == "/team/"
    got = iam.get_user(UserName="alice")["User"]
    assert got["UserId"] == made["UserId"] and got["CreateDate"] == made["CreateDate"]

    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="ALICE")  # names are unique case-insensitively
    assert code(e) == "EntityAlreadyExists"
    assert e.value.response["Error"]["Message"] == "User with name ALICE already exists."

    names = [u["UserName"] for u in iam.list_users()["Users"]]
    assert "alice" in names and "admin" in names
    assert [u["UserName"] for u in iam.list_users(PathPrefix="/team/")["Users"]] == ["alice"]

    iam.delete_user(UserName="alice")
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName="alice")
    assert code(e) == "NoSuchEntity"
    assert e.value.response["Error"]["Message"] == "The user with name alice cannot be found."
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_list_users_pagination(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    for i in range(5):
        iam.create_user(UserName=f"page-{i}", Path="/paged/")
    first = iam.list_users(PathPrefix="/paged/", MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Users"]) == 2
    seen = [u["UserName"] for u in first["Users"]]
    marker = first["Marker"]
    while marker:
        page = iam.list_users(PathPrefix="/paged/", MaxItems=2, Marker=marker)
        seen += [u["UserName"] for u in page["Users"]]
        marker = page.get("Marker") if page["IsTruncated"] else None
    assert seen == [f"page-{i}" for i in range(5)]
    paginated = iam.get_paginator("list_users").paginate(
        PathPrefix="/paged/", PaginationConfig={"PageSize": 2}
    )
    assert [u["UserName"] for p in paginated for u in p["Users"]] == seen


def test_user_lifecycle_cli(deployment: Deployment) -> None:
    made = deployment.aws("iam", "create-user", "--user-name", "cli-bob")
    assert made["User"]["UserName"] == "cli-bob"
    assert deployment.aws("iam", "get-user", "--user-name", "cli-bob")["User"]["Arn"].endswith(
        ":user/cli-bob"
    )
    listed = deployment.aws("iam", "list-users")
    assert "cli-bob" in [u["UserName"] for u in listed["Users"]]
    deployment.aws("iam", "delete-user", "--user-name", "cli-bob")
    gone = deployment.aws("iam", "get-user", "--user-name", "cli-bob", check=False)
    assert gone.returncode != 0 and "NoSuchEntity" in gone.stderr


def test_delete_user_refused_while_keys_or_policies_remain(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    iam.create_user(UserName="carol")
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="carol")
    assert code(e) == "DeleteConflict"
    iam.delete_access_key(UserName="carol", AccessKeyId=key["AccessKeyId"])
    iam.attach_user_policy(UserName="carol", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="carol")
    assert code(e) == "DeleteConflict"
    iam.detach_user_policy(UserName="carol", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.put_user_policy(
        UserName="carol",
        PolicyName="p",
        PolicyDocument='{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}',
    )
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="carol")
    assert code(e) == "DeleteConflict"
    iam.delete_user_policy(UserName="carol", PolicyName="p")
    iam.delete_user(UserName="carol")


def test_access_keys_two_per_user_and_inactive_stops_at_once(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    iam.create_user(UserName="dave")
    k1 = iam.create_access_key(UserName="dave")["AccessKey"]
    k2 = iam.create_access_key(UserName="dave")["AccessKey"]
    assert k1["AccessKeyId"].startswith("AKIA") and len(k1["AccessKeyId"]) == 20
    assert k1["Status"] == "Active" and k1["UserName"] == "dave"
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName="dave")
    assert code(e) == "LimitExceeded"
    assert e.value.response["Error"]["Message"] == "Cannot exceed quota for AccessKeysPerUser: 2"
    listed = iam.list_access_keys(UserName="dave")["AccessKeyMetadata"]
    assert {k["AccessKeyId"] for k in listed} == {k1["AccessKeyId"], k2["AccessKeyId"]}
    assert all("SecretAccessKey" not in k for k in listed)

    dave = Credentials(k1["AccessKeyId"], k1["SecretAccessKey"])
    sts = deployment.client("sts", dave)
    assert sts.get_caller_identity()["Arn"].endswith(":user/dave")

    iam.update_access_key(UserName="dave", AccessKeyId=k1["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert code(e) == "InvalidClientTokenId"
    assert (
        e.value.response["Error"]["Message"]
        == "The security token included in the request is invalid."
    )

    iam.update_access_key(UserName="dave", AccessKeyId=k1["AccessKeyId"], Status="Active")
    assert sts.get_caller_identity()["Arn"].endswith(":user/dave")

    iam.delete_access_key(UserName="dave", AccessKeyId=k1["AccessKeyId"])
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert code(e) == "InvalidClientTokenId"
    with pytest.raises(ClientError) as e:
        iam.delete_access_key(UserName="dave", AccessKeyId=k1["AccessKeyId"])
    assert code(e) == "NoSuchEntity"


def test_access_keys_cli(deployment: Deployment) -> None:
    deployment.aws("iam", "create-user", "--user-name", "erin")
    key = deployment.aws("iam", "create-access-key", "--user-name", "erin")["AccessKey"]
    erin = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    assert deployment.aws("sts", "get-caller-identity", creds=erin)["Arn"].endswith(":user/erin")
    deployment.aws(
        "iam",
        "update-access-key",
        "--user-name",
        "erin",
        "--access-key-id",
        key["AccessKeyId"],
        "--status",
        "Inactive",
    )
    denied = deployment.aws("sts", "get-caller-identity", creds=erin, check=False)
    assert denied.returncode != 0 and "InvalidClientTokenId" in denied.stderr
    listed = deployment.aws("iam", "list-access-keys", "--user-name", "erin")
    assert listed["AccessKeyMetadata"][0]["Status"] == "Inactive"
