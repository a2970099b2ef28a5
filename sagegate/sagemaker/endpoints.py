"""Endpoints: CreateEndpoint, DescribeEndpoint, ListEndpoints, UpdateEndpoint, DeleteEndpoint
(SageMaker API Reference). States: Creating -> InService, Updating -> InService, Deleting ->
gone (see `states`). Creating and updating are authorized on the endpoint and on the endpoint
configuration, as the Service Authorization Reference lists both resources. Missing:
ValidationException 'Could not find endpoint "ARN".'; updating one that is not InService:
'Cannot update in-progress endpoint "ARN".'."""

from __future__ import annotations

from typing import Any

from sagegate.protocol.registry import Call, registry
from sagegate.sagemaker import arns, conditions, passrole, states
from sagegate.sagemaker.arns import ENDPOINT, ENDPOINT_CONFIG
from sagegate.sagemaker.common import (
    create,
    fetch,
    forget,
    list_page,
    public,
    result,
    tags_of,
)
from sagegate.sagemaker.endpoint_configs import missing as missing_config
from sagegate.sagemaker.errors import validation
from sagegate.store import NotFound, SageMakerResource

_NAME = ENDPOINT.name_member


def missing(arn: str) -> Exception:
    return validation(f'Could not find endpoint "{arn}".')


def _both(call: Call, params: dict[str, Any]) -> list[str]:
    return [
        arns.call_arn(ENDPOINT, call, params[_NAME]),
        arns.call_arn(ENDPOINT_CONFIG, call, params["EndpointConfigName"]),
    ]


def _deployed(call: Call, config_name: str) -> dict[str, Any]:
    """What the endpoint takes from its configuration."""
    config = fetch(call, ENDPOINT_CONFIG, config_name)
    if config is None:
        raise missing_config(arns.call_arn(ENDPOINT_CONFIG, call, config_name))
    variants = []
    for v in config.data.get("ProductionVariants") or ():
        count = v.get("InitialInstanceCount", 1)
        weight = float(v.get("InitialVariantWeight", 1.0))
        variants.append(
            {
                "VariantName": v["VariantName"],
                "CurrentWeight": weight,
                "DesiredWeight": weight,
                "CurrentInstanceCount": count,
                "DesiredInstanceCount": count,
            }
        )
    out: dict[str, Any] = {"EndpointConfigName": config.name, "ProductionVariants": variants}
    if config.data.get("DataCaptureConfig"):
        capture = config.data["DataCaptureConfig"]
        out["DataCaptureConfig"] = {
            "EnableCapture": capture.get("EnableCapture", False),
            "CaptureStatus": "Started" if capture.get("EnableCapture") else "Stopped",
            "CurrentSamplingPercentage": capture.get("InitialSamplingPercentage", 0),
            "DestinationS3Uri": capture.get("DestinationS3Uri", ""),
            "KmsKeyId": capture.get("KmsKeyId"),
        }
    return out


@registry.operation(
    "sagemaker",
    "CreateEndpoint",
    resources=_both,
    context=lambda call, params: conditions.request_tags(params),
    also=passrole.checks(ENDPOINT),
)
def create_endpoint(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params[_NAME]
    arn = arns.call_arn(ENDPOINT, call, name)
    data = _deployed(call, params["EndpointConfigName"])
    if params.get("DeploymentConfig"):
        data["LastDeploymentConfig"] = params["DeploymentConfig"]
    create(
        call,
        ENDPOINT,
        name,
        arn,
        params,
        status="Creating",
        data=data,
        duplicate=validation(f'Cannot create already existing endpoint "{arn}".'),
        replace_gone=True,
    )
    return {"EndpointArn": arn}


@registry.operation(
    "sagemaker", "DescribeEndpoint", resources=arns.named(ENDPOINT), context=tags_of(ENDPOINT)
)
def describe_endpoint(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    res = fetch(call, ENDPOINT, params[_NAME])
    if res is None:
        raise missing(arns.call_arn(ENDPOINT, call, params[_NAME]))
    out = public(res.data)
    out.update(
        EndpointName=res.name,
        EndpointArn=res.arn,
        EndpointStatus=states.status_at(res, call.now),
        CreationTime=res.created_at,
        LastModifiedTime=res.updated_at,
    )
    return out


def _summary(res: SageMakerResource, status: str | None) -> dict[str, Any]:
    return {
        "EndpointName": res.name,
        "EndpointArn": res.arn,
        "CreationTime": res.created_at,
        "LastModifiedTime": res.updated_at,
        "EndpointStatus": status,
    }


@registry.operation("sagemaker", "ListEndpoints")
def list_endpoints(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    items, token = list_page(call, ENDPOINT, params, _summary)
    return result("Endpoints", items, token)


@registry.operation("sagemaker", "UpdateEndpoint", resources=_both, context=tags_of(ENDPOINT))
def update_endpoint(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params[_NAME]
    arn = arns.call_arn(ENDPOINT, call, name)
    if fetch(call, ENDPOINT, name) is None:
        raise missing(arn)
    deployed = _deployed(call, params["EndpointConfigName"])

    def change(res: SageMakerResource) -> tuple[str | None, dict[str, Any]]:
        status = states.status_at(res, call.now)
        if status == states.GONE:
            raise missing(arn)
        if status != "InService":
            raise validation(f'Cannot update in-progress endpoint "{arn}".')
        data = dict(res.data)
        data.update(deployed)
        if params.get("DeploymentConfig"):
            data["LastDeploymentConfig"] = params["DeploymentConfig"]
        return "Updating", data

    try:
        call.store.update_sagemaker_resource(
            call.caller.account_id, call.region, ENDPOINT.type, name, change, call.now
        )
    except NotFound:
        raise missing(arn) from None
    forget(call)
    return {"EndpointArn": arn}


@registry.operation(
    "sagemaker", "DeleteEndpoint", resources=arns.named(ENDPOINT), context=tags_of(ENDPOINT)
)
def delete_endpoint(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params[_NAME]
    arn = arns.call_arn(ENDPOINT, call, name)

    def change(res: SageMakerResource) -> tuple[str | None, dict[str, Any]]:
        status = states.status_at(res, call.now)
        if status == states.GONE:
            raise missing(arn)
        if status == "Deleting":
            raise validation(f'Cannot delete in-progress endpoint "{arn}".')
        return "Deleting", dict(res.data)

    try:
        call.store.update_sagemaker_resource(
            call.caller.account_id, call.region, ENDPOINT.type, name, change, call.now
        )
    except NotFound:
        raise missing(arn) from None
    forget(call)
    return {}
