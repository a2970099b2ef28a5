"""Processing jobs: CreateProcessingJob, DescribeProcessingJob, ListProcessingJobs,
StopProcessingJob (SageMaker API Reference). Nothing runs: a job is InProgress for one
transition period, then Completed; a stopped one goes Stopping -> Stopped (see `states`).
SageMaker assumes the execution role as the job starts, at create (see `execution`), and holds
its credentials while the job is InProgress."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sagegate.protocol.registry import Call, registry
from sagegate.sagemaker import arns, conditions, execution, passrole, states
from sagegate.sagemaker.arns import PROCESSING_JOB
from sagegate.sagemaker.common import (
    create,
    fetch,
    forget,
    list_page,
    public,
    result,
    tags_of,
)
from sagegate.sagemaker.errors import could_not_assume, in_use, validation
from sagegate.store import NotFound, SageMakerResource

_NAME = PROCESSING_JOB.name_member


def not_found(name: str) -> Exception:
    return validation(f"Could not find requested job with name {name}")


@registry.operation(
    "sagemaker",
    "CreateProcessingJob",
    resources=arns.named(PROCESSING_JOB),
    context=conditions.create_processing_job,
    also=passrole.checks(PROCESSING_JOB, "RoleArn"),
)
def create_processing_job(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params[_NAME]
    arn = arns.call_arn(PROCESSING_JOB, call, name)
    data = {k: v for k, v in params.items() if k not in (_NAME, "Tags")}
    held = execution.assume(  # the trust check of passrole.require_trust, and the session
        call.store,
        role_arn=params["RoleArn"],
        source_arn=arn,
        account_id=call.caller.account_id,
        region=call.region,
        now=call.now,
    )
    if held is None:
        raise could_not_assume(params["RoleArn"])
    data[execution.HELD] = held
    create(
        call,
        PROCESSING_JOB,
        name,
        arn,
        params,
        status="InProgress",
        data=data,
        duplicate=in_use(
            "Processing job names must be unique within an AWS account and region, and a "
            f"processing job with this name already exists ({arn})"
        ),
    )
    return {"ProcessingJobArn": arn}


@registry.operation(
    "sagemaker",
    "DescribeProcessingJob",
    resources=arns.named(PROCESSING_JOB),
    context=tags_of(PROCESSING_JOB),
)
def describe_processing_job(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    res = fetch(call, PROCESSING_JOB, params[_NAME])
    if res is None:
        raise not_found(params[_NAME])
    status = states.status_at(res, call.now)
    out = public(res.data)
    out.update(
        ProcessingJobName=res.name,
        ProcessingJobArn=res.arn,
        ProcessingJobStatus=status,
        CreationTime=res.created_at,
        ProcessingStartTime=res.created_at,
        LastModifiedTime=res.updated_at,
    )
    if status in ("Completed", "Stopped"):
        end = res.updated_at + timedelta(seconds=states.transition_seconds())
        out["ProcessingEndTime"] = out["LastModifiedTime"] = end
        if status == "Completed":
            out["ExitMessage"] = "Completed"
    return out


def _summary(res: SageMakerResource, status: str | None) -> dict[str, Any]:
    return {
        "ProcessingJobName": res.name,
        "ProcessingJobArn": res.arn,
        "CreationTime": res.created_at,
        "LastModifiedTime": res.updated_at,
        "ProcessingJobStatus": status,
    }


@registry.operation("sagemaker", "ListProcessingJobs")
def list_processing_jobs(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    items, token = list_page(call, PROCESSING_JOB, params, _summary, default_order="Ascending")
    return result("ProcessingJobSummaries", items, token)


@registry.operation(
    "sagemaker",
    "StopProcessingJob",
    resources=arns.named(PROCESSING_JOB),
    context=tags_of(PROCESSING_JOB),
)
def stop_processing_job(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    def change(res: SageMakerResource) -> tuple[str | None, dict[str, Any]]:
        status = states.status_at(res, call.now)
        if status != "InProgress":
            raise validation(
                f"The request was rejected because the processing job is in status {status}."
            )
        return "Stopping", execution.without_held(res.data)

    try:
        call.store.update_sagemaker_resource(
            call.caller.account_id,
            call.region,
            PROCESSING_JOB.type,
            params[_NAME],
            change,
            call.now,
        )
    except NotFound:
        raise not_found(params[_NAME]) from None
    forget(call)
    return {}
