"""Training jobs: CreateTrainingJob, DescribeTrainingJob, ListTrainingJobs, StopTrainingJob
(SageMaker API Reference).

Nothing trains: a job walks through SageMaker's secondary statuses on the clock, one
transition period each (`states.transition_seconds()`): Starting, Downloading, Training,
Uploading, then Completed (TrainingJobStatus InProgress -> Completed). A job that reaches its
`StoppingCondition.MaxRuntimeInSeconds` first ends `MaxRuntimeExceeded` (status Stopped); a
stopped job goes Stopping -> Stopped. `SecondaryStatusTransitions` lists each with its times.
As the job leaves Starting, SageMaker assumes its execution role (see `execution`); if it can no
longer, the job ends there: TrainingJobStatus and SecondaryStatus Failed, with the FailureReason
"ClientError: SageMaker was unable to assume the role 'ARN'" (also the last transition's
StatusMessage).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sagegate.protocol.registry import Call, registry
from sagegate.sagemaker import arns, conditions, execution, passrole, states
from sagegate.sagemaker.arns import TRAINING_JOB
from sagegate.sagemaker.common import (
    create,
    fetch,
    forget,
    list_page,
    public,
    result,
    tags_of,
)
from sagegate.sagemaker.errors import in_use, validation
from sagegate.sagemaker.execution import FAILURE_REASON
from sagegate.store import NotFound, SageMakerResource

_NAME = TRAINING_JOB.name_member
PHASES = (
    ("Starting", "Preparing the instances for training"),
    ("Downloading", "Downloading input data"),
    ("Training", "Training image download completed. Training in progress."),
    ("Uploading", "Uploading generated training model"),
)
MESSAGES = {
    "Completed": "Training job completed",
    "Stopping": "Stopping the training job",
    "Stopped": "Training job stopped",
    "MaxRuntimeExceeded": "Training job exceeded its maximum runtime",
}


def not_found() -> Exception:
    return validation("Requested resource not found.")


def timeline(res: SageMakerResource, now: datetime) -> dict[str, Any]:
    """The job's statuses at `now`: TrainingJobStatus, SecondaryStatus, the transitions so far,
    start, end and last-modified times."""
    t = timedelta(seconds=states.transition_seconds())
    start = res.created_at
    max_runtime = (res.data.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds", 86400)
    ends = {"Completed": start + t * len(PHASES)}
    ends["MaxRuntimeExceeded"] = start + t + timedelta(seconds=max_runtime)  # from Downloading
    if res.status == "Stopping":
        ends["Stopping"] = res.updated_at
    elif res.status == "Failed":
        ends["Failed"] = res.updated_at
    reason, cutoff = min(ends.items(), key=lambda kv: kv[1])
    transitions: list[dict[str, Any]] = []
    for i, (phase, message) in enumerate(PHASES):
        begin = start + t * i
        if begin >= cutoff or begin > now:
            break
        entry: dict[str, Any] = {"Status": phase, "StartTime": begin, "StatusMessage": message}
        end = min(start + t * (i + 1), cutoff)
        if end <= now:
            entry["EndTime"] = end
        transitions.append(entry)
    if now < cutoff:
        current: dict[str, Any] = (
            transitions[-1] if transitions else {"Status": "Starting", "StartTime": start}
        )
        return _shape(
            "InProgress", current["Status"], transitions, start, None, current["StartTime"]
        )
    if reason == "Stopping":
        entry = {"Status": "Stopping", "StartTime": cutoff, "StatusMessage": MESSAGES["Stopping"]}
        transitions.append(entry)
        if now < cutoff + t:
            return _shape("Stopping", "Stopping", transitions, start, None, cutoff)
        entry["EndTime"] = cutoff = cutoff + t
        reason = "Stopped"
    message = res.data.get(FAILURE_REASON, "") if reason == "Failed" else MESSAGES[reason]
    transitions.append(
        {"Status": reason, "StartTime": cutoff, "EndTime": cutoff, "StatusMessage": message}
    )
    status = reason if reason in ("Completed", "Failed") else "Stopped"
    return _shape(status, reason, transitions, start, cutoff, cutoff)


def _shape(
    status: str,
    secondary: str,
    transitions: list[dict[str, Any]],
    start: datetime,
    end: datetime | None,
    modified: datetime,
) -> dict[str, Any]:
    return {
        "TrainingJobStatus": status,
        "SecondaryStatus": secondary,
        "SecondaryStatusTransitions": transitions,
        "TrainingStartTime": start,
        "TrainingEndTime": end,
        "LastModifiedTime": modified,
    }


def status_of(res: SageMakerResource, now: datetime) -> str | None:
    return str(timeline(res, now)["TrainingJobStatus"])


@registry.operation(
    "sagemaker",
    "CreateTrainingJob",
    resources=arns.named(TRAINING_JOB),
    context=conditions.create_training_job,
    also=passrole.checks(TRAINING_JOB, "RoleArn"),
)
def create_training_job(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params[_NAME]
    arn = arns.call_arn(TRAINING_JOB, call, name)
    passrole.require_trust(call, params["RoleArn"], arn)
    data = {k: v for k, v in params.items() if k not in (_NAME, "Tags")}
    data.setdefault("EnableNetworkIsolation", False)
    data.setdefault("EnableInterContainerTrafficEncryption", False)
    data.setdefault("EnableManagedSpotTraining", False)
    create(
        call,
        TRAINING_JOB,
        name,
        arn,
        params,
        status="InProgress",
        data=data,
        duplicate=in_use(
            "Training job names must be unique within an AWS account and region, and a training "
            f"job with this name already exists ({arn})"
        ),
    )
    return {"TrainingJobArn": arn}


@registry.operation(
    "sagemaker",
    "DescribeTrainingJob",
    resources=arns.named(TRAINING_JOB),
    context=tags_of(TRAINING_JOB),
)
def describe_training_job(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    res = fetch(call, TRAINING_JOB, params[_NAME])
    if res is None:
        raise not_found()
    out = public(res.data)
    times = timeline(res, call.now)
    out.update(times)
    out.update(TrainingJobName=res.name, TrainingJobArn=res.arn, CreationTime=res.created_at)
    end = times["TrainingEndTime"]
    if end is not None:
        seconds = int((end - times["TrainingStartTime"]).total_seconds())
        out["TrainingTimeInSeconds"] = seconds
        out["BillableTimeInSeconds"] = seconds
    if times["TrainingJobStatus"] == "Completed":
        output = (res.data.get("OutputDataConfig") or {}).get("S3OutputPath", "").rstrip("/")
        out["ModelArtifacts"] = {"S3ModelArtifacts": f"{output}/{res.name}/output/model.tar.gz"}
    return out


def _summary(res: SageMakerResource, status: str | None) -> dict[str, Any]:
    return {
        "TrainingJobName": res.name,
        "TrainingJobArn": res.arn,
        "CreationTime": res.created_at,
        "TrainingJobStatus": status,
    }


@registry.operation("sagemaker", "ListTrainingJobs")
def list_training_jobs(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    def summary(res: SageMakerResource, status: str | None) -> dict[str, Any]:
        times = timeline(res, call.now)
        out = _summary(res, status)
        out.update(
            TrainingEndTime=times["TrainingEndTime"],
            LastModifiedTime=times["LastModifiedTime"],
            SecondaryStatus=times["SecondaryStatus"],
        )
        return out

    items, token = list_page(
        call, TRAINING_JOB, params, summary, status_of=status_of, default_order="Ascending"
    )
    return result("TrainingJobSummaries", items, token)


@registry.operation(
    "sagemaker",
    "StopTrainingJob",
    resources=arns.named(TRAINING_JOB),
    context=tags_of(TRAINING_JOB),
)
def stop_training_job(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    def change(res: SageMakerResource) -> tuple[str | None, dict[str, Any]]:
        status = status_of(res, call.now)
        if status != "InProgress":
            raise validation(
                f"The request was rejected because the training job is in status {status}."
            )
        return "Stopping", execution.without_held(res.data)

    try:
        call.store.update_sagemaker_resource(
            call.caller.account_id,
            call.region,
            TRAINING_JOB.type,
            params[_NAME],
            change,
            call.now,
        )
    except NotFound:
        raise not_found() from None
    forget(call)
    return {}
