"""Instance profiles: Create/Get/List/DeleteInstanceProfile, Add/RemoveRoleFromInstanceProfile,
ListInstanceProfilesForRole, Tag/Untag/ListInstanceProfileTags (IAM API Reference).

Authorization (Service Authorization Reference): actions are on
`arn:aws:iam::ACCOUNT:instance-profile{path}{name}` with the profile's tags as
`aws:ResourceTag/K` (instance profiles have no `iam:ResourceTag`); ListInstanceProfiles on the
path prefix; ListInstanceProfilesForRole on the role. AddRoleToInstanceProfile also needs
`iam:PassRole` on the role ("The caller of this operation must be granted the PassRole permission
on the IAM role"), checked with `iam:PassedToService` = `ec2.amazonaws.com` and
`iam:AssociatedResourceArn` = `arn:aws:ec2:*:ACCOUNT:instance/*`, the value AWS documents for this
call. An instance profile holds one role at most, a quota AWS does not raise.
"""

from __future__ import annotations

from typing import Any

from sagegate.iam.errors import store_errors
from sagegate.iam.roles import (
    existing_role_keys,
    find_role,
    request_tags,
    role_arn,
    role_shape,
    role_tag_keys,
    target_role_arn,
)
from sagegate.iam.tags import tag_pairs, untag_keys
from sagegate.iam.users import paged
from sagegate.protocol.registry import Call, Check, registry
from sagegate.store import NotFound


def instance_profile_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:instance-profile{path}{name}"


def _find(call: Call, name: str) -> Any | None:
    try:
        return call.store.get_instance_profile(call.caller.account_id, name)
    except NotFound:
        return None


def _target(call: Call, params: dict[str, Any]) -> list[str]:
    name = params["InstanceProfileName"]
    profile = _find(call, name)
    if profile is not None:
        return [profile.arn]
    return [instance_profile_arn(call.caller.account_id, name, params.get("Path", "/"))]


def _under_prefix(call: Call, params: dict[str, Any]) -> list[str]:
    return [
        f"arn:aws:iam::{call.caller.account_id}:instance-profile{params.get('PathPrefix', '/')}"
    ]


def _resource_tags(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    profile = _find(call, params["InstanceProfileName"])
    tags = profile.tags if profile is not None else ()
    return {f"aws:ResourceTag/{k}": v for k, v in tags}


def profile_shape(profile: Any, *, listing: bool = False) -> dict[str, Any]:
    """An InstanceProfile as AWS returns it; list calls leave out its Tags."""
    out: dict[str, Any] = {
        "Path": profile.path,
        "InstanceProfileName": profile.name,
        "InstanceProfileId": profile.instance_profile_id,
        "Arn": profile.arn,
        "CreateDate": profile.created_at,
        "Roles": [role_shape(r, listing=True) for r in profile.roles],
    }
    if profile.tags and not listing:
        out["Tags"] = [{"Key": k, "Value": v} for k, v in profile.tags]
    return out


def _create_keys(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return request_tags(params)


@registry.operation("iam", "CreateInstanceProfile", resources=_target, context=_create_keys)
def create_instance_profile(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    tags = tag_pairs(params, case_insensitive=False)
    with store_errors():
        profile = call.store.create_instance_profile(
            call.caller.account_id,
            params["InstanceProfileName"],
            path=params.get("Path", "/"),
            tags=tags,
        )
    return {"InstanceProfile": profile_shape(profile)}


@registry.operation("iam", "GetInstanceProfile", resources=_target, context=_resource_tags)
def get_instance_profile(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        profile = call.store.get_instance_profile(
            call.caller.account_id, params["InstanceProfileName"]
        )
    return {"InstanceProfile": profile_shape(profile)}


@registry.operation("iam", "ListInstanceProfiles", resources=_under_prefix)
def list_instance_profiles(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_instance_profiles(
            call.caller.account_id,
            path_prefix=params.get("PathPrefix", "/"),
            marker=params.get("Marker"),
            max_items=params.get("MaxItems", 100),
        )
    items = [profile_shape(p, listing=True) for p in page.items]
    return paged(items, page.marker, "InstanceProfiles")


@registry.operation(
    "iam", "ListInstanceProfilesForRole", resources=target_role_arn, context=existing_role_keys
)
def list_instance_profiles_for_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_instance_profiles_for_role(
            call.caller.account_id,
            params["RoleName"],
            marker=params.get("Marker"),
            max_items=params.get("MaxItems", 100),
        )
    items = [profile_shape(p, listing=True) for p in page.items]
    return paged(items, page.marker, "InstanceProfiles")


@registry.operation("iam", "DeleteInstanceProfile", resources=_target, context=_resource_tags)
def delete_instance_profile(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_instance_profile(call.caller.account_id, params["InstanceProfileName"])
    return {}


# -- the role --------------------------------------------------------------------------------


def _pass_role(call: Call, params: dict[str, Any]) -> list[Check]:
    account = call.caller.account_id
    role = find_role(call, params["RoleName"])
    arn = role.arn if role is not None else role_arn(account, params["RoleName"])
    context = {
        **role_tag_keys(role),
        "iam:PassedToService": "ec2.amazonaws.com",
        "iam:AssociatedResourceArn": f"arn:aws:ec2:*:{account}:instance/*",
    }
    return [Check("iam:PassRole", arn, context)]


@registry.operation(
    "iam",
    "AddRoleToInstanceProfile",
    resources=_target,
    context=_resource_tags,
    also=_pass_role,
)
def add_role_to_instance_profile(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.add_role_to_instance_profile(
            call.caller.account_id, params["InstanceProfileName"], params["RoleName"]
        )
    return {}


@registry.operation(
    "iam", "RemoveRoleFromInstanceProfile", resources=_target, context=_resource_tags
)
def remove_role_from_instance_profile(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.remove_role_from_instance_profile(
            call.caller.account_id, params["InstanceProfileName"], params["RoleName"]
        )
    return {}


# -- tags (keys case-sensitive for instance profiles) ----------------------------------------


def _tag_keys(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {**_resource_tags(call, params), **request_tags(params)}


def _untag_keys(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {**_resource_tags(call, params), "aws:TagKeys": list(params.get("TagKeys") or [])}


@registry.operation("iam", "TagInstanceProfile", resources=_target, context=_tag_keys)
def tag_instance_profile(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    tags = tag_pairs(params, case_insensitive=False)
    with store_errors():
        call.store.tag_instance_profile(call.caller.account_id, params["InstanceProfileName"], tags)
    return {}


@registry.operation("iam", "UntagInstanceProfile", resources=_target, context=_untag_keys)
def untag_instance_profile(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.untag_instance_profile(
            call.caller.account_id, params["InstanceProfileName"], untag_keys(params)
        )
    return {}


@registry.operation("iam", "ListInstanceProfileTags", resources=_target, context=_resource_tags)
def list_instance_profile_tags(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_instance_profile_tags(
            call.caller.account_id,
            params["InstanceProfileName"],
            marker=params.get("Marker"),
            max_items=params.get("MaxItems", 100),
        )
    return paged([{"Key": k, "Value": v} for k, v in page.items], page.marker, "Tags")
