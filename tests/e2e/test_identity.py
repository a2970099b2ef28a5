"""sts:GetCallerIdentity through boto3 and the AWS CLI (issue 2, point 7)."""

from __future__ import annotations

from tests.e2e.harness import Deployment


def test_get_caller_identity_boto3(deployment: Deployment) -> None:
    ident = deployment.client("sts").get_caller_identity()
    account = deployment.account["account_id"]
    assert ident["Account"] == account
    assert ident["Arn"] == f"arn:aws:iam::{account}:user/admin"
    assert ident["UserId"].startswith("AIDA")


def test_get_caller_identity_cli(deployment: Deployment) -> None:
    ident = deployment.aws("sts", "get-caller-identity")
    assert ident["Arn"] == f"arn:aws:iam::{deployment.account['account_id']}:user/admin"


def test_get_caller_identity_is_allowed_without_any_policy(deployment: Deployment) -> None:
    from tests.e2e.helpers import new_user

    creds = new_user(deployment, "nobody-at-all")
    ident = deployment.client("sts", creds).get_caller_identity()
    assert ident["Arn"].endswith(":user/nobody-at-all")


def test_any_region_is_accepted(deployment: Deployment) -> None:
    ident = deployment.client("sts", region="eu-west-3").get_caller_identity()
    assert ident["Account"] == deployment.account["account_id"]
