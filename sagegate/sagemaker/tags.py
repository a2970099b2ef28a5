"""Tags on every SageMaker resource: AddTags, DeleteTags, ListTags (SageMaker API Reference).
Authorized on the resource's ARN with its tags (`sagemaker:ResourceTag/K`,
`aws:ResourceTag/K`) and, for AddTags, the request's (`aws:RequestTag/K`, `aws:TagKeys`); at
most 50 tags per resource."""

from __future__ import annotations

from typing import Any

from sagegate.protocol.registry import Call, registry
from sagegate.sagemaker import arns, conditions
from sagegate.sagemaker.common import fetch_arn, forget, next_token, page_token, tag_list, tag_pairs
from sagegate.sagemaker.errors import tag_limits, validation
from sagegate.store import NotFound, SageMakerResource


def _resource(call: Call, params: dict[str, Any]) -> list[str]:
    return [params["ResourceArn"]]


def _target(call: Call, arn: str) -> SageMakerResource:
    res = fetch_arn(call, arn)
    if res is None:
        parsed = arns.parse(arn)
        what, name = (parsed[2].label, parsed[3]) if parsed else ("resource", arn)
        raise validation(f"Could not find {what} with name {name}")
    return res


def _add_context(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ctx = conditions.resource_tags(fetch_arn(call, params["ResourceArn"]))
    ctx.update(conditions.request_tags(params))
    return ctx


def _delete_context(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ctx = conditions.resource_tags(fetch_arn(call, params["ResourceArn"]))
    if params.get("TagKeys"):
        ctx["aws:TagKeys"] = tuple(params["TagKeys"])
    return ctx


def _list_context(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return conditions.resource_tags(fetch_arn(call, params["ResourceArn"]))


@registry.operation("sagemaker", "AddTags", resources=_resource, context=_add_context)
def add_tags(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    res = _target(call, params["ResourceArn"])
    try:
        with tag_limits():
            call.store.tag_sagemaker_resource(res.arn, tag_pairs(params))
    except NotFound:
        raise validation(f"Could not find resource with name {res.name}") from None
    forget(call)
    return {"Tags": params.get("Tags") or []}


@registry.operation("sagemaker", "DeleteTags", resources=_resource, context=_delete_context)
def delete_tags(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    res = _target(call, params["ResourceArn"])
    try:
        call.store.untag_sagemaker_resource(res.arn, params["TagKeys"])
    except NotFound:
        raise validation(f"Could not find resource with name {res.name}") from None
    forget(call)
    return {}


@registry.operation("sagemaker", "ListTags", resources=_resource, context=_list_context)
def list_tags(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    res = _target(call, params["ResourceArn"])
    offset = page_token(params.get("NextToken"))
    max_results = params.get("MaxResults", 50)
    tags = list(res.tags)
    out: dict[str, Any] = {"Tags": tag_list(tags[offset : offset + max_results])}
    if offset + max_results < len(tags):
        out["NextToken"] = next_token(offset + max_results)
    return out
