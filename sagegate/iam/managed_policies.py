"""Managed policies (IAM API Reference): CreatePolicy, GetPolicy, ListPolicies, DeletePolicy,
CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions, DeletePolicyVersion,
SetDefaultPolicyVersion, ListEntitiesForPolicy, TagPolicy, UntagPolicy, ListPolicyTags.

Documents of managed policies must say `"Version": "2012-10-17"` and are at most 6,144 characters
without white space (*IAM and AWS STS quotas*: "Managed policy size"; larger is LimitExceeded).
A policy keeps at most five versions (*Versioning IAM policies*). AWS managed policies
(``arn:aws:iam::aws:policy/...``) are listed with Scope=AWS and can be read and attached but not
changed: to an account they are not its own, and the store answers NoSuchEntity.

Every call is authorized on the policy's ARN (Service Authorization Reference), with
`aws:RequestTag/K`/`aws:TagKeys` when tagging and `aws:ResourceTag/K`/`iam:ResourceTag/K` of an
existing policy; ListPolicies on `*`.
"""

from __future__ import annotations

from typing import Any

from sagegate.iam.errors import malformed_policy, store_errors
from sagegate.iam.tags import tag_pairs, untag_keys
from sagegate.iam.users import paged, request_tag_keys, resource_tag_keys
from sagegate.policy import MalformedPolicyDocument, PolicyKind, PolicySizeExceeded, parse
from sagegate.policy.limits import MANAGED_POLICY_MAX
from sagegate.protocol.errors import ServiceError
from sagegate.protocol.registry import Call, registry
from sagegate.store import NotFound


def validated_managed_policy(document: str) -> str:
    """The document if IAM would accept it as a managed policy version."""
    try:
        parse(document, PolicyKind.IDENTITY, max_size=MANAGED_POLICY_MAX, require_version_2012=True)
    except PolicySizeExceeded as e:
        raise ServiceError("LimitExceeded", e.message, status=409) from None
    except MalformedPolicyDocument as e:
        raise malformed_policy(str(e)) from None
    return document


def _new_policy_arn(call: Call, params: dict[str, Any]) -> list[str]:
    path = params.get("Path", "/")
    return [f"arn:aws:iam::{call.caller.account_id}:policy{path}{params['PolicyName']}"]


def _policy_arn(call: Call, params: dict[str, Any]) -> list[str]:
    return [params["PolicyArn"]]


def _policy_context(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """Request tag keys, and the resource tags of the policy if it is visible to the caller."""
    ctx = request_tag_keys(call, params)
    if "TagKeys" in params:
        ctx["aws:TagKeys"] = tuple(params["TagKeys"])
    try:
        policy = call.store.get_policy(params["PolicyArn"], call.caller.account_id)
    except NotFound:
        return ctx
    ctx.update(resource_tag_keys(policy.tags))
    return ctx


def policy_shape(policy: Any, *, full: bool = True) -> dict[str, Any]:
    """AWS's Policy shape; ListPolicies leaves out Description and Tags (`full=False`)."""
    out: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version_id,
        "AttachmentCount": policy.attachment_count,
        "PermissionsBoundaryUsageCount": policy.permissions_boundary_usage_count,
        "IsAttachable": policy.is_attachable,
        "CreateDate": policy.created_at,
        "UpdateDate": policy.updated_at,
    }
    if full and policy.description:
        out["Description"] = policy.description
    if full and policy.tags:
        out["Tags"] = [{"Key": k, "Value": v} for k, v in policy.tags]
    return out


def version_shape(version: Any, *, document: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "VersionId": version.version_id,
        "IsDefaultVersion": version.is_default,
        "CreateDate": version.created_at,
    }
    if document:
        out["Document"] = version.document
    return out


def _page_args(params: dict[str, Any]) -> dict[str, Any]:
    return {"marker": params.get("Marker"), "max_items": params.get("MaxItems", 100)}


# -- policies ----------------------------------------------------------------------------------


@registry.operation("iam", "CreatePolicy", resources=_new_policy_arn, context=request_tag_keys)
def create_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    tags = tag_pairs(params)
    document = validated_managed_policy(params["PolicyDocument"])
    with store_errors():
        created = call.store.create_policy(
            call.caller.account_id,
            params["PolicyName"],
            params.get("Path", "/"),
            document,
            params.get("Description"),
            tags=tags,
        )
        policy = call.store.get_policy(created.arn, call.caller.account_id)
    return {"Policy": policy_shape(policy)}


@registry.operation("iam", "GetPolicy", resources=_policy_arn, context=_policy_context)
def get_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        policy = call.store.get_policy(params["PolicyArn"], call.caller.account_id)
    return {"Policy": policy_shape(policy)}


@registry.operation("iam", "ListPolicies")
def list_policies(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    page = call.store.list_policies(
        call.caller.account_id,
        scope=params.get("Scope", "All"),
        only_attached=bool(params.get("OnlyAttached", False)),
        path_prefix=params.get("PathPrefix", "/"),
        usage_filter=params.get("PolicyUsageFilter"),
        **_page_args(params),
    )
    return paged([policy_shape(p, full=False) for p in page.items], page.marker, "Policies")


@registry.operation("iam", "DeletePolicy", resources=_policy_arn, context=_policy_context)
def delete_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_policy(call.caller.account_id, params["PolicyArn"])
    return {}


# -- versions ----------------------------------------------------------------------------------


@registry.operation("iam", "CreatePolicyVersion", resources=_policy_arn, context=_policy_context)
def create_policy_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    document = validated_managed_policy(params["PolicyDocument"])
    with store_errors():
        version = call.store.create_policy_version(
            call.caller.account_id,
            params["PolicyArn"],
            document,
            set_as_default=bool(params.get("SetAsDefault", False)),
        )
    return {"PolicyVersion": version_shape(version, document=False)}


@registry.operation("iam", "GetPolicyVersion", resources=_policy_arn, context=_policy_context)
def get_policy_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.get_policy(params["PolicyArn"], call.caller.account_id)
        version = call.store.get_policy_version(params["PolicyArn"], params["VersionId"])
    return {"PolicyVersion": version_shape(version)}


@registry.operation("iam", "ListPolicyVersions", resources=_policy_arn, context=_policy_context)
def list_policy_versions(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_policy_versions(
            call.caller.account_id, params["PolicyArn"], **_page_args(params)
        )
    return paged([version_shape(v, document=False) for v in page.items], page.marker, "Versions")


@registry.operation("iam", "DeletePolicyVersion", resources=_policy_arn, context=_policy_context)
def delete_policy_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_policy_version(
            call.caller.account_id, params["PolicyArn"], params["VersionId"]
        )
    return {}


@registry.operation(
    "iam", "SetDefaultPolicyVersion", resources=_policy_arn, context=_policy_context
)
def set_default_policy_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.set_default_policy_version(
            call.caller.account_id, params["PolicyArn"], params["VersionId"]
        )
    return {}


# -- who uses it -------------------------------------------------------------------------------


@registry.operation("iam", "ListEntitiesForPolicy", resources=_policy_arn, context=_policy_context)
def list_entities_for_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_entities_for_policy(
            call.caller.account_id,
            params["PolicyArn"],
            entity_filter=params.get("EntityFilter"),
            path_prefix=params.get("PathPrefix", "/"),
            usage_filter=params.get("PolicyUsageFilter"),
            **_page_args(params),
        )
    out = paged([], page.marker, "PolicyGroups")
    out["PolicyGroups"] = [
        {"GroupName": e.name, "GroupId": e.entity_id}
        for e in page.items
        if e.entity_type == "Group"
    ]
    out["PolicyUsers"] = [
        {"UserName": e.name, "UserId": e.entity_id} for e in page.items if e.entity_type == "User"
    ]
    out["PolicyRoles"] = [
        {"RoleName": e.name, "RoleId": e.entity_id} for e in page.items if e.entity_type == "Role"
    ]
    return out


# -- tags --------------------------------------------------------------------------------------


@registry.operation("iam", "TagPolicy", resources=_policy_arn, context=_policy_context)
def tag_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    tags = tag_pairs(params)
    with store_errors():
        call.store.tag_policy(call.caller.account_id, params["PolicyArn"], tags)
    return {}


@registry.operation("iam", "UntagPolicy", resources=_policy_arn, context=_policy_context)
def untag_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.untag_policy(call.caller.account_id, params["PolicyArn"], untag_keys(params))
    return {}


@registry.operation("iam", "ListPolicyTags", resources=_policy_arn, context=_policy_context)
def list_policy_tags(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_policy_tags(
            call.caller.account_id, params["PolicyArn"], **_page_args(params)
        )
    return paged([{"Key": k, "Value": v} for k, v in page.items], page.marker, "Tags")
