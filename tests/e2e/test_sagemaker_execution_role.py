"""SageMaker holding execution-role credentials (issue 6, *Service roles*), over a real server,
boto3, the AWS CLI and `sagegate sagemaker credentials`: a notebook instance or training job that
starts running has SageMaker assume its role (the trust policy evaluated for the service
principal with aws:SourceArn / aws:SourceAccount); the credentials held are an assumed-role session
`.../SageMaker` with exactly the role's permissions (policies within the boundary); a role gone
or no longer trusting SageMaker sends the resource to Failed with SageMaker's FailureReason."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import AWS, SAGEGATE, Credentials, Deployment
from tests.e2e.helpers import allow

# Seconds a transitional state lasts in this module's server. A training job is InProgress for
# three more periods once SageMaker has assumed its role, time enough for the CLI to run.
TRANSITION = "3"
SAGEMAKER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
EC2_TRUST = json.dumps(SAGEMAKER_TRUST).replace("sagemaker.amazonaws.com", "ec2.amazonaws.com")


@pytest.fixture(scope="module", autouse=True)
def _transitions() -> Iterator[None]:
    old = os.environ.get("SAGEGATE_SAGEMAKER_TRANSITION_SECONDS")
    os.environ["SAGEGATE_SAGEMAKER_TRANSITION_SECONDS"] = TRANSITION
    yield
    if old is None:
        del os.environ["SAGEGATE_SAGEMAKER_TRANSITION_SECONDS"]
    else:
        os.environ["SAGEGATE_SAGEMAKER_TRANSITION_SECONDS"] = old


def held(d: Deployment, resource: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """`sagegate sagemaker credentials` for `resource` (not checked)."""
    return d.run_cli("sagemaker", "credentials", *d.store_args(), *extra, resource, check=False)


def held_credentials(d: Deployment, resource: str, *extra: str) -> Credentials:
    proc = held(d, resource, *extra)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["Version"] == 1 and set(out) == {
        "Version",
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    }
    return Credentials(out["AccessKeyId"], out["SecretAccessKey"], out["SessionToken"])


def until(read: Callable[[], dict[str, Any]], done: Callable[[dict[str, Any]], bool]) -> Any:
    deadline = time.monotonic() + 60
    while True:
        found = read()
        if done(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def notebook_status(sm: Any, name: str, *statuses: str) -> dict[str, Any]:
    return until(  # type: ignore[no-any-return]
        lambda: sm.describe_notebook_instance(NotebookInstanceName=name),
        lambda f: f["NotebookInstanceStatus"] in statuses,
    )


def failed_cannot_stop(arn: str) -> tuple[str, str]:
    """The error StopNotebookInstance answers for a notebook that has Failed."""
    return (
        "ValidationException",
        f"Status (Failed) not in ([InService]). Unable to transition to (Stopping) for "
        f"Notebook Instance ({arn})",
    )


def role(d: Deployment, name: str, trust: dict[str, Any] | None = None, **extra: Any) -> str:
    doc = json.dumps(trust or SAGEMAKER_TRUST)
    made = d.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=doc, **extra)
    return str(made["Role"]["Arn"])


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_notebook_holds_the_role_credentials(deployment: Deployment, tmp_path: Path) -> None:
    account = deployment.account["account_id"]
    iam = deployment.client("iam")
    boundary = iam.create_policy(
        PolicyName="exec-boundary",
        PolicyDocument=json.dumps(allow(["iam:GetRole", "iam:ListRoles"])),
    )["Policy"]["Arn"]
    role_arn = role(deployment, "exec-nb-role", PermissionsBoundary=boundary)
    iam.put_role_policy(
        RoleName="exec-nb-role",
        PolicyName="work",
        PolicyDocument=json.dumps(allow(["iam:GetRole", "iam:ListUsers"])),
    )
    sm = deployment.client("sagemaker")
    arn = sm.create_notebook_instance(
        NotebookInstanceName="Exec-NB", InstanceType="ml.t3.medium", RoleArn=role_arn
    )["NotebookInstanceArn"]
    found = notebook_status(sm, "Exec-NB", "InService", "Failed")
    assert found["NotebookInstanceStatus"] == "InService" and "FailureReason" not in found
    creds = held_credentials(deployment, "Exec-NB")  # by name: the deployment's only account
    # Nothing of the session shows in SageMaker's own answers.
    described = json.dumps(
        sm.describe_notebook_instance(NotebookInstanceName="Exec-NB"), default=str
    )
    listed = json.dumps(sm.list_notebook_instances(NameContains="exec-nb"), default=str)
    for text in (described, listed):
        assert creds.access_key_id not in text and creds.session_token not in text
        assert "_session" not in text
    session_arn = f"arn:aws:sts::{account}:assumed-role/exec-nb-role/SageMaker"
    me = deployment.client("sts", creds).get_caller_identity()
    assert me["Arn"] == session_arn and me["Account"] == account
    role_id = iam.get_role(RoleName="exec-nb-role")["Role"]["RoleId"]
    assert me["UserId"] == f"{role_id}:SageMaker"
    # The AWS CLI takes the command as a credential_process.
    config = tmp_path / "config"
    command = " ".join([SAGEGATE, "sagemaker", "credentials", *deployment.store_args(), arn])
    config.write_text(f"[profile notebook]\ncredential_process = {command}\nregion = us-east-1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PROFILE": "notebook",
        "AWS_MAX_ATTEMPTS": "1",
    }
    proc = subprocess.run(
        [
            AWS,
            "--endpoint-url",
            deployment.endpoint,
            "--output",
            "json",
            "sts",
            "get-caller-identity",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["Arn"] == session_arn
    # Exactly the role's permissions: its policy within its boundary.
    as_role = deployment.client("iam", creds)
    assert as_role.get_role(RoleName="exec-nb-role")["Role"]["Arn"] == role_arn
    assert deployment.aws("iam", "get-role", "--role-name", "exec-nb-role", creds=creds)
    for action, call in (
        ("iam:ListUsers", as_role.list_users),  # allowed by the role, not by the boundary
        ("iam:ListRoles", as_role.list_roles),  # allowed by the boundary only
    ):
        with pytest.raises(ClientError) as e:
            call()
        code, message = error(e)
        assert code == "AccessDenied"
        assert message.startswith(f"User: {session_arn} is not authorized to perform: {action}")
    denied = deployment.aws("iam", "list-users", creds=creds, check=False)
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr
    # A stopped notebook holds nothing.
    sm.stop_notebook_instance(NotebookInstanceName="Exec-NB")
    stopped = held(deployment, arn)
    assert stopped.returncode == 1 and "SageMaker holds credentials only while it is InService" in (
        stopped.stderr
    )


def test_trust_conditions_on_source_arn_and_account(deployment: Deployment) -> None:
    account = deployment.account["account_id"]
    trust = json.loads(json.dumps(SAGEMAKER_TRUST))
    trust["Statement"][0]["Condition"] = {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {"aws:SourceArn": f"arn:aws:sagemaker:*:{account}:notebook-instance/src-ok-*"},
    }
    role_arn = role(deployment, "src-cond-role", trust)
    sm = deployment.client("sagemaker")
    with pytest.raises(ClientError) as e:
        sm.create_notebook_instance(
            NotebookInstanceName="src-other", InstanceType="ml.t3.medium", RoleArn=role_arn
        )
    assert error(e) == (
        "ValidationException",
        f"Could not assume role {role_arn}. Please ensure that the role exists and allows "
        "principal 'sagemaker.amazonaws.com' to assume the role.",
    )
    sm.create_notebook_instance(
        NotebookInstanceName="src-ok-1", InstanceType="ml.t3.medium", RoleArn=role_arn
    )
    assert notebook_status(sm, "src-ok-1", "InService", "Failed")["NotebookInstanceStatus"] == (
        "InService"
    )
    creds = held_credentials(deployment, "src-ok-1")
    assert deployment.aws("sts", "get-caller-identity", creds=creds)["Arn"].endswith(
        ":assumed-role/src-cond-role/SageMaker"
    )
    # The trust now names another source account: starting again, SageMaker cannot assume it.
    trust["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"] = "111122223333"
    deployment.client("iam").update_assume_role_policy(
        RoleName="src-cond-role", PolicyDocument=json.dumps(trust)
    )
    sm.stop_notebook_instance(NotebookInstanceName="src-ok-1")
    notebook_status(sm, "src-ok-1", "Stopped")
    sm.start_notebook_instance(NotebookInstanceName="src-ok-1")
    failed = notebook_status(sm, "src-ok-1", "Failed", "InService")
    assert failed["NotebookInstanceStatus"] == "Failed"
    assert failed["FailureReason"] == f"SageMaker was unable to assume the role '{role_arn}'"


def test_notebook_fails_when_its_role_can_no_longer_be_assumed(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    sm = deployment.client("sagemaker")
    trusted = role(deployment, "exec-changed")
    gone = role(deployment, "exec-gone")
    arn = sm.create_notebook_instance(
        NotebookInstanceName="nb-changed", InstanceType="ml.t3.medium", RoleArn=trusted
    )["NotebookInstanceArn"]
    sm.create_notebook_instance(
        NotebookInstanceName="nb-gone", InstanceType="ml.t3.medium", RoleArn=gone
    )
    iam.update_assume_role_policy(RoleName="exec-changed", PolicyDocument=EC2_TRUST)
    iam.delete_role(RoleName="exec-gone")
    failed = notebook_status(sm, "nb-changed", "Failed", "InService")
    reason = f"SageMaker was unable to assume the role '{trusted}'"
    assert failed["NotebookInstanceStatus"] == "Failed" and failed["FailureReason"] == reason
    cli = deployment.aws(
        "sagemaker", "describe-notebook-instance", "--notebook-instance-name", "nb-changed"
    )
    assert cli["NotebookInstanceStatus"] == "Failed" and cli["FailureReason"] == reason
    gone_nb = notebook_status(sm, "nb-gone", "Failed", "InService")
    assert gone_nb["FailureReason"] == f"SageMaker was unable to assume the role '{gone}'"
    listed = sm.list_notebook_instances(StatusEquals="Failed", NameContains="nb-")
    assert {n["NotebookInstanceName"] for n in listed["NotebookInstances"]} >= {
        "nb-changed",
        "nb-gone",
    }
    assert all(n["NotebookInstanceStatus"] == "Failed" for n in listed["NotebookInstances"])
    # A failed notebook cannot be stopped, holds no credentials, and can be started or deleted.
    with pytest.raises(ClientError) as e:
        sm.stop_notebook_instance(NotebookInstanceName="nb-changed")
    assert error(e) == failed_cannot_stop(arn)
    refused = held(deployment, arn)
    assert refused.returncode == 1 and "is Failed" in refused.stderr and reason in refused.stderr
    iam.update_assume_role_policy(
        RoleName="exec-changed", PolicyDocument=json.dumps(SAGEMAKER_TRUST)
    )
    sm.start_notebook_instance(NotebookInstanceName="nb-changed")
    pending = sm.describe_notebook_instance(NotebookInstanceName="nb-changed")
    assert pending["NotebookInstanceStatus"] in ("Pending", "InService")
    assert "FailureReason" not in pending
    back = notebook_status(sm, "nb-changed", "InService", "Failed")
    assert back["NotebookInstanceStatus"] == "InService" and "FailureReason" not in back
    assert held(deployment, arn).returncode == 0
    sm.delete_notebook_instance(NotebookInstanceName="nb-gone")
    with pytest.raises(ClientError) as e:
        until(
            lambda: sm.describe_notebook_instance(NotebookInstanceName="nb-gone"),
            lambda f: False,
        )
    assert error(e) == ("ValidationException", "RecordNotFound")


def test_the_first_stop_after_pending_takes_on_the_role_in_its_own_write(
    deployment: Deployment,
) -> None:
    """Nobody reads the notebook while it leaves Pending: the Stop that comes first assumes the
    role (RoleLastUsed moves) and stops it; with a role SageMaker can no longer assume, the
    notebook has failed and the Stop is refused, the failure kept."""
    iam = deployment.client("iam")
    sm = deployment.client("sagemaker")
    ok = role(deployment, "first-stop-ok")
    bad = role(deployment, "first-stop-bad")
    sm.create_notebook_instance(
        NotebookInstanceName="first-stop-ok", InstanceType="ml.t3.medium", RoleArn=ok
    )
    bad_arn = sm.create_notebook_instance(
        NotebookInstanceName="first-stop-bad", InstanceType="ml.t3.medium", RoleArn=bad
    )["NotebookInstanceArn"]
    iam.update_assume_role_policy(RoleName="first-stop-bad", PolicyDocument=EC2_TRUST)
    assert "LastUsedDate" not in iam.get_role(RoleName="first-stop-ok")["Role"]["RoleLastUsed"]
    time.sleep(float(TRANSITION) + 0.5)
    sm.stop_notebook_instance(NotebookInstanceName="first-stop-ok")
    assert "LastUsedDate" in iam.get_role(RoleName="first-stop-ok")["Role"]["RoleLastUsed"]
    stopped = notebook_status(sm, "first-stop-ok", "Stopped")
    assert "FailureReason" not in stopped
    with pytest.raises(ClientError) as e:
        sm.stop_notebook_instance(NotebookInstanceName="first-stop-bad")
    assert error(e) == failed_cannot_stop(bad_arn)
    failed = sm.describe_notebook_instance(NotebookInstanceName="first-stop-bad")
    assert failed["NotebookInstanceStatus"] == "Failed"
    assert failed["FailureReason"] == f"SageMaker was unable to assume the role '{bad}'"


def training_job(name: str, role_arn: str) -> dict[str, Any]:
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/algo:1",
            "TrainingInputMode": "File",
        },
        "RoleArn": role_arn,
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }


def test_training_job_holds_the_role_credentials(deployment: Deployment) -> None:
    account = deployment.account["account_id"]
    role_arn = role(deployment, "exec-tj-role")
    sm = deployment.client("sagemaker")
    # The job is InProgress for three periods once SageMaker has assumed its role; should the
    # machine be so slow that the CLI reads it Completed, try again with another job.
    for attempt in range(3):
        name = f"exec-tj-{attempt}"
        arn = sm.create_training_job(**training_job(name, role_arn))["TrainingJobArn"]
        running = until(
            lambda n=name: sm.describe_training_job(TrainingJobName=n),
            lambda f: f["SecondaryStatus"] != "Starting",
        )
        assert running["TrainingJobStatus"] == "InProgress", running
        assert running["SecondaryStatus"] == "Downloading"
        proc = held(deployment, arn)
        if proc.returncode == 0 or "is Completed" not in proc.stderr:
            break
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    creds = Credentials(out["AccessKeyId"], out["SecretAccessKey"], out["SessionToken"])
    me = deployment.aws("sts", "get-caller-identity", creds=creds)
    assert me["Arn"] == f"arn:aws:sts::{account}:assumed-role/exec-tj-role/SageMaker"
    described = json.dumps(sm.describe_training_job(TrainingJobName=name), default=str)
    assert creds.access_key_id not in described and "_session" not in described


def test_training_job_fails_when_its_role_is_deleted(deployment: Deployment) -> None:
    role_arn = role(deployment, "exec-tj-gone")
    sm = deployment.client("sagemaker")
    arn = sm.create_training_job(**training_job("exec-tj-f", role_arn))["TrainingJobArn"]
    deployment.client("iam").delete_role(RoleName="exec-tj-gone")
    failed = until(
        lambda: sm.describe_training_job(TrainingJobName="exec-tj-f"),
        lambda f: f["TrainingJobStatus"] != "InProgress",
    )
    reason = f"ClientError: SageMaker was unable to assume the role '{role_arn}'"
    assert failed["TrainingJobStatus"] == "Failed" and failed["FailureReason"] == reason
    assert failed["SecondaryStatus"] == "Failed"
    last = failed["SecondaryStatusTransitions"][-1]
    assert last["Status"] == "Failed" and last["StatusMessage"] == reason
    assert failed["TrainingEndTime"] >= failed["TrainingStartTime"]
    listed = sm.list_training_jobs(StatusEquals="Failed", NameContains="exec-tj")
    assert [j["TrainingJobName"] for j in listed["TrainingJobSummaries"]] == ["exec-tj-f"]
    cli = deployment.aws("sagemaker", "describe-training-job", "--training-job-name", "exec-tj-f")
    assert cli["FailureReason"] == reason
    with pytest.raises(ClientError) as e:
        sm.stop_training_job(TrainingJobName="exec-tj-f")
    assert error(e) == (
        "ValidationException",
        "The request was rejected because the training job is in status Failed.",
    )
    refused = held(deployment, arn)
    assert refused.returncode == 1 and "is Failed" in refused.stderr
