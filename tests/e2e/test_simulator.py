"""The policy simulator over the wire (issue 3, item 7): SimulateCustomPolicy,
SimulatePrincipalPolicy and GetContextKeysFor*Policy through real boto3 and the real AWS CLI.

Shapes follow the IAM API Reference and the AWS CLI's documented examples
(awscli/examples/iam/simulate-custom-policy.rst, simulate-principal-policy.rst,
get-context-keys-for-custom-policy.rst)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import Deployment
from tests.e2e.helpers import allow, new_user

# The policy of the AWS CLI example "simulate-custom-policy", verbatim.
DYNAMO_AFTER_2018 = (
    '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
    '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}'
)


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = e.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


def date_entry(value: str) -> list[dict[str, object]]:
    return [
        {"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": [value], "ContextKeyType": "date"}
    ]


def test_custom_policy_matches_the_documented_example(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    out = iam.simulate_custom_policy(
        PolicyInputList=[DYNAMO_AFTER_2018],
        ActionNames=["dynamodb:CreateBackup"],
        ContextEntries=date_entry("2019-04-25T11:00:00Z"),
    )
    assert out["IsTruncated"] is False
    assert out["EvaluationResults"] == [
        {
            "EvalActionName": "dynamodb:CreateBackup",
            "EvalResourceName": "*",
            "EvalDecision": "allowed",
            "MatchedStatements": [
                {
                    "SourcePolicyId": "PolicyInputList.1",
                    "SourcePolicyType": "IAM Policy",
                    "StartPosition": {"Line": 1, "Column": 38},
                    "EndPosition": {"Line": 1, "Column": 167},
                }
            ],
            "MissingContextValues": [],
        }
    ]
    denied = iam.simulate_custom_policy(
        PolicyInputList=[DYNAMO_AFTER_2018],
        ActionNames=["dynamodb:CreateBackup"],
        ContextEntries=date_entry("2014-04-25T11:00:00Z"),
    )["EvaluationResults"][0]
    assert denied["EvalDecision"] == "implicitDeny"
    assert denied["MatchedStatements"] == [] and denied["MissingContextValues"] == []
    missing = iam.simulate_custom_policy(
        PolicyInputList=[DYNAMO_AFTER_2018], ActionNames=["dynamodb:CreateBackup"]
    )["EvaluationResults"][0]
    assert missing["EvalDecision"] == "implicitDeny"
    assert missing["MissingContextValues"] == ["aws:CurrentTime"]


def test_custom_policy_explicit_deny_resources_and_positions(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "All", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {
                    "Sid": "NotSecret",
                    "Effect": "Deny",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::bkt/secret/*",
                },
            ],
        },
        indent=2,
    )
    resources = ["arn:aws:s3:::bkt/public/a", "arn:aws:s3:::bkt/secret/b"]
    out = iam.simulate_custom_policy(
        PolicyInputList=[doc], ActionNames=["s3:GetObject", "s3:PutObject"], ResourceArns=resources
    )
    get, put = out["EvaluationResults"]
    assert get["EvalActionName"] == "s3:GetObject" and get["EvalDecision"] == "explicitDeny"
    deny = {
        "SourcePolicyId": "PolicyInputList.1",
        "SourcePolicyType": "IAM Policy",
        "StartPosition": {"Line": 10, "Column": 6},
        "EndPosition": {"Line": 15, "Column": 6},
    }
    assert get["MatchedStatements"] == [deny]
    per = {r["EvalResourceName"]: r for r in get["ResourceSpecificResults"]}
    assert list(per) == resources
    assert per[resources[0]]["EvalResourceDecision"] == "allowed"
    assert per[resources[0]]["MatchedStatements"][0]["StartPosition"] == {"Line": 4, "Column": 6}
    assert per[resources[1]]["EvalResourceDecision"] == "explicitDeny"
    assert per[resources[1]]["MatchedStatements"] == [deny]
    assert put["EvalDecision"] == "allowed"
    assert [r["EvalResourceDecision"] for r in put["ResourceSpecificResults"]] == ["allowed"] * 2


def test_custom_policy_boundary_resource_policy_and_paging(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    caller = f"arn:aws:iam::{account}:user/sim-caller"
    boundary = json.dumps(allow("s3:GetObject"))
    out = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(allow("s3:*"))],
        PermissionsBoundaryPolicyInputList=[boundary],
        ActionNames=["s3:GetObject", "s3:DeleteObject"],
    )["EvaluationResults"]
    assert [r["EvalDecision"] for r in out] == ["allowed", "implicitDeny"]
    assert out[0]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert out[1]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    assert {m["SourcePolicyId"] for m in out[0]["MatchedStatements"]} == {
        "PolicyInputList.1",
        "PermissionsBoundaryPolicyInputList.1",
    }

    # A resource-based policy naming the caller allows on its own in the same account.
    bucket_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": caller},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::bkt/*",
                }
            ],
        }
    )
    res = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(allow("sqs:*"))],
        ActionNames=["s3:GetObject"],
        ResourceArns=["arn:aws:s3:::bkt/k"],
        ResourcePolicy=bucket_policy,
        CallerArn=caller,
    )["EvaluationResults"][0]
    assert res["EvalDecision"] == "allowed"
    assert res["MatchedStatements"][0]["SourcePolicyId"] == "ResourcePolicy"
    assert res["MatchedStatements"][0]["SourcePolicyType"] == "resource"
    assert res["EvalDecisionDetails"] == {}

    # Another account owns the bucket: both sides must allow.
    cross = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(allow("sqs:*"))],
        ActionNames=["s3:GetObject"],
        ResourceArns=["arn:aws:s3:::bkt/k"],
        ResourcePolicy=bucket_policy,
        CallerArn=caller,
        ResourceOwner="arn:aws:iam::999988887777:root",
    )["EvaluationResults"][0]
    assert cross["EvalDecision"] == "implicitDeny"
    assert cross["EvalDecisionDetails"] == {
        "IAM Policy": "implicitDeny",
        "Resource Policy": "allowed",
    }

    # A role's trust policy (no Resource element) is a resource-based policy for sts:AssumeRole.
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    role = f"arn:aws:iam::{account}:role/sim-target-role"
    assumed = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(allow("sqs:*"))],
        ActionNames=["sts:AssumeRole"],
        ResourceArns=[role],
        ResourcePolicy=trust,
        CallerArn=caller,
    )["EvaluationResults"][0]
    assert assumed["EvalDecision"] == "allowed"
    other = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(allow("sqs:*"))],
        ActionNames=["sts:AssumeRole"],
        ResourceArns=[role],
        ResourcePolicy=trust,
        CallerArn=f"arn:aws:iam::{account}:user/someone-else",
    )["EvaluationResults"][0]
    assert other["EvalDecision"] == "implicitDeny"

    actions = [f"s3:Action{i}" for i in range(5)]
    pages = iam.get_paginator("simulate_custom_policy").paginate(
        PolicyInputList=[json.dumps(allow("s3:*"))],
        ActionNames=actions,
        PaginationConfig={"PageSize": 2},
    )
    seen = [r["EvalActionName"] for page in pages for r in page["EvaluationResults"]]
    assert seen == actions


def test_custom_policy_context_entries_and_errors(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "ec2:RunInstances",
                "Resource": "*",
                "Condition": {
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]},
                    "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                },
            },
        }
    )

    def decide(*entries: dict[str, object]) -> str:
        out = iam.simulate_custom_policy(
            PolicyInputList=[doc], ActionNames=["ec2:RunInstances"], ContextEntries=list(entries)
        )
        return str(out["EvaluationResults"][0]["EvalDecision"])

    ip = {
        "ContextKeyName": "aws:SourceIp",
        "ContextKeyValues": ["10.1.2.3"],
        "ContextKeyType": "ip",
    }
    tags = {"ContextKeyName": "aws:TagKeys", "ContextKeyType": "stringList"}
    assert decide(ip, tags | {"ContextKeyValues": ["team", "env"]}) == "allowed"
    assert decide(ip, tags | {"ContextKeyValues": ["team", "owner"]}) == "implicitDeny"
    assert decide(ip | {"ContextKeyValues": ["192.0.2.1"]}) == "implicitDeny"

    with pytest.raises(ClientError) as e:
        decide(ip | {"ContextKeyValues": ["not-an-ip"]})
    assert error(e)[0] == "InvalidInput"
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=['{"Statement": ['], ActionNames=["s3:Get"])
    assert error(e) == ("MalformedPolicyDocument", "Syntax errors in policy.")
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(
            PolicyInputList=[doc], ActionNames=["s3:GetObject"], ResourceArns=["bucket"]
        )
    assert error(e) == ("InvalidInput", 'Resource bucket must be in ARN format or "*".')
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(
            PolicyInputList=[doc],
            ActionNames=["s3:GetObject"],
            ResourcePolicy=json.dumps(allow("s3:*")),
        )
    assert error(e)[0] in ("InvalidInput", "MalformedPolicyDocument")


def test_context_keys_for_custom_policy(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    # The AWS CLI example "get-context-keys-for-custom-policy".
    doc = (
        '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":'
        '"arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}","Condition":'
        '{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}}'
    )
    out = iam.get_context_keys_for_custom_policy(PolicyInputList=[doc, DYNAMO_AFTER_2018])
    assert out["ContextKeyNames"] == ["aws:username", "aws:CurrentTime"]
    with pytest.raises(ClientError) as e:
        iam.get_context_keys_for_custom_policy(PolicyInputList=["not json"])
    assert error(e)[0] == "InvalidInput"


def test_principal_policy_user_group_and_role(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "codecommit:ListRepositories", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::home/${aws:username}/*",
            },
        ],
    }
    new_user(deployment, "sim-alejandro", policy)
    user_arn = f"arn:aws:iam::{account}:user/sim-alejandro"
    out = iam.simulate_principal_policy(
        PolicySourceArn=user_arn, ActionNames=["codecommit:ListRepositories", "iam:CreateUser"]
    )["EvaluationResults"]
    assert out[0]["EvalDecision"] == "allowed"
    assert out[0]["MatchedStatements"][0]["SourcePolicyId"] == "user_sim-alejandro_p0"
    assert out[0]["MatchedStatements"][0]["SourcePolicyType"] == "user"
    assert out[1]["EvalDecision"] == "implicitDeny"

    obj = "arn:aws:s3:::home/sim-alejandro/f"
    entry = [{"ContextKeyName": "aws:username", "ContextKeyValues": ["sim-alejandro"]}]
    got = iam.simulate_principal_policy(
        PolicySourceArn=user_arn, ActionNames=["s3:GetObject"], ResourceArns=[obj]
    )["EvaluationResults"][0]
    assert got["EvalDecision"] == "implicitDeny"
    assert got["ResourceSpecificResults"][0]["MissingContextValues"] == ["aws:username"]
    got = iam.simulate_principal_policy(
        PolicySourceArn=user_arn, ActionNames=["s3:GetObject"], ResourceArns=[obj],
        ContextEntries=entry,
    )["EvaluationResults"][0]  # fmt: skip
    assert got["EvalDecision"] == "allowed"

    # Group policies reach the user; a managed policy is named by its name.
    iam.create_group(GroupName="sim-readers")
    managed = iam.create_policy(
        PolicyName="sim-sqs-read", PolicyDocument=json.dumps(allow("sqs:ReceiveMessage"))
    )["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="sim-readers", PolicyArn=managed)
    iam.put_group_policy(
        GroupName="sim-readers",
        PolicyName="deny-delete",
        PolicyDocument=json.dumps(allow("sqs:DeleteQueue", effect="Deny")),
    )
    iam.add_user_to_group(GroupName="sim-readers", UserName="sim-alejandro")
    out = iam.simulate_principal_policy(
        PolicySourceArn=user_arn,
        ActionNames=["sqs:ReceiveMessage", "sqs:DeleteQueue"],
        PolicyInputList=[json.dumps(allow("sqs:*"))],
    )["EvaluationResults"]
    assert out[0]["EvalDecision"] == "allowed"
    assert out[1]["EvalDecision"] == "explicitDeny"
    assert out[1]["MatchedStatements"][0]["SourcePolicyId"] == "group_sim-readers_deny-delete"
    assert out[1]["MatchedStatements"][0]["SourcePolicyType"] == "group"
    group = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{account}:group/sim-readers",
        ActionNames=["sqs:ReceiveMessage"],
    )["EvaluationResults"][0]
    assert group["EvalDecision"] == "allowed"
    assert group["MatchedStatements"][0]["SourcePolicyId"] == "sim-sqs-read"
    assert group["MatchedStatements"][0]["SourcePolicyType"] == "user-managed"

    # A role with a permissions boundary.
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
             "Action": "sts:AssumeRole"}
        ],
    }  # fmt: skip
    iam.create_role(
        RoleName="sim-role",
        AssumeRolePolicyDocument=json.dumps(trust),
        PermissionsBoundary=managed,
    )
    iam.put_role_policy(
        RoleName="sim-role", PolicyName="wide", PolicyDocument=json.dumps(allow("sqs:*"))
    )
    out = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{account}:role/sim-role",
        ActionNames=["sqs:ReceiveMessage", "sqs:SendMessage"],
    )["EvaluationResults"]
    assert [r["EvalDecision"] for r in out] == ["allowed", "implicitDeny"]
    assert out[0]["MatchedStatements"][0]["SourcePolicyId"] == "role_sim-role_wide"
    assert out[1]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}

    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=user_arn)
    assert keys["ContextKeyNames"] == ["aws:username"]

    with pytest.raises(ClientError) as e:
        iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{account}:user/sim-nobody", ActionNames=["s3:Get"]
        )
    assert error(e) == ("NoSuchEntity", "The user with name sim-nobody cannot be found.")
    with pytest.raises(ClientError) as e:
        iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{account}:role/sim-role",
            ActionNames=["s3:GetObject"],
            ResourcePolicy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}
                    ],
                }
            ),
        )
    assert error(e)[0] == "InvalidInput"


def test_simulate_principal_policy_is_authorized(deployment: Deployment) -> None:
    account = deployment.account["account_id"]
    target = f"arn:aws:iam::{account}:user/sim-target"
    deployment.client("iam").create_user(UserName="sim-target")
    creds = new_user(
        deployment,
        "sim-limited",
        allow("iam:SimulateCustomPolicy"),
        allow("iam:SimulatePrincipalPolicy", f"arn:aws:iam::{account}:user/sim-limited"),
    )
    iam = deployment.client("iam", creds)
    iam.simulate_custom_policy(PolicyInputList=[DYNAMO_AFTER_2018], ActionNames=["s3:Get"])
    own = f"arn:aws:iam::{account}:user/sim-limited"
    assert iam.simulate_principal_policy(PolicySourceArn=own, ActionNames=["iam:SimulateCustomPolicy"])[
        "EvaluationResults"
    ][0]["EvalDecision"] == "allowed"  # fmt: skip
    with pytest.raises(ClientError) as e:
        iam.simulate_principal_policy(PolicySourceArn=target, ActionNames=["s3:GetObject"])
    code, message = error(e)
    assert code == "AccessDenied"
    assert f"iam:SimulatePrincipalPolicy on resource: {target}" in message
    with pytest.raises(ClientError) as e:
        iam.get_context_keys_for_custom_policy(PolicyInputList=[DYNAMO_AFTER_2018])
    assert error(e)[0] == "AccessDenied"


def test_aws_cli_simulate_custom_policy(deployment: Deployment, tmp_path: Path) -> None:
    # A list parameter read from a file is a JSON list of documents (the CLI example
    # get-context-keys-for-custom-policy, "provided as a file input").
    policy = tmp_path / "policies.json"
    policy.write_text(json.dumps([DYNAMO_AFTER_2018]))
    out = deployment.aws(
        "iam", "simulate-custom-policy",
        "--policy-input-list", f"file://{policy}",
        "--action-names", "dynamodb:CreateBackup",
        "--context-entries",
        "ContextKeyName='aws:CurrentTime',ContextKeyValues='2019-04-25T11:00:00Z',ContextKeyType=date",
    )  # fmt: skip
    result = out["EvaluationResults"][0]
    assert result["EvalDecision"] == "allowed"
    assert result["MatchedStatements"][0]["StartPosition"] == {"Line": 1, "Column": 38}
    keys = deployment.aws(
        "iam", "get-context-keys-for-custom-policy", "--policy-input-list", f"file://{policy}"
    )
    assert keys == {"ContextKeyNames": ["aws:CurrentTime"]}
    account = deployment.account["account_id"]
    deployment.client("iam").create_user(UserName="sim-cli-user")
    out = deployment.aws(
        "iam", "simulate-principal-policy",
        "--policy-source-arn", f"arn:aws:iam::{account}:user/sim-cli-user",
        "--action-names", "s3:GetObject", "s3:PutObject",
        "--resource-arns", "arn:aws:s3:::b/1", "arn:aws:s3:::b/2",
    )  # fmt: skip
    assert [r["EvalDecision"] for r in out["EvaluationResults"]] == ["implicitDeny"] * 2
    assert len(out["EvaluationResults"][0]["ResourceSpecificResults"]) == 2


def test_principal_policy_exclusions_and_boundary_override(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    managed = iam.create_policy(
        PolicyName="sim-ex-sns", PolicyDocument=json.dumps(allow("sns:Publish"))
    )["Policy"]["Arn"]
    limit = iam.create_policy(PolicyName="sim-ex-limit", PolicyDocument=json.dumps(allow("sqs:*")))[
        "Policy"
    ]["Arn"]
    new_user(deployment, "sim-ex-user", allow("sqs:SendMessage"))
    iam.attach_user_policy(UserName="sim-ex-user", PolicyArn=managed)
    iam.put_user_permissions_boundary(UserName="sim-ex-user", PermissionsBoundary=limit)
    user_arn = f"arn:aws:iam::{account}:user/sim-ex-user"

    def decisions(**kw: object) -> list[str]:
        out = iam.simulate_principal_policy(
            PolicySourceArn=user_arn, ActionNames=["sqs:SendMessage", "sns:Publish"], **kw
        )
        return [r["EvalDecision"] for r in out["EvaluationResults"]]

    # sns:Publish is allowed by the managed policy but outside the boundary.
    assert decisions() == ["allowed", "implicitDeny"]
    assert decisions(PolicyExclusionList=[{"PolicyType": "permission-boundary"}]) == [
        "allowed",
        "allowed",
    ]
    wide = json.dumps(allow(["sqs:*", "sns:*"]))
    assert decisions(PermissionsBoundaryPolicyInputList=[wide]) == ["allowed", "allowed"]
    assert decisions(PolicyExclusionList=[{"PolicyType": "inline"}]) == [
        "implicitDeny",
        "implicitDeny",
    ]
    inline = {"PolicyName": "p0", "AttachmentType": "user", "AttachmentName": "sim-ex-user"}
    assert decisions(PolicyExclusionList=[{"InlinePolicyIdentifier": inline}])[0] == "implicitDeny"
    by_arn = [{"PolicyArn": f"arn:aws:iam::{account}:policy/sim-ex-s?s"}]
    both = decisions(PolicyExclusionList=[*by_arn, {"PolicyType": "permission-boundary"}])
    assert both == ["allowed", "implicitDeny"]
    with pytest.raises(ClientError) as e:
        decisions(PolicyExclusionList=[{"PolicyArn": f"arn:aws:iam::{account}:policy/*a*"}])
    assert error(e)[0] == "InvalidInput"
