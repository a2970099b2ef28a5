"""Endpoint configurations: CreateEndpointConfig, DescribeEndpointConfig, ListEndpointConfigs,
DeleteEndpointConfig (SageMaker API Reference). Every variant's model must exist
(ValidationException 'Could not find model "ARN".'); missing: 'Could not find endpoint
configuration "ARN".'; duplicate: 'Cannot create already existing endpoint configuration
"ARN".'."""

from __future__ import annotations

from typing import Any

from sagegate.protocol.registry import Call, registry
from sagegate.sagemaker import arns, conditions, passrole
from sagegate.sagemaker.arns import ENDPOINT_CONFIG, MODEL
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
from sagegate.sagemaker.models import missing as missing_model
from sagegate.store import NotFound, SageMakerResource

_NAME = ENDPOINT_CONFIG.name_member


def missing(arn: str) -> Exception:
    return validation(f'Could not find endpoint configuration "{arn}".')


@registry.operation(
    "sagemaker",
    "CreateEndpointConfig",
    resources=arns.named(ENDPOINT_CONFIG),
    context=conditions.create_endpoint_config,
    also=passrole.checks(ENDPOINT_CONFIG, "ExecutionRoleArn"),
)
def create_endpoint_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params[_NAME]
    arn = arns.call_arn(ENDPOINT_CONFIG, call, name)
    if params.get("ExecutionRoleArn"):
        passrole.require_trust(call, params["ExecutionRoleArn"], arn)
    variants = list(params.get("ProductionVariants") or ()) + list(
        params.get("ShadowProductionVariants") or ()
    )
    for v in variants:
        model = v.get("ModelName")
        if model and fetch(call, MODEL, model) is None:
            raise missing_model(arns.call_arn(MODEL, call, model))
    data = {k: v for k, v in params.items() if k not in (_NAME, "Tags")}
    create(
        call,
        ENDPOINT_CONFIG,
        name,
        arn,
        params,
        status=None,
        data=data,
        duplicate=validation(f'Cannot create already existing endpoint configuration "{arn}".'),
    )
    return {"EndpointConfigArn": arn}


@registry.operation(
    "sagemaker",
    "DescribeEndpointConfig",
    resources=arns.named(ENDPOINT_CONFIG),
    context=tags_of(ENDPOINT_CONFIG),
)
def describe_endpoint_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    res = fetch(call, ENDPOINT_CONFIG, params[_NAME])
    if res is None:
        raise missing(arns.call_arn(ENDPOINT_CONFIG, call, params[_NAME]))
    out = public(res.data)
    out.update(EndpointConfigName=res.name, EndpointConfigArn=res.arn, CreationTime=res.created_at)
    return out


def _summary(res: SageMakerResource, status: str | None) -> dict[str, Any]:
    return {
        "EndpointConfigName": res.name,
        "EndpointConfigArn": res.arn,
        "CreationTime": res.created_at,
    }


@registry.operation("sagemaker", "ListEndpointConfigs")
def list_endpoint_configs(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    items, token = list_page(call, ENDPOINT_CONFIG, params, _summary)
    return result("EndpointConfigs", items, token)


@registry.operation(
    "sagemaker",
    "DeleteEndpointConfig",
    resources=arns.named(ENDPOINT_CONFIG),
    context=tags_of(ENDPOINT_CONFIG),
)
def delete_endpoint_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    try:
        call.store.delete_sagemaker_resource(
            call.caller.account_id, call.region, ENDPOINT_CONFIG.type, params[_NAME]
        )
    except NotFound:
        raise missing(arns.call_arn(ENDPOINT_CONFIG, call, params[_NAME])) from None
    forget(call)
    return {}
