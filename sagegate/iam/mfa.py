"""Virtual MFA devices: CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice,
DeactivateMFADevice, DeleteVirtualMFADevice, GetMFADevice, ListMFADevices, ListVirtualMFADevices,
Tag/Untag/ListMFADeviceTags (IAM API Reference; IAM User Guide *Assigning a virtual MFA device*).

CreateVirtualMFADevice returns, as AWS does, the Base32 seed and a PNG QR code of the
`otpauth://totp/ISSUER:NAME@ACCOUNT?secret=SEED&issuer=ISSUER` URI (Key Uri Format of Google
Authenticator), both base64 on the wire. Authorization follows the Service Authorization
Reference: Enable/Resync/Deactivate/GetMFADevice/ListMFADevices act on the user (with its tags as
`iam:ResourceTag/K` and `aws:ResourceTag/K`), Create/Delete and the tag calls on the device
(`arn:aws:iam::ACCOUNT:mfa/PATH/NAME`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import segno

from sagegate.iam.arns import root_arn, target_user_arn
from sagegate.iam.errors import store_errors
from sagegate.iam.tags import tag_pairs, untag_keys
from sagegate.iam.users import paged, request_tag_keys, user_context, user_shape
from sagegate.protocol.errors import ServiceError
from sagegate.protocol.registry import Call, registry
from sagegate.store import InvalidAuthenticationCode, InvalidMarker

ISSUER = "sagegate"  # what authenticator apps show above the code


@contextmanager
def mfa_errors() -> Iterator[None]:
    try:
        with store_errors():
            yield
    except InvalidAuthenticationCode as e:
        raise ServiceError("InvalidAuthenticationCode", e.message, status=403) from None


def device_arn(call: Call, params: dict[str, Any]) -> list[str]:
    """The device a call names: `SerialNumber`, or the ARN CreateVirtualMFADevice will give."""
    if "SerialNumber" in params:
        return [str(params["SerialNumber"])]
    path = params.get("Path", "/")
    return [f"arn:aws:iam::{call.caller.account_id}:mfa{path}{params['VirtualMFADeviceName']}"]


def qr_code_png(uri: str) -> bytes:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="png", scale=4, border=4)
    return out.getvalue()


def otpauth_uri(label: str, seed: str) -> str:
    return (
        f"otpauth://totp/{quote(ISSUER)}:{quote(label)}"
        f"?secret={seed}&issuer={quote(ISSUER)}&algorithm=SHA1&digits=6&period=30"
    )


def _root_user_shape(call: Call) -> dict[str, Any]:
    account = call.store.get_account(call.caller.account_id)
    return {
        "Path": "/",
        "UserName": "",
        "UserId": call.caller.account_id,
        "Arn": root_arn(call.caller.account_id),
        "CreateDate": account.created_at,
    }


def _caller_or(call: Call, params: dict[str, Any]) -> str | None:
    """`UserName`, else the calling IAM user, else None (the root user)."""
    name = params.get("UserName")
    return str(name) if name is not None else call.caller.username


@registry.operation("iam", "CreateVirtualMFADevice", resources=device_arn, context=request_tag_keys)
def create_virtual_mfa_device(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    tags = tag_pairs(params)
    name = params["VirtualMFADeviceName"]
    with store_errors():
        device, seed = call.store.create_virtual_mfa_device(
            call.caller.account_id, name, path=params.get("Path", "/"), tags=tags
        )
        aliases = call.store.list_account_aliases(call.caller.account_id)
    label = f"{name}@{aliases[0] if aliases else call.caller.account_id}"
    out: dict[str, Any] = {
        "SerialNumber": device.serial_number,
        "Base32StringSeed": seed.encode(),
        "QRCodePNG": qr_code_png(otpauth_uri(label, seed)),
    }
    if tags:
        out["Tags"] = [{"Key": k, "Value": v} for k, v in tags]
    return {"VirtualMFADevice": out}


@registry.operation("iam", "EnableMFADevice", resources=target_user_arn, context=user_context)
def enable_mfa_device(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with mfa_errors():
        call.store.enable_mfa_device(
            call.caller.account_id,
            params["UserName"],
            params["SerialNumber"],
            params["AuthenticationCode1"],
            params["AuthenticationCode2"],
            call.now,
        )
    return {}


@registry.operation("iam", "ResyncMFADevice", resources=target_user_arn, context=user_context)
def resync_mfa_device(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with mfa_errors():
        call.store.resync_mfa_device(
            call.caller.account_id,
            params["UserName"],
            params["SerialNumber"],
            params["AuthenticationCode1"],
            params["AuthenticationCode2"],
            call.now,
        )
    return {}


@registry.operation("iam", "DeactivateMFADevice", resources=target_user_arn, context=user_context)
def deactivate_mfa_device(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.deactivate_mfa_device(
            call.caller.account_id, _caller_or(call, params), params["SerialNumber"]
        )
    return {}


@registry.operation("iam", "DeleteVirtualMFADevice", resources=device_arn)
def delete_virtual_mfa_device(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_virtual_mfa_device(call.caller.account_id, params["SerialNumber"])
    return {}


@registry.operation("iam", "GetMFADevice", resources=target_user_arn, context=user_context)
def get_mfa_device(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    user = _caller_or(call, params)
    with store_errors():
        devices = call.store.mfa_devices_for_user(call.caller.account_id, user)
    for d in devices:
        if d.serial_number == params["SerialNumber"]:
            out: dict[str, Any] = {"SerialNumber": d.serial_number, "EnableDate": d.enabled_at}
            if d.user is not None:
                out["UserName"] = d.user.name
            return out
    raise ServiceError(
        "NoSuchEntity",
        f"VirtualMFADevice with serial number {params['SerialNumber']} doesn't exist.",
        status=404,
    )


def paginate_list(items: list[Any], params: dict[str, Any], key: str) -> dict[str, Any]:
    """Pagination over a short, stable list: the marker is the index of the next item."""
    start = 0
    if params.get("Marker") is not None:
        marker = str(params["Marker"])
        if not marker.isdigit() or int(marker) > len(items):
            raise ServiceError("ValidationError", InvalidMarker().message, status=400)
        start = int(marker)
    end = start + int(params.get("MaxItems", 100))
    return paged(items[start:end], str(end) if end < len(items) else None, key)


@registry.operation("iam", "ListMFADevices", resources=target_user_arn, context=user_context)
def list_mfa_devices(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    user = _caller_or(call, params)
    with store_errors():
        devices = call.store.mfa_devices_for_user(call.caller.account_id, user)
    items = [
        {
            "UserName": d.user.name if d.user is not None else "",
            "SerialNumber": d.serial_number,
            "EnableDate": d.enabled_at,
        }
        for d in devices
    ]
    return paginate_list(items, params, "MFADevices")


@registry.operation("iam", "ListVirtualMFADevices")
def list_virtual_mfa_devices(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_virtual_mfa_devices(
            call.caller.account_id,
            assignment_status=params.get("AssignmentStatus", "Any"),
            marker=params.get("Marker"),
            max_items=params.get("MaxItems", 100),
        )
    items = []
    for d in page.items:
        item: dict[str, Any] = {"SerialNumber": d.serial_number}
        if d.user is not None:
            item["User"] = user_shape(d.user)
        elif d.is_root:
            item["User"] = _root_user_shape(call)
        if d.enabled_at is not None:
            item["EnableDate"] = d.enabled_at
        if d.tags:
            item["Tags"] = [{"Key": k, "Value": v} for k, v in d.tags]
        items.append(item)
    return paged(items, page.marker, "VirtualMFADevices")


@registry.operation("iam", "TagMFADevice", resources=device_arn, context=request_tag_keys)
def tag_mfa_device(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.tag_mfa_device(call.caller.account_id, params["SerialNumber"], tag_pairs(params))
    return {}


def untag_context(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {"aws:TagKeys": tuple(params.get("TagKeys") or ())}


@registry.operation("iam", "UntagMFADevice", resources=device_arn, context=untag_context)
def untag_mfa_device(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.untag_mfa_device(
            call.caller.account_id, params["SerialNumber"], untag_keys(params)
        )
    return {}


@registry.operation("iam", "ListMFADeviceTags", resources=device_arn)
def list_mfa_device_tags(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        tags = call.store.list_mfa_device_tags(call.caller.account_id, params["SerialNumber"])
    items = [{"Key": k, "Value": v} for k, v in tags]
    return paginate_list(items, params, "Tags")
