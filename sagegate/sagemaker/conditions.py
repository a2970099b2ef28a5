"""The condition keys SageMaker sets per action (Service Authorization Reference, *Actions,
resources, and condition keys for Amazon SageMaker AI*, *Condition keys* table), built from the
request. ArrayOfString keys (`sagemaker:InstanceTypes`, `sagemaker:AcceleratorTypes`,
`sagemaker:VpcSubnets`, `sagemaker:VpcSecurityGroupIds`, `sagemaker:ModelArn`) are tuples;
Bool keys "true"/"false"; `sagemaker:MaxRuntimeInSeconds` a number. A key is absent when the
request does not carry its value, except where SageMaker applies a default that the developer
guide's examples rely on (`RootAccess` and `DirectInternetAccess` default to "Enabled";
`NetworkIsolation` and `InterContainerTrafficEncryption` to false).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sagegate.protocol.registry import Call
from sagegate.sagemaker import arns
from sagegate.store import SageMakerResource


def request_tags(params: dict[str, Any]) -> dict[str, Any]:
    """`aws:RequestTag/K` and `aws:TagKeys` for a request carrying `Tags`."""
    ctx: dict[str, Any] = {}
    tags = params.get("Tags") or []
    for tag in tags:
        ctx[f"aws:RequestTag/{tag['Key']}"] = tag.get("Value", "")
    if tags:
        ctx["aws:TagKeys"] = tuple(t["Key"] for t in tags)
    return ctx


def resource_tags(res: SageMakerResource | None) -> dict[str, Any]:
    """`sagemaker:ResourceTag/K` and `aws:ResourceTag/K` of an existing resource."""
    ctx: dict[str, Any] = {}
    if res is not None:
        for k, v in res.tags:
            ctx[f"sagemaker:ResourceTag/{k}"] = v
            ctx[f"aws:ResourceTag/{k}"] = v
    return ctx


def _put_list(ctx: dict[str, Any], key: str, values: Iterable[str | None]) -> None:
    found = tuple(v for v in values if v)
    if found:
        ctx[key] = found


def _put(ctx: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "":
        ctx[key] = value


def vpc(ctx: dict[str, Any], config: dict[str, Any] | None) -> None:
    if config:
        _put_list(ctx, "sagemaker:VpcSubnets", config.get("Subnets") or ())
        _put_list(ctx, "sagemaker:VpcSecurityGroupIds", config.get("SecurityGroupIds") or ())


def _bool(value: Any) -> str:
    return "true" if value else "false"


def create_notebook(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ctx = request_tags(params)
    _put_list(ctx, "sagemaker:InstanceTypes", [params.get("InstanceType")])
    _put_list(ctx, "sagemaker:AcceleratorTypes", params.get("AcceleratorTypes") or ())
    ctx["sagemaker:RootAccess"] = params.get("RootAccess", "Enabled")
    ctx["sagemaker:DirectInternetAccess"] = params.get("DirectInternetAccess", "Enabled")
    _put(ctx, "sagemaker:VolumeKmsKey", params.get("KmsKeyId"))
    _put_list(ctx, "sagemaker:VpcSubnets", [params.get("SubnetId")])
    _put_list(ctx, "sagemaker:VpcSecurityGroupIds", params.get("SecurityGroupIds") or ())
    imds = params.get("InstanceMetadataServiceConfiguration") or {}
    _put(
        ctx,
        "sagemaker:MinimumInstanceMetadataServiceVersion",
        imds.get("MinimumInstanceMetadataServiceVersion"),
    )
    return ctx


def update_notebook(params: dict[str, Any]) -> dict[str, Any]:
    ctx: dict[str, Any] = {}
    _put_list(ctx, "sagemaker:InstanceTypes", [params.get("InstanceType")])
    _put_list(ctx, "sagemaker:AcceleratorTypes", params.get("AcceleratorTypes") or ())
    _put(ctx, "sagemaker:RootAccess", params.get("RootAccess"))
    imds = params.get("InstanceMetadataServiceConfiguration") or {}
    _put(
        ctx,
        "sagemaker:MinimumInstanceMetadataServiceVersion",
        imds.get("MinimumInstanceMetadataServiceVersion"),
    )
    return ctx


def create_training_job(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ctx = request_tags(params)
    rc = params.get("ResourceConfig") or {}
    types = [rc.get("InstanceType")] + [
        g.get("InstanceType") for g in rc.get("InstanceGroups") or ()
    ]
    _put_list(ctx, "sagemaker:InstanceTypes", types)
    _put(ctx, "sagemaker:VolumeKmsKey", rc.get("VolumeKmsKeyId"))
    _put(ctx, "sagemaker:OutputKmsKey", (params.get("OutputDataConfig") or {}).get("KmsKeyId"))
    vpc(ctx, params.get("VpcConfig"))
    ctx["sagemaker:NetworkIsolation"] = _bool(params.get("EnableNetworkIsolation"))
    ctx["sagemaker:InterContainerTrafficEncryption"] = _bool(
        params.get("EnableInterContainerTrafficEncryption")
    )
    _put(
        ctx,
        "sagemaker:MaxRuntimeInSeconds",
        (params.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds"),
    )
    return ctx


def create_processing_job(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ctx = request_tags(params)
    cluster = (params.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    _put_list(ctx, "sagemaker:InstanceTypes", [cluster.get("InstanceType")])
    _put(ctx, "sagemaker:VolumeKmsKey", cluster.get("VolumeKmsKeyId"))
    _put(
        ctx, "sagemaker:OutputKmsKey", (params.get("ProcessingOutputConfig") or {}).get("KmsKeyId")
    )
    net = params.get("NetworkConfig") or {}
    vpc(ctx, net.get("VpcConfig"))
    ctx["sagemaker:NetworkIsolation"] = _bool(net.get("EnableNetworkIsolation"))
    ctx["sagemaker:InterContainerTrafficEncryption"] = _bool(
        net.get("EnableInterContainerTrafficEncryption")
    )
    _put(
        ctx,
        "sagemaker:MaxRuntimeInSeconds",
        (params.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds"),
    )
    return ctx


def create_model(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ctx = request_tags(params)
    vpc(ctx, params.get("VpcConfig"))
    ctx["sagemaker:NetworkIsolation"] = _bool(params.get("EnableNetworkIsolation"))
    return ctx


def create_endpoint_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ctx = request_tags(params)
    variants = list(params.get("ProductionVariants") or ()) + list(
        params.get("ShadowProductionVariants") or ()
    )
    _put_list(ctx, "sagemaker:InstanceTypes", [v.get("InstanceType") for v in variants])
    _put_list(ctx, "sagemaker:AcceleratorTypes", [v.get("AcceleratorType") for v in variants])
    _put_list(
        ctx,
        "sagemaker:ModelArn",
        [arns.call_arn(arns.MODEL, call, v["ModelName"]) for v in variants if v.get("ModelName")],
    )
    _put(ctx, "sagemaker:VolumeKmsKey", params.get("KmsKeyId"))
    return ctx
