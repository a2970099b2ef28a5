"""Notebook instances: CreateNotebookInstance, DescribeNotebookInstance, ListNotebookInstances,
StartNotebookInstance, StopNotebookInstance, UpdateNotebookInstance, DeleteNotebookInstance
(SageMaker API Reference). States: Pending -> InService, Stopping -> Stopped, Updating ->
Stopped, Deleting -> gone (see `states`); leaving Pending, SageMaker assumes the execution role
and the notebook is InService holding the role's credentials, or Failed with a FailureReason if
the role can no longer be assumed (see `execution`); Failed allows Start ("You should be able
to start your notebook instance from a Failed state", aws/sagemaker-python-sdk#235), Update and
Delete, as Stopped does; an action in the wrong state is SageMaker's
ValidationException "Status (X) not in ([...]). Unable to transition to (Y) for Notebook
Instance (ARN)"; a missing notebook is ValidationException "RecordNotFound"."""

from __future__ import annotations

import secrets
from typing import Any

from sagegate.protocol.registry import Call, registry
from sagegate.sagemaker import arns, conditions, execution, passrole, states
from sagegate.sagemaker.arns import LIFECYCLE_CONFIG, NOTEBOOK
from sagegate.sagemaker.common import (
    create,
    fetch,
    forget,
    list_page,
    public,
    result,
    tags_of,
)
from sagegate.sagemaker.errors import validation, wrong_status
from sagegate.store import NotFound, SageMakerResource

_LABEL = NOTEBOOK.label


def record_not_found() -> Exception:
    return validation("RecordNotFound")


def url(res: SageMakerResource) -> str:
    return f"{res.name.lower()}.notebook.{res.region}.sagemaker.aws"


def describe_shape(res: SageMakerResource, status: str | None) -> dict[str, Any]:
    out = public(res.data)
    out.update(
        NotebookInstanceArn=res.arn,
        NotebookInstanceName=res.name,
        NotebookInstanceStatus=status,
        Url=url(res),
        CreationTime=res.created_at,
        LastModifiedTime=res.updated_at,
    )
    return out


def summary_shape(res: SageMakerResource, status: str | None) -> dict[str, Any]:
    d = res.data
    return {
        "NotebookInstanceName": res.name,
        "NotebookInstanceArn": res.arn,
        "NotebookInstanceStatus": status,
        "Url": url(res),
        "InstanceType": d.get("InstanceType"),
        "CreationTime": res.created_at,
        "LastModifiedTime": res.updated_at,
        "NotebookInstanceLifecycleConfigName": d.get("NotebookInstanceLifecycleConfigName"),
        "DefaultCodeRepository": d.get("DefaultCodeRepository"),
        "AdditionalCodeRepositories": d.get("AdditionalCodeRepositories"),
    }


def _require_lifecycle_config(call: Call, name: str) -> None:
    if fetch(call, LIFECYCLE_CONFIG, name) is None:
        lc_arn = arns.call_arn(LIFECYCLE_CONFIG, call, name)
        raise validation(
            f"Unable to describe Notebook Instance Lifecycle Config '{lc_arn}'. "
            "(Details: Notebook Instance Lifecycle Config does not exist.)"
        )


# CreateNotebookInstance members kept only when given -> their names in the description.
_OPTIONAL = {
    "SubnetId": "SubnetId",
    "SecurityGroupIds": "SecurityGroups",
    "KmsKeyId": "KmsKeyId",
    "LifecycleConfigName": "NotebookInstanceLifecycleConfigName",
    "AcceleratorTypes": "AcceleratorTypes",
    "DefaultCodeRepository": "DefaultCodeRepository",
    "AdditionalCodeRepositories": "AdditionalCodeRepositories",
    "IpAddressType": "IpAddressType",
}


@registry.operation(
    "sagemaker",
    "CreateNotebookInstance",
    resources=arns.named(NOTEBOOK),
    context=conditions.create_notebook,
    also=passrole.checks(NOTEBOOK, "RoleArn"),
)
def create_notebook_instance(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["NotebookInstanceName"]
    arn = arns.call_arn(NOTEBOOK, call, name)
    passrole.require_trust(call, params["RoleArn"], arn)
    if params.get("LifecycleConfigName"):
        _require_lifecycle_config(call, params["LifecycleConfigName"])
    data: dict[str, Any] = {
        "InstanceType": params["InstanceType"],
        "RoleArn": params["RoleArn"],
        "DirectInternetAccess": params.get("DirectInternetAccess", "Enabled"),
        "VolumeSizeInGB": params.get("VolumeSizeInGB", 5),
        "RootAccess": params.get("RootAccess", "Enabled"),
        "PlatformIdentifier": params.get("PlatformIdentifier", "notebook-al2-v2"),
        "InstanceMetadataServiceConfiguration": params.get(
            "InstanceMetadataServiceConfiguration", {"MinimumInstanceMetadataServiceVersion": "1"}
        ),
    }
    for member, out in _OPTIONAL.items():
        if params.get(member):
            data[out] = params[member]
    if params.get("SubnetId"):
        data["NetworkInterfaceId"] = "eni-" + secrets.token_hex(8 + 1)[:17]
    create(
        call,
        NOTEBOOK,
        name,
        arn,
        params,
        status="Pending",
        data=data,
        duplicate=validation(f"Cannot create a duplicate Notebook Instance ({arn})"),
        replace_gone=True,
    )
    return {"NotebookInstanceArn": arn}


@registry.operation(
    "sagemaker",
    "DescribeNotebookInstance",
    resources=arns.named(NOTEBOOK),
    context=tags_of(NOTEBOOK),
)
def describe_notebook_instance(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    res = fetch(call, NOTEBOOK, params["NotebookInstanceName"])
    if res is None:
        raise record_not_found()
    return describe_shape(res, states.status_at(res, call.now))


def _contains(value: Any, needle: str | None) -> bool:
    return needle is None or (isinstance(value, str) and needle.lower() in value.lower())


@registry.operation("sagemaker", "ListNotebookInstances")
def list_notebook_instances(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    lc = params.get("NotebookInstanceLifecycleConfigNameContains")
    repo = params.get("DefaultCodeRepositoryContains")
    extra_repo = params.get("AdditionalCodeRepositoryEquals")

    def keep(res: SageMakerResource, status: str | None) -> bool:
        d = res.data
        if not _contains(d.get("NotebookInstanceLifecycleConfigName"), lc):
            return False
        if not _contains(d.get("DefaultCodeRepository"), repo):
            return False
        return extra_repo is None or extra_repo in (d.get("AdditionalCodeRepositories") or ())

    filtered = lc is not None or repo is not None or extra_repo is not None
    items, token = list_page(
        call,
        NOTEBOOK,
        params,
        summary_shape,
        default_sort="Name",
        extra_filter=keep if filtered else None,
    )
    return result("NotebookInstances", items, token)


def transition(
    call: Call,
    name: str,
    allowed: tuple[str, ...],
    target: str,
    update: dict[str, Any] | None = None,
    drop: tuple[str, ...] = (),
) -> SageMakerResource:
    """Move the notebook from one of `allowed` to `target` (atomically), merging `update` into
    and removing `drop` from its description."""
    # A notebook leaving Pending: SageMaker takes on its execution role in this transaction
    # (minting no session, as this transition drops it), unless it cannot, and the notebook
    # has failed whatever this request asks.
    found = fetch(call, NOTEBOOK, name, settle=False)
    plan = None
    if found is not None:
        plan = execution.settlement(call.store, found, call.now, leaving=True)
    if plan is not None and plan.failed:  # found is not None
        execution.apply(call.store, found, plan)
        plan = None

    def change(res: SageMakerResource) -> tuple[str | None, dict[str, Any]]:
        if plan is not None:
            res = execution.settled(plan, res)
        status = states.status_at(res, call.now)
        if status == states.GONE:
            raise record_not_found()
        if status not in allowed:
            arn = arns.call_arn(NOTEBOOK, call, name)
            raise wrong_status(status, ", ".join(allowed), target, _LABEL, arn)
        # Leaving a state drops the role session held and the reason of a failure.
        data = {k: v for k, v in execution.without_held(res.data).items() if k not in drop}
        data.update(update or {})
        return target, data

    try:
        res: SageMakerResource = call.store.update_sagemaker_resource(
            call.caller.account_id,
            call.region,
            NOTEBOOK.type,
            name,
            change,
            call.now,
            expected=found,
        )
    except NotFound:
        raise record_not_found() from None
    forget(call)
    return res


@registry.operation(
    "sagemaker",
    "StartNotebookInstance",
    resources=arns.named(NOTEBOOK),
    context=tags_of(NOTEBOOK),
)
def start_notebook_instance(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    transition(call, params["NotebookInstanceName"], ("Stopped", "Failed"), "Pending")
    return {}


@registry.operation(
    "sagemaker",
    "StopNotebookInstance",
    resources=arns.named(NOTEBOOK),
    context=tags_of(NOTEBOOK),
)
def stop_notebook_instance(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    transition(call, params["NotebookInstanceName"], ("InService",), "Stopping")
    return {}


_UPDATABLE = {
    "InstanceType": "InstanceType",
    "IpAddressType": "IpAddressType",
    "PlatformIdentifier": "PlatformIdentifier",
    "RoleArn": "RoleArn",
    "LifecycleConfigName": "NotebookInstanceLifecycleConfigName",
    "VolumeSizeInGB": "VolumeSizeInGB",
    "DefaultCodeRepository": "DefaultCodeRepository",
    "AdditionalCodeRepositories": "AdditionalCodeRepositories",
    "AcceleratorTypes": "AcceleratorTypes",
    "RootAccess": "RootAccess",
    "InstanceMetadataServiceConfiguration": "InstanceMetadataServiceConfiguration",
}
_DISASSOCIATE = {
    "DisassociateLifecycleConfig": "NotebookInstanceLifecycleConfigName",
    "DisassociateAcceleratorTypes": "AcceleratorTypes",
    "DisassociateDefaultCodeRepository": "DefaultCodeRepository",
    "DisassociateAdditionalCodeRepositories": "AdditionalCodeRepositories",
}


@registry.operation(
    "sagemaker",
    "UpdateNotebookInstance",
    resources=arns.named(NOTEBOOK),
    context=tags_of(NOTEBOOK, extra=conditions.update_notebook),
    also=passrole.checks(NOTEBOOK, "RoleArn"),
)
def update_notebook_instance(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["NotebookInstanceName"]
    if params.get("RoleArn"):
        passrole.require_trust(call, params["RoleArn"], arns.call_arn(NOTEBOOK, call, name))
    if params.get("LifecycleConfigName"):
        _require_lifecycle_config(call, params["LifecycleConfigName"])
    update = {out: params[m] for m, out in _UPDATABLE.items() if params.get(m) is not None}
    drop = tuple(out for m, out in _DISASSOCIATE.items() if params.get(m))
    res = fetch(call, NOTEBOOK, name)
    if res is not None and params.get("VolumeSizeInGB") is not None:
        current = res.data.get("VolumeSizeInGB", 5)
        if params["VolumeSizeInGB"] < current:
            raise validation(
                f"Invalid VolumeSizeInGB: {params['VolumeSizeInGB']}. The volume size can only "
                f"be increased; the current size is {current} GB."
            )
    transition(call, name, ("Stopped", "Failed"), "Updating", update, drop)
    return {}


@registry.operation(
    "sagemaker",
    "DeleteNotebookInstance",
    resources=arns.named(NOTEBOOK),
    context=tags_of(NOTEBOOK),
)
def delete_notebook_instance(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    transition(call, params["NotebookInstanceName"], ("Stopped", "Failed"), "Deleting")
    return {}
