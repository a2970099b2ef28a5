"""Small steps the end-to-end tests share."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.harness import Credentials, Deployment


def new_user(d: Deployment, name: str, *policies: dict[str, Any]) -> Credentials:
    """Create user `name` with an access key and the given inline policies (as dicts)."""
    iam = d.client("iam")
    iam.create_user(UserName=name)
    for i, doc in enumerate(policies):
        iam.put_user_policy(UserName=name, PolicyName=f"p{i}", PolicyDocument=json.dumps(doc))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def allow(
    action: str | list[str], resource: str | list[str] = "*", effect: str = "Allow"
) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": effect, "Action": action, "Resource": resource}],
    }


def sagemaker_role(d: Deployment, name: str, service: str = "sagemaker.amazonaws.com") -> str:
    """Create role `name` whose trust policy lets `service` assume it; returns its ARN."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
    role = d.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    return str(role["Role"]["Arn"])
