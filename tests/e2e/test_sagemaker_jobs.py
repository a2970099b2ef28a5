"""Training and processing jobs, models, endpoint configs and endpoints over real boto3 and
the AWS CLI (issue 6): every operation, time-driven states, boto3's waiters, AWS's errors."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import Deployment
from tests.e2e.helpers import sagemaker_role
from tests.e2e.test_sagemaker_access import processing_job, training_job

FAST = {"Delay": 1, "MaxAttempts": 60}


@pytest.fixture(scope="module", autouse=True)
def _transitions() -> Iterator[None]:
    old = os.environ.get("SAGEGATE_SAGEMAKER_TRANSITION_SECONDS")
    os.environ["SAGEGATE_SAGEMAKER_TRANSITION_SECONDS"] = "1"
    yield
    if old is None:
        del os.environ["SAGEGATE_SAGEMAKER_TRANSITION_SECONDS"]
    else:
        os.environ["SAGEGATE_SAGEMAKER_TRANSITION_SECONDS"] = old


@pytest.fixture(scope="module")
def role(deployment: Deployment) -> str:
    return sagemaker_role(deployment, "jobs-exec")


def until(fetch: Callable[[], dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        found = fetch()
        if found[key] == value or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_training_job_runs_through_its_secondary_statuses(
    deployment: Deployment, role: str
) -> None:
    account = deployment.account["account_id"]
    sm = deployment.client("sagemaker")
    arn = sm.create_training_job(**training_job("Train-1", role))["TrainingJobArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:{account}:training-job/train-1"
    first = sm.describe_training_job(TrainingJobName="Train-1")
    assert first["TrainingJobStatus"] == "InProgress"
    assert first["RoleArn"] == role and first["TrainingJobName"] == "Train-1"
    assert first["ResourceConfig"]["InstanceType"] == "ml.m5.large"
    sm.get_waiter("training_job_completed_or_stopped").wait(
        TrainingJobName="Train-1", WaiterConfig=FAST
    )
    done = sm.describe_training_job(TrainingJobName="Train-1")
    assert (done["TrainingJobStatus"], done["SecondaryStatus"]) == ("Completed", "Completed")
    assert [t["Status"] for t in done["SecondaryStatusTransitions"]] == [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    assert all("EndTime" in t for t in done["SecondaryStatusTransitions"])
    assert (
        done["ModelArtifacts"]["S3ModelArtifacts"] == "s3://bucket/out/Train-1/output/model.tar.gz"
    )
    assert done["TrainingEndTime"] > done["TrainingStartTime"]
    with pytest.raises(ClientError) as e:
        sm.stop_training_job(TrainingJobName="Train-1")
    assert error(e) == (
        "ValidationException",
        "The request was rejected because the training job is in status Completed.",
    )
    listed = sm.list_training_jobs(NameContains="train-1", StatusEquals="Completed")
    assert [j["TrainingJobArn"] for j in listed["TrainingJobSummaries"]] == [arn]
    with pytest.raises(ClientError) as e:
        sm.create_training_job(**training_job("TRAIN-1", role))
    assert error(e) == (
        "ResourceInUse",
        "Training job names must be unique within an AWS account and region, and a training "
        f"job with this name already exists ({arn})",
    )
    for op in (sm.describe_training_job, sm.stop_training_job):
        with pytest.raises(ClientError) as e:
            op(TrainingJobName="no-such-job")
        assert error(e) == ("ValidationException", "Requested resource not found.")


def test_training_job_stopped(deployment: Deployment, role: str) -> None:
    sm = deployment.client("sagemaker")
    sm.create_training_job(
        **training_job("train-stop", role, StoppingCondition={"MaxRuntimeInSeconds": 3600})
    )
    deployment.aws("sagemaker", "stop-training-job", "--training-job-name", "train-stop")
    stopping = sm.describe_training_job(TrainingJobName="train-stop")
    assert stopping["TrainingJobStatus"] in ("Stopping", "Stopped")
    done = until(
        lambda: sm.describe_training_job(TrainingJobName="train-stop"),
        "TrainingJobStatus",
        "Stopped",
    )
    assert [t["Status"] for t in done["SecondaryStatusTransitions"]][-2:] == ["Stopping", "Stopped"]
    out = deployment.aws("sagemaker", "list-training-jobs", "--status-equals", "Stopped")
    assert "train-stop" in [j["TrainingJobName"] for j in out["TrainingJobSummaries"]]


def test_training_job_max_runtime_exceeded(deployment: Deployment, role: str) -> None:
    sm = deployment.client("sagemaker")
    sm.create_training_job(
        **training_job("train-short", role, StoppingCondition={"MaxRuntimeInSeconds": 1})
    )
    done = until(
        lambda: sm.describe_training_job(TrainingJobName="train-short"),
        "TrainingJobStatus",
        "Stopped",
    )
    assert done["SecondaryStatus"] == "MaxRuntimeExceeded"


def test_processing_jobs(deployment: Deployment, role: str) -> None:
    account = deployment.account["account_id"]
    sm = deployment.client("sagemaker")
    arn = sm.create_processing_job(**processing_job("Proc-1", role))["ProcessingJobArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:{account}:processing-job/proc-1"
    assert sm.describe_processing_job(ProcessingJobName="Proc-1")["ProcessingJobStatus"] in (
        "InProgress",
        "Completed",
    )
    sm.get_waiter("processing_job_completed_or_stopped").wait(
        ProcessingJobName="Proc-1", WaiterConfig=FAST
    )
    done = sm.describe_processing_job(ProcessingJobName="Proc-1")
    assert done["ProcessingJobStatus"] == "Completed" and done["RoleArn"] == role
    assert done["ProcessingEndTime"] >= done["ProcessingStartTime"]
    with pytest.raises(ClientError) as e:
        sm.stop_processing_job(ProcessingJobName="Proc-1")
    assert error(e)[0] == "ValidationException"
    sm.create_processing_job(**processing_job("proc-2", role))
    sm.stop_processing_job(ProcessingJobName="proc-2")
    until(
        lambda: sm.describe_processing_job(ProcessingJobName="proc-2"),
        "ProcessingJobStatus",
        "Stopped",
    )
    listed = sm.list_processing_jobs(NameContains="proc-", SortBy="Name", SortOrder="Ascending")
    assert [
        (j["ProcessingJobName"], j["ProcessingJobStatus"]) for j in listed["ProcessingJobSummaries"]
    ] == [("Proc-1", "Completed"), ("proc-2", "Stopped")]
    with pytest.raises(ClientError) as e:
        sm.create_processing_job(**processing_job("proc-2", role))
    assert error(e)[0] == "ResourceInUse"
    with pytest.raises(ClientError) as e:
        sm.describe_processing_job(ProcessingJobName="no-such")
    assert error(e) == ("ValidationException", "Could not find requested job with name no-such")


def test_models_endpoint_configs_and_endpoints(deployment: Deployment, role: str) -> None:
    account = deployment.account["account_id"]
    sm = deployment.client("sagemaker")
    prefix = f"arn:aws:sagemaker:us-east-1:{account}"
    out = deployment.aws(
        "sagemaker",
        "create-model",
        "--model-name",
        "Model-A",
        "--execution-role-arn",
        role,
        "--primary-container",
        "Image=123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1",
    )
    assert out["ModelArn"] == f"{prefix}:model/model-a"
    assert sm.describe_model(ModelName="model-a")["ExecutionRoleArn"] == role
    assert [m["ModelName"] for m in sm.list_models(NameContains="model-a")["Models"]] == ["Model-A"]
    with pytest.raises(ClientError) as e:
        sm.create_model(
            ModelName="MODEL-A",
            ExecutionRoleArn=role,
            PrimaryContainer={"Image": "x.dkr.ecr.us-east-1.amazonaws.com/m:1"},
        )
    assert error(e) == (
        "ValidationException",
        f'Cannot create already existing model "{prefix}:model/model-a".',
    )

    def variants(model: str) -> list[dict[str, Any]]:
        return [
            {
                "VariantName": "AllTraffic",
                "ModelName": model,
                "InstanceType": "ml.c5.large",
                "InitialInstanceCount": 2,
            }
        ]

    with pytest.raises(ClientError) as e:
        sm.create_endpoint_config(EndpointConfigName="ec-x", ProductionVariants=variants("nope"))
    assert error(e) == ("ValidationException", f'Could not find model "{prefix}:model/nope".')
    for name in ("EC-1", "ec-2"):
        sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=variants("Model-A"))
    got = sm.describe_endpoint_config(EndpointConfigName="ec-1")
    assert got["EndpointConfigArn"] == f"{prefix}:endpoint-config/ec-1"
    assert got["ProductionVariants"][0]["InstanceType"] == "ml.c5.large"
    listed = sm.list_endpoint_configs(NameContains="ec-", SortBy="Name", SortOrder="Ascending")
    assert [c["EndpointConfigName"] for c in listed["EndpointConfigs"]] == ["EC-1", "ec-2"]

    with pytest.raises(ClientError) as e:
        sm.create_endpoint(EndpointName="ep", EndpointConfigName="nope")
    assert error(e) == (
        "ValidationException",
        f'Could not find endpoint configuration "{prefix}:endpoint-config/nope".',
    )
    ep_arn = sm.create_endpoint(EndpointName="Ep-1", EndpointConfigName="EC-1")["EndpointArn"]
    assert ep_arn == f"{prefix}:endpoint/ep-1"
    assert sm.describe_endpoint(EndpointName="ep-1")["EndpointStatus"] in ("Creating", "InService")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="Ep-1", WaiterConfig=FAST)
    ep = sm.describe_endpoint(EndpointName="Ep-1")
    assert ep["ProductionVariants"][0]["CurrentInstanceCount"] == 2
    assert ep["EndpointConfigName"] == "EC-1"
    sm.update_endpoint(EndpointName="Ep-1", EndpointConfigName="ec-2")
    with pytest.raises(ClientError) as e:
        sm.update_endpoint(EndpointName="Ep-1", EndpointConfigName="EC-1")
    assert error(e) == ("ValidationException", f'Cannot update in-progress endpoint "{ep_arn}".')
    sm.get_waiter("endpoint_in_service").wait(EndpointName="Ep-1", WaiterConfig=FAST)
    assert sm.describe_endpoint(EndpointName="Ep-1")["EndpointConfigName"] == "ec-2"
    listed_eps = sm.list_endpoints(NameContains="ep-1", StatusEquals="InService")["Endpoints"]
    assert [x["EndpointArn"] for x in listed_eps] == [ep_arn]
    deployment.aws("sagemaker", "delete-endpoint", "--endpoint-name", "Ep-1")
    sm.get_waiter("endpoint_deleted").wait(EndpointName="Ep-1", WaiterConfig=FAST)
    with pytest.raises(ClientError) as e:
        sm.describe_endpoint(EndpointName="Ep-1")
    assert error(e) == ("ValidationException", f'Could not find endpoint "{ep_arn}".')

    sm.delete_endpoint_config(EndpointConfigName="ec-1")
    with pytest.raises(ClientError) as e:
        sm.describe_endpoint_config(EndpointConfigName="ec-1")
    assert error(e)[1] == f'Could not find endpoint configuration "{prefix}:endpoint-config/ec-1".'
    sm.delete_model(ModelName="Model-A")
    with pytest.raises(ClientError) as e:
        sm.delete_model(ModelName="Model-A")
    assert error(e) == ("ValidationException", f'Could not find model "{prefix}:model/model-a".')


def test_tags_on_every_kind(deployment: Deployment, role: str) -> None:
    sm = deployment.client("sagemaker")
    tags = [{"Key": "k", "Value": "v"}]
    arns = [
        sm.create_training_job(**training_job("tag-tj", role), Tags=tags)["TrainingJobArn"],
        sm.create_processing_job(**processing_job("tag-pj", role), Tags=tags)["ProcessingJobArn"],
        sm.create_model(
            ModelName="tag-m",
            ExecutionRoleArn=role,
            Tags=tags,
            PrimaryContainer={"Image": "1.dkr.ecr.us-east-1.amazonaws.com/m:1"},
        )["ModelArn"],
        sm.create_notebook_instance_lifecycle_config(
            NotebookInstanceLifecycleConfigName="tag-lc", Tags=tags
        )["NotebookInstanceLifecycleConfigArn"],
    ]
    arns.append(
        sm.create_endpoint_config(
            EndpointConfigName="tag-ec",
            Tags=tags,
            ProductionVariants=[
                {
                    "VariantName": "v",
                    "ModelName": "tag-m",
                    "InstanceType": "ml.c5.large",
                    "InitialInstanceCount": 1,
                }
            ],
        )["EndpointConfigArn"]
    )
    arns.append(
        sm.create_endpoint(EndpointName="tag-ep", EndpointConfigName="tag-ec", Tags=tags)[
            "EndpointArn"
        ]
    )
    for arn in arns:
        assert sm.list_tags(ResourceArn=arn)["Tags"] == tags
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "x", "Value": "y"}])
        sm.delete_tags(ResourceArn=arn, TagKeys=["k"])
        assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "x", "Value": "y"}]
