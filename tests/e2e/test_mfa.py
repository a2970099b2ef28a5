"""Virtual MFA devices through boto3 and the AWS CLI; TOTP codes are computed here from the
returned seed (RFC 6238, written out independently of sagegate's own implementation)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import Deployment
from tests.e2e.helpers import allow, new_user


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def code_at(b32_seed: bytes | str, step: int) -> str:
    text = b32_seed.decode() if isinstance(b32_seed, bytes) else b32_seed
    key = base64.b32decode(text + "=" * (-len(text) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    o = mac[19] & 15
    value = (struct.unpack(">I", mac[o : o + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


def consecutive(seed: bytes | str) -> tuple[str, str]:
    step = int(time.time()) // 30
    return code_at(seed, step - 1), code_at(seed, step)


def test_create_enable_list_deactivate_delete(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    account = deployment.account["account_id"]
    iam.create_user(UserName="mfa-alice")
    made = iam.create_virtual_mfa_device(
        VirtualMFADeviceName="mfa-alice-phone", Path="/people/", Tags=[{"Key": "t", "Value": "1"}]
    )["VirtualMFADevice"]
    serial = made["SerialNumber"]
    assert serial == f"arn:aws:iam::{account}:mfa/people/mfa-alice-phone"
    seed = made["Base32StringSeed"]
    assert len(seed) == 64 and set(seed.decode()) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert made["QRCodePNG"].startswith(b"\x89PNG\r\n\x1a\n")
    assert made["Tags"] == [{"Key": "t", "Value": "1"}]

    with pytest.raises(ClientError) as e:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="mfa-alice-phone", Path="/people/")
    assert error(e) == (
        "EntityAlreadyExists",
        "MFADevice entity at the same path and name already exists.",
        409,
    )

    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert serial in [d["SerialNumber"] for d in unassigned]

    with pytest.raises(ClientError) as e:
        iam.enable_mfa_device(
            UserName="mfa-alice",
            SerialNumber=serial,
            AuthenticationCode1="000000",
            AuthenticationCode2="000001",
        )
    assert error(e) == (
        "InvalidAuthenticationCode",
        "Authentication code for device is not valid.",
        403,
    )
    c1, c2 = consecutive(seed)
    iam.enable_mfa_device(
        UserName="mfa-alice", SerialNumber=serial, AuthenticationCode1=c1, AuthenticationCode2=c2
    )
    [listed] = iam.list_mfa_devices(UserName="mfa-alice")["MFADevices"]
    assert listed["UserName"] == "mfa-alice" and listed["SerialNumber"] == serial
    assert "EnableDate" in listed
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    [mine] = [d for d in assigned if d["SerialNumber"] == serial]
    assert mine["User"]["UserName"] == "mfa-alice" and "Base32StringSeed" not in mine
    assert mine["Tags"] == [{"Key": "t", "Value": "1"}]
    got = iam.get_mfa_device(SerialNumber=serial, UserName="mfa-alice")
    assert got["SerialNumber"] == serial and got["UserName"] == "mfa-alice"

    iam.create_user(UserName="mfa-bob")
    with pytest.raises(ClientError) as e:
        iam.enable_mfa_device(
            UserName="mfa-bob", SerialNumber=serial, AuthenticationCode1=c1, AuthenticationCode2=c2
        )
    assert error(e)[0] == "EntityAlreadyExists"

    with pytest.raises(ClientError) as e:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error(e)[0] == "DeleteConflict" and error(e)[2] == 409

    with pytest.raises(ClientError) as e:
        iam.deactivate_mfa_device(UserName="mfa-bob", SerialNumber=serial)
    assert error(e)[0] == "NoSuchEntity"
    iam.deactivate_mfa_device(UserName="mfa-alice", SerialNumber=serial)
    assert iam.list_mfa_devices(UserName="mfa-alice")["MFADevices"] == []
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    with pytest.raises(ClientError) as e:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error(e) == (
        "NoSuchEntity",
        f"VirtualMFADevice with serial number {serial} doesn't exist.",
        404,
    )


def test_resync_and_tags(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    iam.create_user(UserName="mfa-carol")
    made = iam.create_virtual_mfa_device(VirtualMFADeviceName="mfa-carol")["VirtualMFADevice"]
    serial, seed = made["SerialNumber"], made["Base32StringSeed"]
    iam.enable_mfa_device(
        UserName="mfa-carol",
        SerialNumber=serial,
        AuthenticationCode1=code_at(seed, int(time.time()) // 30 - 3),
        AuthenticationCode2=code_at(seed, int(time.time()) // 30 - 2),
    )
    # A device whose clock runs five minutes fast is found again by a resync.
    ahead = int(time.time()) // 30 + 10
    iam.resync_mfa_device(
        UserName="mfa-carol",
        SerialNumber=serial,
        AuthenticationCode1=code_at(seed, ahead),
        AuthenticationCode2=code_at(seed, ahead + 1),
    )
    with pytest.raises(ClientError) as e:
        iam.resync_mfa_device(
            UserName="mfa-carol",
            SerialNumber=serial,
            AuthenticationCode1="111111",
            AuthenticationCode2="222222",
        )
    assert error(e)[0] == "InvalidAuthenticationCode"

    iam.tag_mfa_device(
        SerialNumber=serial, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["a"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as e:
        iam.tag_mfa_device(
            SerialNumber=serial, Tags=[{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}]
        )
    assert error(e)[0] == "InvalidInput"
    with pytest.raises(ClientError) as e:
        iam.list_mfa_device_tags(SerialNumber=serial + "-missing")
    assert error(e)[0] == "NoSuchEntity"


def test_list_virtual_mfa_devices_pagination(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    for i in range(5):
        iam.create_virtual_mfa_device(VirtualMFADeviceName=f"mfa-page-{i}", Path="/paged/")
    pages = iam.get_paginator("list_virtual_mfa_devices").paginate(PaginationConfig={"PageSize": 2})
    serials = [d["SerialNumber"] for p in pages for d in p["VirtualMFADevices"]]
    paged = [s for s in serials if ":mfa/paged/" in s]
    assert [s.rsplit("/", 1)[1] for s in paged] == [f"mfa-page-{i}" for i in range(5)]
    assert len(serials) == len(set(serials))


def test_a_user_manages_its_own_mfa(deployment: Deployment) -> None:
    """The AWS User Guide's self-service MFA policy: devices named after the user, MFA calls on
    the user's own ARN."""
    account = deployment.account["account_id"]
    creds = new_user(
        deployment,
        "mfa-self",
        allow(
            ["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"],
            f"arn:aws:iam::{account}:mfa/mfa-self",
        ),
        allow(
            ["iam:EnableMFADevice", "iam:ListMFADevices", "iam:DeactivateMFADevice"],
            f"arn:aws:iam::{account}:user/${{aws:username}}",
        ),
    )
    me = deployment.client("iam", creds)
    made = me.create_virtual_mfa_device(VirtualMFADeviceName="mfa-self")["VirtualMFADevice"]
    with pytest.raises(ClientError) as e:
        me.create_virtual_mfa_device(VirtualMFADeviceName="someone-else")
    assert error(e)[0] == "AccessDenied"
    assert f"arn:aws:iam::{account}:mfa/someone-else" in error(e)[1]
    c1, c2 = consecutive(made["Base32StringSeed"])
    me.enable_mfa_device(
        UserName="mfa-self",
        SerialNumber=made["SerialNumber"],
        AuthenticationCode1=c1,
        AuthenticationCode2=c2,
    )
    assert [d["SerialNumber"] for d in me.list_mfa_devices()["MFADevices"]] == [
        made["SerialNumber"]
    ]
    deployment.client("iam").create_user(UserName="mfa-other")
    with pytest.raises(ClientError) as e:
        me.list_mfa_devices(UserName="mfa-other")
    assert error(e)[0] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        me.list_virtual_mfa_devices()
    assert error(e)[0] == "AccessDenied"
    me.deactivate_mfa_device(SerialNumber=made["SerialNumber"])
    me.delete_virtual_mfa_device(SerialNumber=made["SerialNumber"])


def test_mfa_cli(deployment: Deployment, tmp_path: Path) -> None:
    deployment.aws("iam", "create-user", "--user-name", "mfa-cli")
    made = deployment.aws(
        "iam",
        "create-virtual-mfa-device",
        "--virtual-mfa-device-name",
        "mfa-cli",
        "--outfile",
        f"{tmp_path}/seed.txt",
        "--bootstrap-method",
        "Base32StringSeed",
    )
    serial = made["VirtualMFADevice"]["SerialNumber"]
    seed = (tmp_path / "seed.txt").read_text().strip()
    assert len(seed) == 64
    c1, c2 = consecutive(seed)
    deployment.aws(
        "iam",
        "enable-mfa-device",
        "--user-name",
        "mfa-cli",
        "--serial-number",
        serial,
        "--authentication-code1",
        c1,
        "--authentication-code2",
        c2,
    )
    listed = deployment.aws("iam", "list-mfa-devices", "--user-name", "mfa-cli")
    assert [d["SerialNumber"] for d in listed["MFADevices"]] == [serial]
    deployment.aws(
        "iam", "deactivate-mfa-device", "--user-name", "mfa-cli", "--serial-number", serial
    )
    deployment.aws("iam", "delete-virtual-mfa-device", "--serial-number", serial)
    gone = deployment.aws(
        "iam", "delete-virtual-mfa-device", "--serial-number", serial, check=False
    )
    assert gone.returncode != 0 and "NoSuchEntity" in gone.stderr


def test_delete_user_refused_while_mfa_enabled(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    iam.create_user(UserName="mfa-keeper")
    made = iam.create_virtual_mfa_device(VirtualMFADeviceName="mfa-keeper")["VirtualMFADevice"]
    c1, c2 = consecutive(made["Base32StringSeed"])
    iam.enable_mfa_device(
        UserName="mfa-keeper",
        SerialNumber=made["SerialNumber"],
        AuthenticationCode1=c1,
        AuthenticationCode2=c2,
    )
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="mfa-keeper")
    assert error(e) == (
        "DeleteConflict",
        "Cannot delete entity, must delete MFA device first.",
        409,
    )
