"""IAM roles: CreateRole, GetRole, ListRoles, UpdateRole, UpdateRoleDescription,
UpdateAssumeRolePolicy, DeleteRole, TagRole, UntagRole, ListRoleTags (IAM API Reference).

Authorization follows the Service Authorization Reference for IAM: every role action is on the
role's ARN `arn:aws:iam::ACCOUNT:role{path}{name}` and carries the role's tags as
`aws:ResourceTag/K` and `iam:ResourceTag/K`; calls that set tags add `aws:RequestTag/K` and
`aws:TagKeys`; CreateRole adds `iam:PermissionsBoundary`. ListRoles is authorized on the path
prefix (`arn:aws:iam::ACCOUNT:role/PREFIX/`), as AWS names it in its denials.

Trust policies are validated as such (*IAM JSON policy elements*: a Principal is required, no
Resource), with the trust-policy size quota (ACLSizePerRole, 2,048 characters). Service-linked
roles (`sagegate.iam.service_linked_roles`) are AWS's to change: the calls that would edit their
permissions answer UnmodifiableEntity, as AWS does.
"""

from __future__ import annotations

from typing import Any

from sagegate.iam.errors import malformed_policy, store_errors
from sagegate.iam.tags import tag_pairs, untag_keys
from sagegate.iam.users import paged
from sagegate.policy import MalformedPolicyDocument, PolicyKind, PolicySizeExceeded, parse
from sagegate.protocol.errors import ServiceError
from sagegate.protocol.registry import Call, registry
from sagegate.store import NotFound


def role_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:role{path}{name}"


def find_role(call: Call, name: str | None) -> Any | None:
    """The caller's account's role `name`, or None."""
    if not name:
        return None
    try:
        return call.store.get_role(call.caller.account_id, name)
    except NotFound:
        return None


def target_role_arn(call: Call, params: dict[str, Any]) -> list[str]:
    """The role a call acts on, with its path when it exists."""
    name = params["RoleName"]
    role = find_role(call, name)
    if role is None:
        return [role_arn(call.caller.account_id, name)]
    return [role.arn]


def new_role_arn(call: Call, params: dict[str, Any]) -> list[str]:
    """CreateRole is authorized on the ARN the role is to have."""
    return [role_arn(call.caller.account_id, params["RoleName"], params.get("Path", "/"))]


def roles_under_prefix(call: Call, params: dict[str, Any]) -> list[str]:
    return [f"arn:aws:iam::{call.caller.account_id}:role{params.get('PathPrefix', '/')}"]


def role_tag_keys(role: Any) -> dict[str, Any]:
    """`aws:ResourceTag/K` and `iam:ResourceTag/K` of an existing role."""
    ctx: dict[str, Any] = {}
    for key, value in role.tags if role is not None else ():
        ctx[f"aws:ResourceTag/{key}"] = value
        ctx[f"iam:ResourceTag/{key}"] = value
    return ctx


def existing_role_keys(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """The role's tags."""
    return role_tag_keys(find_role(call, params.get("RoleName")))


def bounded_role_keys(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """The role's tags and its permissions boundary as `iam:PermissionsBoundary` ("filters
    access if the specified policy is set as the permissions boundary on the IAM entity"), for
    the actions the Service Authorization Reference lists with that key."""
    role = find_role(call, params.get("RoleName"))
    ctx = role_tag_keys(role)
    if role is not None and role.permissions_boundary_arn:
        ctx["iam:PermissionsBoundary"] = role.permissions_boundary_arn
    return ctx


def request_tags(params: dict[str, Any]) -> dict[str, Any]:
    """`aws:RequestTag/K` for each tag of the request and `aws:TagKeys`."""
    tags = params.get("Tags") or []
    ctx: dict[str, Any] = {f"aws:RequestTag/{t['Key']}": t["Value"] for t in tags}
    if tags:
        ctx["aws:TagKeys"] = [t["Key"] for t in tags]
    return ctx


def unmodifiable(name: str) -> ServiceError:
    return ServiceError(
        "UnmodifiableEntity",
        f"Cannot perform the operation on the protected role '{name}' - "
        "this role is only modifiable by AWS",
    )


def modifiable_role(call: Call, name: str) -> Any:
    """The role, unless it is a service-linked role (UnmodifiableEntity) or missing."""
    with store_errors():
        role = call.store.get_role(call.caller.account_id, name)
    if role.service_linked_to is not None:
        raise unmodifiable(role.name)
    return role


def validated_trust_policy(document: str) -> str:
    try:
        parse(document, PolicyKind.TRUST)
    except PolicySizeExceeded as e:
        raise ServiceError("LimitExceeded", e.message, status=409) from None
    except MalformedPolicyDocument as e:
        raise malformed_policy(str(e)) from None
    return document


def role_shape(role: Any, *, listing: bool = False, last_used: bool = True) -> dict[str, Any]:
    """A Role as AWS returns it. List calls leave out PermissionsBoundary, Tags and RoleLastUsed
    (ListRoles: "IAM resource-listing operations return a subset of the available attributes")."""
    out: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.role_id,
        "Arn": role.arn,
        "CreateDate": role.created_at,
        "AssumeRolePolicyDocument": role.assume_role_policy_document,
        "MaxSessionDuration": role.max_session_duration,
    }
    if role.description is not None:
        out["Description"] = role.description
    if listing:
        return out
    if role.permissions_boundary_arn:
        out["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": role.permissions_boundary_arn,
        }
    if role.tags:
        out["Tags"] = [{"Key": k, "Value": v} for k, v in role.tags]
    if last_used:
        used: dict[str, Any] = {}
        if role.last_used_at is not None:
            used["LastUsedDate"] = role.last_used_at
            if role.last_used_region:
                used["Region"] = role.last_used_region
        out["RoleLastUsed"] = used
    return out


def scope_arn_not_found(arn: str) -> ServiceError:
    return ServiceError(
        "NoSuchEntity", f"Scope ARN: {arn} does not exist or is not attachable.", status=404
    )


# -- operations ------------------------------------------------------------------------------


def _create_keys(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ctx = request_tags(params)
    if params.get("PermissionsBoundary"):
        ctx["iam:PermissionsBoundary"] = params["PermissionsBoundary"]
    return ctx


@registry.operation("iam", "CreateRole", resources=new_role_arn, context=_create_keys)
def create_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    tags = tag_pairs(params, case_insensitive=True)
    document = validated_trust_policy(params["AssumeRolePolicyDocument"])
    boundary = params.get("PermissionsBoundary")
    with store_errors():
        try:
            role = call.store.create_role(
                call.caller.account_id,
                params["RoleName"],
                document,
                path=params.get("Path", "/"),
                max_session_duration=params.get("MaxSessionDuration", 3600),
                description=params.get("Description"),
                permissions_boundary_arn=boundary,
                tags=tags,
            )
        except NotFound as e:
            if e.entity == "policy" and boundary is not None:
                raise scope_arn_not_found(boundary) from None
            raise
    return {"Role": role_shape(role, last_used=False)}


@registry.operation("iam", "GetRole", resources=target_role_arn, context=existing_role_keys)
def get_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        role = call.store.get_role(call.caller.account_id, params["RoleName"])
    return {"Role": role_shape(role)}


@registry.operation("iam", "ListRoles", resources=roles_under_prefix)
def list_roles(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_roles(
            call.caller.account_id,
            path_prefix=params.get("PathPrefix", "/"),
            marker=params.get("Marker"),
            max_items=params.get("MaxItems", 100),
        )
    return paged([role_shape(r, listing=True) for r in page.items], page.marker, "Roles")


@registry.operation("iam", "UpdateRole", resources=target_role_arn, context=existing_role_keys)
def update_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    duration = params.get("MaxSessionDuration")
    with store_errors():
        role = call.store.get_role(call.caller.account_id, params["RoleName"])
        if role.service_linked_to is not None and duration is not None:
            raise unmodifiable(role.name)
        call.store.update_role(
            call.caller.account_id,
            params["RoleName"],
            description=params.get("Description"),
            max_session_duration=duration,
        )
    return {}


@registry.operation(
    "iam", "UpdateRoleDescription", resources=target_role_arn, context=existing_role_keys
)
def update_role_description(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        role = call.store.update_role(
            call.caller.account_id, params["RoleName"], description=params["Description"]
        )
    return {"Role": role_shape(role)}


@registry.operation(
    "iam", "UpdateAssumeRolePolicy", resources=target_role_arn, context=bounded_role_keys
)
def update_assume_role_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    role = modifiable_role(call, params["RoleName"])
    document = validated_trust_policy(params["PolicyDocument"])
    with store_errors():
        call.store.update_assume_role_policy(call.caller.account_id, role.name, document)
    return {}


@registry.operation("iam", "DeleteRole", resources=target_role_arn, context=existing_role_keys)
def delete_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    role = modifiable_role(call, params["RoleName"])
    with store_errors():
        call.store.delete_role(call.caller.account_id, role.name)
    return {}


# -- tags ------------------------------------------------------------------------------------


def _tag_keys(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {**role_tag_keys(find_role(call, params["RoleName"])), **request_tags(params)}


def _untag_keys(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ctx = role_tag_keys(find_role(call, params["RoleName"]))
    ctx["aws:TagKeys"] = list(params.get("TagKeys") or [])
    return ctx


@registry.operation("iam", "TagRole", resources=target_role_arn, context=_tag_keys)
def tag_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    tags = tag_pairs(params, case_insensitive=True)
    with store_errors():
        call.store.tag_role(call.caller.account_id, params["RoleName"], tags)
    return {}


@registry.operation("iam", "UntagRole", resources=target_role_arn, context=_untag_keys)
def untag_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.untag_role(call.caller.account_id, params["RoleName"], untag_keys(params))
    return {}


@registry.operation("iam", "ListRoleTags", resources=target_role_arn, context=existing_role_keys)
def list_role_tags(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_role_tags(
            call.caller.account_id,
            params["RoleName"],
            marker=params.get("Marker"),
            max_items=params.get("MaxItems", 100),
        )
    return paged([{"Key": k, "Value": v} for k, v in page.items], page.marker, "Tags")
