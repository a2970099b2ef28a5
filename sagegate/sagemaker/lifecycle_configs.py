"""Notebook instance lifecycle configurations: CreateNotebookInstanceLifecycleConfig,
DescribeNotebookInstanceLifecycleConfig, ListNotebookInstanceLifecycleConfigs,
UpdateNotebookInstanceLifecycleConfig, DeleteNotebookInstanceLifecycleConfig (SageMaker API
Reference). Failures are ValidationException "Unable to <verb> Notebook Instance Lifecycle
Config '<ARN>'. (Details: ...)"."""

from __future__ import annotations

from typing import Any

from sagegate.protocol.registry import Call, registry
from sagegate.sagemaker import arns, conditions, passrole
from sagegate.sagemaker.arns import LIFECYCLE_CONFIG
from sagegate.sagemaker.common import (
    create,
    fetch,
    list_page,
    public,
    result,
    tags_of,
)
from sagegate.sagemaker.errors import validation
from sagegate.store import NotFound, SageMakerResource

_NAME = LIFECYCLE_CONFIG.name_member


def _missing(verb: str, arn: str, quoted: bool = True) -> Exception:
    shown = f"'{arn}'" if quoted else arn
    return validation(
        f"Unable to {verb} Notebook Instance Lifecycle Config {shown}. "
        "(Details: Notebook Instance Lifecycle Config does not exist.)"
    )


def _summary(res: SageMakerResource, status: str | None) -> dict[str, Any]:
    return {
        "NotebookInstanceLifecycleConfigName": res.name,
        "NotebookInstanceLifecycleConfigArn": res.arn,
        "CreationTime": res.created_at,
        "LastModifiedTime": res.updated_at,
    }


@registry.operation(
    "sagemaker",
    "CreateNotebookInstanceLifecycleConfig",
    resources=arns.named(LIFECYCLE_CONFIG),
    context=lambda call, params: conditions.request_tags(params),
    also=passrole.checks(LIFECYCLE_CONFIG),
)
def create_lifecycle_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params[_NAME]
    arn = arns.call_arn(LIFECYCLE_CONFIG, call, name)
    data = {"OnCreate": params.get("OnCreate") or [], "OnStart": params.get("OnStart") or []}
    create(
        call,
        LIFECYCLE_CONFIG,
        name,
        arn,
        params,
        status=None,
        data=data,
        duplicate=validation(
            f"Unable to create Notebook Instance Lifecycle Config {arn}. "
            "(Details: Notebook Instance Lifecycle Config already exists.)"
        ),
    )
    return {"NotebookInstanceLifecycleConfigArn": arn}


@registry.operation(
    "sagemaker",
    "DescribeNotebookInstanceLifecycleConfig",
    resources=arns.named(LIFECYCLE_CONFIG),
    context=tags_of(LIFECYCLE_CONFIG),
)
def describe_lifecycle_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    res = fetch(call, LIFECYCLE_CONFIG, params[_NAME])
    if res is None:
        raise _missing("describe", arns.call_arn(LIFECYCLE_CONFIG, call, params[_NAME]))
    out = public(res.data)
    out.update(_summary(res, None))
    return out


@registry.operation("sagemaker", "ListNotebookInstanceLifecycleConfigs")
def list_lifecycle_configs(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    items, token = list_page(call, LIFECYCLE_CONFIG, params, _summary)
    return result("NotebookInstanceLifecycleConfigs", items, token)


@registry.operation(
    "sagemaker",
    "UpdateNotebookInstanceLifecycleConfig",
    resources=arns.named(LIFECYCLE_CONFIG),
    context=tags_of(LIFECYCLE_CONFIG),
)
def update_lifecycle_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params[_NAME]

    def change(res: SageMakerResource) -> tuple[str | None, dict[str, Any]]:
        data = dict(res.data)
        for member in ("OnCreate", "OnStart"):
            if member in params:
                data[member] = params[member]
        return None, data

    try:
        call.store.update_sagemaker_resource(
            call.caller.account_id, call.region, LIFECYCLE_CONFIG.type, name, change, call.now
        )
    except NotFound:
        raise _missing("update", arns.call_arn(LIFECYCLE_CONFIG, call, name)) from None
    return {}


@registry.operation(
    "sagemaker",
    "DeleteNotebookInstanceLifecycleConfig",
    resources=arns.named(LIFECYCLE_CONFIG),
    context=tags_of(LIFECYCLE_CONFIG),
)
def delete_lifecycle_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params[_NAME]
    try:
        call.store.delete_sagemaker_resource(
            call.caller.account_id, call.region, LIFECYCLE_CONFIG.type, name
        )
    except NotFound:
        raise _missing("delete", arns.call_arn(LIFECYCLE_CONFIG, call, name)) from None
    return {}
