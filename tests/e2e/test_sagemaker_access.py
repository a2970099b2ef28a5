"""SageMaker behind access control (issue 6): iam:PassRole with iam:PassedToService, untrusted
execution roles, sagemaker:AddTags on create, every condition key allowed and denied, tag-based
access, and the identity-based policy examples of the SageMaker Developer Guide
(https://docs.aws.amazon.com/sagemaker/latest/dg/security_iam_id-based-policy-examples.html)."""

from __future__ import annotations

import http.client
import os
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import Deployment
from tests.e2e.helpers import new_user, sagemaker_role

PASS_ROLE = {
    "Effect": "Allow",
    "Action": "iam:PassRole",
    "Resource": "*",
    "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
}
NB = "ml.t3.medium"


@pytest.fixture(scope="module", autouse=True)
def _instant_transitions() -> Iterator[None]:
    old = os.environ.get("SAGEGATE_SAGEMAKER_TRANSITION_SECONDS")
    os.environ["SAGEGATE_SAGEMAKER_TRANSITION_SECONDS"] = "0"
    yield
    if old is None:
        del os.environ["SAGEGATE_SAGEMAKER_TRANSITION_SECONDS"]
    else:
        os.environ["SAGEGATE_SAGEMAKER_TRANSITION_SECONDS"] = old


@pytest.fixture(scope="module")
def role(deployment: Deployment) -> str:
    return sagemaker_role(deployment, "access-exec")


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def stmt(
    action: str | list[str],
    condition: dict[str, Any] | None = None,
    effect: str = "Allow",
    resource: str = "*",
) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect, "Action": action, "Resource": resource}
    if condition:
        out["Condition"] = condition
    return out


def user(d: Deployment, name: str, *statements: dict[str, Any]) -> Any:
    return d.client("sagemaker", new_user(d, name, doc(*statements)))


def denied(e: pytest.ExceptionInfo[ClientError], action: str) -> str:
    err = e.value.response["Error"]
    assert err["Code"] == "AccessDeniedException", err
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert f"is not authorized to perform: {action} on resource: " in err["Message"], err
    return str(err["Message"])


def notebook(sm: Any, name: str, role: str, **extra: Any) -> str:
    return str(
        sm.create_notebook_instance(
            NotebookInstanceName=name,
            InstanceType=extra.pop("InstanceType", NB),
            RoleArn=role,
            **extra,
        )["NotebookInstanceArn"]
    )


# -- service roles -------------------------------------------------------------------------------


def test_pass_role_needed_for_the_execution_role(deployment: Deployment, role: str) -> None:
    account = deployment.account["account_id"]
    sm = user(deployment, "no-pass", stmt("sagemaker:CreateNotebookInstance"))
    with pytest.raises(ClientError) as e:
        notebook(sm, "pr-nb-1", role)
    message = denied(e, "iam:PassRole")
    assert message == (
        f"User: arn:aws:iam::{account}:user/no-pass is not authorized to perform: iam:PassRole "
        f"on resource: {role} because no identity-based policy allows the iam:PassRole action"
    )
    # PassRole for another service does not do.
    other = user(
        deployment,
        "pass-to-ec2",
        stmt("sagemaker:CreateNotebookInstance"),
        stmt("iam:PassRole", {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
    )
    with pytest.raises(ClientError) as e:
        notebook(other, "pr-nb-1", role)
    denied(e, "iam:PassRole")
    ok = user(deployment, "pass-ok", stmt("sagemaker:CreateNotebookInstance"), PASS_ROLE)
    assert notebook(ok, "pr-nb-1", role).endswith(":notebook-instance/pr-nb-1")


def test_untrusted_or_missing_execution_role(deployment: Deployment, role: str) -> None:
    account = deployment.account["account_id"]
    ec2_role = sagemaker_role(deployment, "ec2-only", service="ec2.amazonaws.com")
    sm = deployment.client("sagemaker")
    missing = f"arn:aws:iam::{account}:role/not-there"
    for bad in (ec2_role, missing):
        expected = (
            f"Could not assume role {bad}. Please ensure that the role exists and allows "
            "principal 'sagemaker.amazonaws.com' to assume the role."
        )
        with pytest.raises(ClientError) as e:
            notebook(sm, "untrusted-nb", bad)
        assert e.value.response["Error"] == {"Code": "ValidationException", "Message": expected}
        with pytest.raises(ClientError) as e:
            sm.create_training_job(**training_job("untrusted-tj", bad))
        assert e.value.response["Error"]["Message"] == expected
    # Trust the service, and the same call works; the role's path is part of its ARN.
    deployment.client("iam").update_assume_role_policy(
        RoleName="ec2-only",
        PolicyDocument=(
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
            '{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
        ),
    )
    notebook(sm, "untrusted-nb", ec2_role)
    with pytest.raises(ClientError) as e:
        notebook(sm, "wrong-path-nb", ec2_role.replace(":role/", ":role/other/"))
    assert e.value.response["Error"]["Code"] == "ValidationException"


def test_trust_policy_conditions_on_source_account(deployment: Deployment) -> None:
    account = deployment.account["account_id"]
    iam = deployment.client("iam")
    trust = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":'
        '"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":'
        '{"aws:SourceAccount":"%s"}}}]}'
    )
    ok = iam.create_role(RoleName="deputy-ok", AssumeRolePolicyDocument=trust % account)
    bad = iam.create_role(RoleName="deputy-bad", AssumeRolePolicyDocument=trust % "111122223333")
    sm = deployment.client("sagemaker")
    notebook(sm, "deputy-nb", ok["Role"]["Arn"])
    with pytest.raises(ClientError) as e:
        notebook(sm, "deputy-nb-2", bad["Role"]["Arn"])
    assert e.value.response["Error"]["Message"].startswith("Could not assume role")


def test_tags_on_create_need_add_tags(deployment: Deployment, role: str) -> None:
    sm = user(deployment, "no-addtags", stmt("sagemaker:CreateNotebookInstance"), PASS_ROLE)
    with pytest.raises(ClientError) as e:
        notebook(sm, "tag-nb", role, Tags=[{"Key": "team", "Value": "ml"}])
    denied(e, "sagemaker:AddTags")
    notebook(sm, "tag-nb", role)  # without tags: fine
    only_on_create = user(
        deployment,
        "addtags-on-create",
        stmt("sagemaker:CreateNotebookInstance"),
        PASS_ROLE,
        stmt(
            "sagemaker:AddTags",
            {"StringEquals": {"sagemaker:TaggingAction": "CreateNotebookInstance"}},
        ),
    )
    arn = notebook(only_on_create, "tag-nb-2", role, Tags=[{"Key": "team", "Value": "ml"}])
    with pytest.raises(ClientError) as e:  # a later AddTags is not a create
        only_on_create.add_tags(ResourceArn=arn, Tags=[{"Key": "x", "Value": "y"}])
    denied(e, "sagemaker:AddTags")


# -- condition keys, each allowed and denied ------------------------------------------------------


def test_instance_types_limit(deployment: Deployment, role: str) -> None:
    # Developer guide: "Limit instance types" with ForAllValues:StringLike.
    sm = user(
        deployment,
        "it-user",
        stmt(
            "sagemaker:CreateNotebookInstance",
            {"ForAllValues:StringLike": {"sagemaker:InstanceTypes": ["ml.t3.*", "ml.t2.*"]}},
        ),
        PASS_ROLE,
    )
    notebook(sm, "it-ok", role, InstanceType="ml.t3.large")
    with pytest.raises(ClientError) as e:
        notebook(sm, "it-no", role, InstanceType="ml.p3.2xlarge")
    denied(e, "sagemaker:CreateNotebookInstance")


def test_accelerator_types(deployment: Deployment, role: str) -> None:
    sm = user(
        deployment,
        "acc-user",
        stmt("sagemaker:CreateNotebookInstance"),
        PASS_ROLE,
        stmt(
            "sagemaker:CreateNotebookInstance",
            {"ForAnyValue:StringEquals": {"sagemaker:AcceleratorTypes": "ml.eia1.xlarge"}},
            effect="Deny",
        ),
    )
    notebook(sm, "acc-ok", role, AcceleratorTypes=["ml.eia1.medium"])
    with pytest.raises(ClientError) as e:
        notebook(sm, "acc-no", role, AcceleratorTypes=["ml.eia1.medium", "ml.eia1.xlarge"])
    denied(e, "sagemaker:CreateNotebookInstance")


def test_deny_root_access(deployment: Deployment, role: str) -> None:
    # Developer guide: "Prevent root access": RootAccess defaults to Enabled.
    sm = user(
        deployment,
        "root-user",
        stmt(
            [
                "sagemaker:CreateNotebookInstance",
                "sagemaker:UpdateNotebookInstance",
                "sagemaker:StopNotebookInstance",
            ]
        ),
        PASS_ROLE,
        stmt(
            ["sagemaker:CreateNotebookInstance", "sagemaker:UpdateNotebookInstance"],
            {"StringEquals": {"sagemaker:RootAccess": "Enabled"}},
            effect="Deny",
        ),
    )
    with pytest.raises(ClientError) as e:
        notebook(sm, "root-nb", role)
    denied(e, "sagemaker:CreateNotebookInstance")
    notebook(sm, "root-nb", role, RootAccess="Disabled")
    sm.stop_notebook_instance(NotebookInstanceName="root-nb")
    with pytest.raises(ClientError) as e:
        sm.update_notebook_instance(NotebookInstanceName="root-nb", RootAccess="Enabled")
    denied(e, "sagemaker:UpdateNotebookInstance")
    sm.update_notebook_instance(NotebookInstanceName="root-nb", VolumeSizeInGB=10)


def test_direct_internet_access(deployment: Deployment, role: str) -> None:
    sm = user(
        deployment,
        "dia-user",
        stmt(
            "sagemaker:CreateNotebookInstance",
            {"StringEquals": {"sagemaker:DirectInternetAccess": "Disabled"}},
        ),
        PASS_ROLE,
    )
    with pytest.raises(ClientError) as e:
        notebook(sm, "dia-nb", role)  # defaults to Enabled
    denied(e, "sagemaker:CreateNotebookInstance")
    notebook(
        sm,
        "dia-nb",
        role,
        DirectInternetAccess="Disabled",
        SubnetId="subnet-1",
        SecurityGroupIds=["sg-1"],
    )


def test_require_vpc_and_kms_for_notebooks(deployment: Deployment, role: str) -> None:
    # Developer guide: "Require a VPC / encryption": deny when the keys are absent, and allow
    # only given subnets and security groups.
    sm = user(
        deployment,
        "vpc-user",
        stmt(
            "sagemaker:CreateNotebookInstance",
            {
                "ForAllValues:StringEquals": {
                    "sagemaker:VpcSubnets": ["subnet-a"],
                    "sagemaker:VpcSecurityGroupIds": ["sg-a", "sg-b"],
                }
            },
        ),
        stmt(
            "sagemaker:CreateNotebookInstance",
            {"Null": {"sagemaker:VpcSubnets": "true"}},
            effect="Deny",
        ),
        stmt(
            "sagemaker:CreateNotebookInstance",
            {"Null": {"sagemaker:VolumeKmsKey": "true"}},
            effect="Deny",
        ),
        PASS_ROLE,
    )
    kms = "arn:aws:kms:us-east-1:111122223333:key/abcd"
    cases = [
        ({}, False),
        ({"SubnetId": "subnet-a", "SecurityGroupIds": ["sg-a"]}, False),  # no KMS key
        ({"KmsKeyId": kms}, False),  # no VPC
        ({"SubnetId": "subnet-b", "SecurityGroupIds": ["sg-a"], "KmsKeyId": kms}, False),
        ({"SubnetId": "subnet-a", "SecurityGroupIds": ["sg-a", "sg-c"], "KmsKeyId": kms}, False),
        ({"SubnetId": "subnet-a", "SecurityGroupIds": ["sg-b", "sg-a"], "KmsKeyId": kms}, True),
    ]
    for i, (extra, allowed) in enumerate(cases):
        if allowed:
            notebook(sm, f"vpc-nb-{i}", role, **extra)
        else:
            with pytest.raises(ClientError) as e:
                notebook(sm, f"vpc-nb-{i}", role, **extra)
            denied(e, "sagemaker:CreateNotebookInstance")


def training_job(name: str, role: str, **extra: Any) -> dict[str, Any]:
    job: dict[str, Any] = {
        "TrainingJobName": name,
        "AlgorithmSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/algo:1",
            "TrainingInputMode": "File",
        },
        "RoleArn": role,
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(job.get(key), dict):
            job[key] = {**job[key], **value}
        else:
            job[key] = value
    return job


def test_training_job_keys(deployment: Deployment, role: str) -> None:
    # Developer guide: enforce network isolation, inter-container encryption, output and volume
    # encryption, a VPC and a runtime limit for training jobs.
    sm = user(
        deployment,
        "tj-user",
        stmt(
            "sagemaker:CreateTrainingJob",
            {
                "Bool": {
                    "sagemaker:NetworkIsolation": "true",
                    "sagemaker:InterContainerTrafficEncryption": "true",
                },
                "NumericLessThanEquals": {"sagemaker:MaxRuntimeInSeconds": "3600"},
                "ForAllValues:StringLike": {"sagemaker:InstanceTypes": "ml.m5.*"},
            },
        ),
        stmt(
            "sagemaker:CreateTrainingJob",
            {"Null": {"sagemaker:OutputKmsKey": "true"}},
            effect="Deny",
        ),
        stmt(
            "sagemaker:CreateTrainingJob",
            {"Null": {"sagemaker:VolumeKmsKey": "true"}},
            effect="Deny",
        ),
        stmt(
            "sagemaker:CreateTrainingJob",
            {"Null": {"sagemaker:VpcSecurityGroupIds": "true"}},
            effect="Deny",
        ),
        PASS_ROLE,
    )
    good = {
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
        "OutputDataConfig": {"KmsKeyId": "alias/out"},
        "ResourceConfig": {"VolumeKmsKeyId": "alias/vol"},
        "VpcConfig": {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
    }
    bad_variants = [
        {"EnableNetworkIsolation": False},
        {"EnableInterContainerTrafficEncryption": False},
        {"StoppingCondition": {"MaxRuntimeInSeconds": 7200}},
        {"ResourceConfig": {"InstanceType": "ml.p3.2xlarge", "VolumeKmsKeyId": "alias/vol"}},
        {"OutputDataConfig": {"S3OutputPath": "s3://bucket/out"}},
        {
            "ResourceConfig": {
                "InstanceType": "ml.m5.large",
                "InstanceCount": 1,
                "VolumeSizeInGB": 10,
            }
        },
        {"VpcConfig": None},
    ]
    for i, bad in enumerate(bad_variants):
        params = training_job(f"tj-bad-{i}", role, **good)
        for key, value in bad.items():
            if value is None:
                params.pop(key)
            else:
                params[key] = (
                    value
                    if key != "ResourceConfig" or "InstanceCount" in value
                    else {**params[key], **value}
                )
        with pytest.raises(ClientError) as e:
            sm.create_training_job(**params)
        denied(e, "sagemaker:CreateTrainingJob")
    sm.create_training_job(**training_job("tj-good", role, **good))


def processing_job(name: str, role: str, **extra: Any) -> dict[str, Any]:
    job: dict[str, Any] = {
        "ProcessingJobName": name,
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 10,
            }
        },
        "AppSpecification": {"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/p:1"},
        "RoleArn": role,
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }
    job.update(extra)
    return job


def test_processing_job_keys(deployment: Deployment, role: str) -> None:
    sm = user(
        deployment,
        "pj-user",
        stmt(
            "sagemaker:CreateProcessingJob",
            {
                "Bool": {"sagemaker:InterContainerTrafficEncryption": "true"},
                "NumericLessThan": {"sagemaker:MaxRuntimeInSeconds": "1000"},
            },
        ),
        stmt(
            "sagemaker:CreateProcessingJob",
            {"Bool": {"sagemaker:NetworkIsolation": "false"}},
            effect="Deny",
        ),
        PASS_ROLE,
    )
    net = {"EnableInterContainerTrafficEncryption": True, "EnableNetworkIsolation": True}
    sm.create_processing_job(**processing_job("pj-ok", role, NetworkConfig=net))
    for i, extra in enumerate(
        [
            {"NetworkConfig": {**net, "EnableInterContainerTrafficEncryption": False}},
            {"NetworkConfig": {**net, "EnableNetworkIsolation": False}},
            {"NetworkConfig": net, "StoppingCondition": {"MaxRuntimeInSeconds": 1000}},
        ]
    ):
        with pytest.raises(ClientError) as e:
            sm.create_processing_job(**processing_job(f"pj-no-{i}", role, **extra))
        denied(e, "sagemaker:CreateProcessingJob")


def test_model_and_endpoint_config_keys(deployment: Deployment, role: str) -> None:
    admin = deployment.client("sagemaker")
    container = {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"}
    sm = user(
        deployment,
        "model-user",
        stmt("sagemaker:CreateModel", {"Bool": {"sagemaker:NetworkIsolation": "true"}}),
        stmt(
            "sagemaker:CreateEndpointConfig",
            {
                "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": "ml.c5.large"},
                "StringLike": {"sagemaker:VolumeKmsKey": "alias/*"},
            },
        ),
        PASS_ROLE,
    )
    with pytest.raises(ClientError) as e:
        sm.create_model(ModelName="m-no", PrimaryContainer=container, ExecutionRoleArn=role)
    denied(e, "sagemaker:CreateModel")
    sm.create_model(
        ModelName="m-ok",
        PrimaryContainer=container,
        ExecutionRoleArn=role,
        EnableNetworkIsolation=True,
    )
    admin.describe_model(ModelName="m-ok")

    def variant(instance: str) -> list[dict[str, Any]]:
        return [
            {
                "VariantName": "v",
                "ModelName": "m-ok",
                "InstanceType": instance,
                "InitialInstanceCount": 1,
            }
        ]

    with pytest.raises(ClientError) as e:
        sm.create_endpoint_config(
            EndpointConfigName="ec-no",
            ProductionVariants=variant("ml.p3.2xlarge"),
            KmsKeyId="alias/k",
        )
    denied(e, "sagemaker:CreateEndpointConfig")
    with pytest.raises(ClientError) as e:
        sm.create_endpoint_config(
            EndpointConfigName="ec-no", ProductionVariants=variant("ml.c5.large")
        )
    denied(e, "sagemaker:CreateEndpointConfig")
    sm.create_endpoint_config(
        EndpointConfigName="ec-ok", ProductionVariants=variant("ml.c5.large"), KmsKeyId="alias/k"
    )


# -- tag-based access ------------------------------------------------------------------------------


def test_resource_tags_restrict_access(deployment: Deployment, role: str) -> None:
    # Developer guide: "Control access to SageMaker resources by using tags".
    admin = deployment.client("sagemaker")
    mine = notebook(admin, "tags-mine", role, Tags=[{"Key": "team", "Value": "ml"}])
    theirs = notebook(admin, "tags-theirs", role, Tags=[{"Key": "team", "Value": "web"}])
    sm = user(
        deployment,
        "tag-reader",
        stmt(
            ["sagemaker:DescribeNotebookInstance", "sagemaker:ListTags"],
            {"StringEquals": {"sagemaker:ResourceTag/team": "ml"}},
        ),
        stmt(
            ["sagemaker:StopNotebookInstance", "sagemaker:DeleteTags"],
            {"StringEquals": {"aws:ResourceTag/team": "ml"}},
        ),
        stmt("sagemaker:ListNotebookInstances"),
    )
    assert (
        sm.describe_notebook_instance(NotebookInstanceName="tags-mine")["NotebookInstanceArn"]
        == mine
    )
    assert sm.list_tags(ResourceArn=mine)["Tags"] == [{"Key": "team", "Value": "ml"}]
    with pytest.raises(ClientError) as e:
        sm.describe_notebook_instance(NotebookInstanceName="tags-theirs")
    assert theirs in denied(e, "sagemaker:DescribeNotebookInstance")
    with pytest.raises(ClientError) as e:
        sm.list_tags(ResourceArn=theirs)
    denied(e, "sagemaker:ListTags")
    sm.stop_notebook_instance(NotebookInstanceName="tags-mine")
    with pytest.raises(ClientError) as e:
        sm.stop_notebook_instance(NotebookInstanceName="tags-theirs")
    denied(e, "sagemaker:StopNotebookInstance")
    # Re-tagging moves the resource in or out of reach on the very next call.
    admin.add_tags(ResourceArn=theirs, Tags=[{"Key": "team", "Value": "ml"}])
    sm.describe_notebook_instance(NotebookInstanceName="tags-theirs")
    sm.delete_tags(ResourceArn=mine, TagKeys=["team"])
    with pytest.raises(ClientError) as e:
        sm.describe_notebook_instance(NotebookInstanceName="tags-mine")
    denied(e, "sagemaker:DescribeNotebookInstance")


def test_request_tags_and_tag_keys(deployment: Deployment, role: str) -> None:
    # Developer guide: require a tag on create, and allow only some tag keys.
    sm = user(
        deployment,
        "tagger",
        stmt(
            ["sagemaker:CreateNotebookInstance", "sagemaker:AddTags"],
            {
                "StringEquals": {"aws:RequestTag/project": "alpha"},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["project", "owner"]},
            },
        ),
        PASS_ROLE,
    )
    with pytest.raises(ClientError) as e:
        notebook(sm, "rt-nb", role)
    denied(e, "sagemaker:CreateNotebookInstance")
    with pytest.raises(ClientError) as e:
        notebook(sm, "rt-nb", role, Tags=[{"Key": "project", "Value": "beta"}])
    denied(e, "sagemaker:CreateNotebookInstance")
    with pytest.raises(ClientError) as e:
        notebook(
            sm,
            "rt-nb",
            role,
            Tags=[{"Key": "project", "Value": "alpha"}, {"Key": "cost", "Value": "1"}],
        )
    denied(e, "sagemaker:CreateNotebookInstance")
    arn = notebook(
        sm,
        "rt-nb",
        role,
        Tags=[{"Key": "project", "Value": "alpha"}, {"Key": "owner", "Value": "me"}],
    )
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "project", "Value": "alpha"}])
    with pytest.raises(ClientError) as e:
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "project", "Value": "gamma"}])
    denied(e, "sagemaker:AddTags")


def test_denied_with_the_cli(deployment: Deployment, role: str) -> None:
    creds = new_user(deployment, "cli-nobody")
    proc = deployment.aws("sagemaker", "list-notebook-instances", creds=creds, check=False)
    assert proc.returncode != 0
    assert "AccessDeniedException" in proc.stderr
    assert "sagemaker:ListNotebookInstances" in proc.stderr


# -- the presigned notebook URL ------------------------------------------------------------------


def fetch_from(url: str, source: str) -> int:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=10, source_address=(source, 0)
    )
    try:
        conn.request("GET", f"{parts.path}?{parts.query}")
        return conn.getresponse().status
    finally:
        conn.close()


def test_presigned_url_limited_to_an_ip_range(deployment: Deployment, role: str) -> None:
    # Developer guide: "Limit access to a notebook instance by IP address".
    admin = deployment.client("sagemaker")
    notebook(admin, "ip-nb", role)

    def ip_user(name: str, cidr: str) -> Any:
        return user(
            deployment,
            name,
            stmt(
                [
                    "sagemaker:CreatePresignedNotebookInstanceUrl",
                    "sagemaker:DescribeNotebookInstance",
                ],
                {"IpAddress": {"aws:SourceIp": cidr}},
            ),
        )

    outside = ip_user("ip-outside", "192.0.2.0/24")
    with pytest.raises(ClientError) as e:
        outside.create_presigned_notebook_instance_url(NotebookInstanceName="ip-nb")
    denied(e, "sagemaker:CreatePresignedNotebookInstanceUrl")
    # A client cannot choose its address: X-Forwarded-For is not believed, even from loopback.
    outside.meta.events.register("before-send.sagemaker.*", _forwarded_for("192.0.2.7"))
    with pytest.raises(ClientError) as e:
        outside.create_presigned_notebook_instance_url(NotebookInstanceName="ip-nb")
    denied(e, "sagemaker:CreatePresignedNotebookInstanceUrl")
    inside = ip_user("ip-inside", "127.0.0.0/8")
    url = inside.create_presigned_notebook_instance_url(NotebookInstanceName="ip-nb")[
        "AuthorizedUrl"
    ]
    assert fetch_from(url, "127.0.0.1") == 200
    # The URL is usable only from the address it was issued to.
    assert fetch_from(url, "127.0.0.2") == 403


def _forwarded_for(address: str) -> Any:
    def add(request: Any, **_: Any) -> None:
        request.headers["X-Forwarded-For"] = address

    return add


def test_delete_tags_keys_and_model_arn(deployment: Deployment, role: str) -> None:
    account = deployment.account["account_id"]
    admin = deployment.client("sagemaker")
    arn = notebook(
        admin, "dt-nb", role, Tags=[{"Key": "temp", "Value": "1"}, {"Key": "owner", "Value": "x"}]
    )
    sm = user(
        deployment,
        "untagger",
        stmt("sagemaker:DeleteTags", {"ForAllValues:StringEquals": {"aws:TagKeys": ["temp"]}}),
        stmt(
            "sagemaker:CreateEndpointConfig",
            {"ArnLike": {"sagemaker:ModelArn": f"arn:aws:sagemaker:*:{account}:model/ok-*"}},
        ),
    )
    with pytest.raises(ClientError) as e:
        sm.delete_tags(ResourceArn=arn, TagKeys=["temp", "owner"])
    denied(e, "sagemaker:DeleteTags")
    sm.delete_tags(ResourceArn=arn, TagKeys=["temp"])
    assert admin.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "x"}]
    image = {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"}
    for name in ("ok-model", "other-model"):
        admin.create_model(ModelName=name, PrimaryContainer=image, ExecutionRoleArn=role)

    def config(name: str, model: str) -> None:
        sm.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[
                {
                    "VariantName": "v",
                    "ModelName": model,
                    "InstanceType": "ml.c5.large",
                    "InitialInstanceCount": 1,
                }
            ],
        )

    with pytest.raises(ClientError) as e:
        config("arn-no", "other-model")
    denied(e, "sagemaker:CreateEndpointConfig")
    config("arn-ok", "ok-model")
