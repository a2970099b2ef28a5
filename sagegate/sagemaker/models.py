"""Models: CreateModel, DescribeModel, ListModels, DeleteModel (SageMaker API Reference). A
model passes its `ExecutionRoleArn` to SageMaker (iam:PassRole, trust). Missing: ValidationException
'Could not find model "ARN".'; duplicate: 'Cannot create already existing model "ARN".'."""

from __future__ import annotations

from typing import Any

from sagegate.protocol.registry import Call, registry
from sagegate.sagemaker import arns, conditions, passrole
from sagegate.sagemaker.arns import MODEL
from sagegate.sagemaker.common import (
    create,
    fetch,
    forget,
    list_page,
    public,
    result,
    tags_of,
)
from sagegate.sagemaker.errors import validation
from sagegate.store import NotFound, SageMakerResource

_NAME = MODEL.name_member


def missing(arn: str) -> Exception:
    return validation(f'Could not find model "{arn}".')


@registry.operation(
    "sagemaker",
    "CreateModel",
    resources=arns.named(MODEL),
    context=conditions.create_model,
    also=passrole.checks(MODEL, "ExecutionRoleArn"),
)
def create_model(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params[_NAME]
    arn = arns.call_arn(MODEL, call, name)
    if params.get("ExecutionRoleArn"):
        passrole.require_trust(call, params["ExecutionRoleArn"], arn)
    if not params.get("PrimaryContainer") and not params.get("Containers"):
        raise validation("Either PrimaryContainer or Containers must be specified.")
    data = {k: v for k, v in params.items() if k not in (_NAME, "Tags")}
    data.setdefault("EnableNetworkIsolation", False)
    create(
        call,
        MODEL,
        name,
        arn,
        params,
        status=None,
        data=data,
        duplicate=validation(f'Cannot create already existing model "{arn}".'),
    )
    return {"ModelArn": arn}


@registry.operation(
    "sagemaker", "DescribeModel", resources=arns.named(MODEL), context=tags_of(MODEL)
)
def describe_model(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    res = fetch(call, MODEL, params[_NAME])
    if res is None:
        raise missing(arns.call_arn(MODEL, call, params[_NAME]))
    out = public(res.data)
    out.update(ModelName=res.name, ModelArn=res.arn, CreationTime=res.created_at)
    return out


def _summary(res: SageMakerResource, status: str | None) -> dict[str, Any]:
    return {"ModelName": res.name, "ModelArn": res.arn, "CreationTime": res.created_at}


@registry.operation("sagemaker", "ListModels")
def list_models(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    items, token = list_page(call, MODEL, params, _summary)
    return result("Models", items, token)


@registry.operation("sagemaker", "DeleteModel", resources=arns.named(MODEL), context=tags_of(MODEL))
def delete_model(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    try:
        call.store.delete_sagemaker_resource(
            call.caller.account_id, call.region, MODEL.type, params[_NAME]
        )
    except NotFound:
        raise missing(arns.call_arn(MODEL, call, params[_NAME])) from None
    forget(call)
    return {}
