"""Login profiles, the password policy and virtual MFA devices in the store."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime, timedelta

import pytest

from sagegate.store import (
    Account,
    AlreadyExists,
    DeleteConflict,
    InvalidAuthenticationCode,
    NotFound,
    PasswordPolicyViolation,
    SealedDataError,
    Store,
)
from sagegate.store.credentials import totp, totp_counter
from sagegate.store.schema import MfaDeviceRow

NOW = datetime(2026, 11, 27, 12, 0, 10, tzinfo=UTC)
GOOD = "Correct-Horse-7"


def seed_of(b32: str) -> bytes:
    return base64.b32decode(b32 + "=" * (-len(b32) % 8))


def codes(seed: bytes, now: datetime, back: int = 1) -> tuple[str, str]:
    c = totp_counter(now)
    return totp(seed, c - back), totp(seed, c - back + 1)


# -- TOTP --------------------------------------------------------------------------------------


def test_totp_rfc6238_vectors() -> None:
    # RFC 6238 appendix B, SHA-1 seed "12345678901234567890" (8 digits there; the last 6 here).
    seed = b"12345678901234567890"
    assert totp(seed, 59 // 30) == "287082"
    assert totp(seed, 1111111109 // 30) == "081804"
    assert totp(seed, 1234567890 // 30) == "005924"
    assert totp(seed, 20000000000 // 30) == "353130"


# -- passwords ---------------------------------------------------------------------------------


def test_login_profile_lifecycle(store: Store, account: Account) -> None:
    a = account.account_id
    store.create_user(a, "alice")
    made = store.create_login_profile(a, "ALICE", GOOD, reset_required=True)
    assert made.user_name == "alice" and made.password_reset_required
    assert store.get_login_profile(a, "alice") == made
    assert store.verify_user_password(a, "alice", GOOD)
    assert not store.verify_user_password(a, "alice", "wrong")
    assert not store.verify_user_password(a, "nobody", GOOD)
    with pytest.raises(AlreadyExists) as e:
        store.create_login_profile(a, "alice", GOOD)
    assert e.value.entity == "login_profile"
    store.update_login_profile(a, "alice", password="Other-Pass-8", reset_required=False)
    assert store.verify_user_password(a, "alice", "Other-Pass-8")
    assert not store.get_login_profile(a, "alice").password_reset_required
    store.delete_login_profile(a, "alice")
    with pytest.raises(NotFound) as e2:
        store.get_login_profile(a, "alice")
    assert e2.value.entity == "login_profile"
    with pytest.raises(NotFound):
        store.delete_login_profile(a, "alice")
    with pytest.raises(NotFound) as e3:
        store.create_login_profile(a, "ghost", GOOD)
    assert e3.value.entity == "user"


def test_default_policy_applies_without_account_policy(store: Store, account: Account) -> None:
    a = account.account_id
    store.create_user(a, "bob")
    for weak in ("short1A", "alllowercase", "lowerand123"):
        with pytest.raises(PasswordPolicyViolation):
            store.create_login_profile(a, "bob", weak)
    store.create_login_profile(a, "bob", "lower123UPPER")


def test_account_policy_enforced_and_reuse_prevented(store: Store, account: Account) -> None:
    a = account.account_id
    with pytest.raises(NotFound) as e:
        store.get_password_policy(a)
    assert e.value.entity == "password_policy"
    policy = store.update_password_policy(
        a, MinimumPasswordLength=10, RequireSymbols=True, PasswordReusePrevention=2
    )
    assert policy["RequireNumbers"] is False and policy["MinimumPasswordLength"] == 10
    assert store.get_password_policy(a) == policy  # history stays private
    store.create_user(a, "carol")
    with pytest.raises(PasswordPolicyViolation):
        store.create_login_profile(a, "carol", "nosymbols123")
    with pytest.raises(PasswordPolicyViolation):
        store.create_login_profile(a, "carol", "s#ort")
    store.create_login_profile(a, "carol", "first#pass1")
    assert store.change_password(a, "carol", "first#pass1", "second#pass")
    with pytest.raises(PasswordPolicyViolation):  # one of the last two
        store.change_password(a, "carol", "second#pass", "first#pass1")
    assert store.change_password(a, "carol", "second#pass", "third#pass0")
    assert store.change_password(a, "carol", "third#pass0", "first#pass1")  # three back: fine
    assert not store.change_password(a, "carol", "wrong-old!!", "fourth#pass")
    assert store.verify_user_password(a, "carol", "first#pass1")
    store.delete_password_policy(a)
    with pytest.raises(NotFound):
        store.delete_password_policy(a)


# -- MFA ---------------------------------------------------------------------------------------


def test_virtual_mfa_device_lifecycle(store: Store, account: Account) -> None:
    a = account.account_id
    store.create_user(a, "dave")
    device, b32 = store.create_virtual_mfa_device(a, "dave-phone", "/ops/", tags=[("k", "v")])
    assert device.serial_number == f"arn:aws:iam::{a}:mfa/ops/dave-phone"
    assert len(b32) == 64 and device.tags == (("k", "v"),) and not device.is_assigned
    with pytest.raises(AlreadyExists) as dup:
        store.create_virtual_mfa_device(a, "dave-phone", "/ops/")
    assert dup.value.entity == "mfa_device"
    seed = seed_of(b32)

    with pytest.raises(InvalidAuthenticationCode):
        store.enable_mfa_device(a, "dave", device.serial_number, "123456", "654321", NOW)
    c1, c2 = codes(seed, NOW)
    with pytest.raises(InvalidAuthenticationCode):  # not consecutive in that order
        store.enable_mfa_device(a, "dave", device.serial_number, c2, c1, NOW)
    store.enable_mfa_device(a, "dave", device.serial_number, c1, c2, NOW)
    [enabled] = store.mfa_devices_for_user(a, "dave")
    assert enabled.user is not None and enabled.user.name == "dave"
    assert enabled.enabled_at == NOW
    store.create_user(a, "erin")
    with pytest.raises(AlreadyExists) as used:
        store.enable_mfa_device(a, "erin", device.serial_number, c1, c2, NOW)
    assert used.value.entity == "mfa_device_in_use"

    with pytest.raises(DeleteConflict):
        store.delete_virtual_mfa_device(a, device.serial_number)
    assert [d.serial_number for d in store.list_virtual_mfa_devices(a, "Assigned").items] == [
        device.serial_number
    ]
    assert store.list_virtual_mfa_devices(a, "Unassigned").items == ()

    with pytest.raises(NotFound):  # not erin's
        store.deactivate_mfa_device(a, "erin", device.serial_number)
    store.deactivate_mfa_device(a, "dave", device.serial_number)
    assert store.mfa_devices_for_user(a, "dave") == []
    assert not store.get_mfa_device(a, device.serial_number).is_assigned
    store.delete_virtual_mfa_device(a, device.serial_number)
    with pytest.raises(NotFound):
        store.get_mfa_device(a, device.serial_number)


def test_verify_mfa_code_window_and_replay(store: Store, account: Account) -> None:
    a = account.account_id
    store.create_user(a, "frank")
    device, b32 = store.create_virtual_mfa_device(a, "frank")
    seed = seed_of(b32)
    serial = device.serial_number
    assert not store.verify_mfa_code(a, serial, totp(seed, totp_counter(NOW)), NOW)  # not enabled
    start = NOW - timedelta(minutes=5)
    store.enable_mfa_device(a, "frank", serial, *codes(seed, start), start)

    later = NOW + timedelta(minutes=1)
    c = totp_counter(later)
    assert store.verify_mfa_code(a, serial, totp(seed, c), later)
    assert not store.verify_mfa_code(a, serial, totp(seed, c), later)  # replay
    assert not store.verify_mfa_code(a, serial, totp(seed, c - 1), later)  # older than used
    assert store.verify_mfa_code(a, serial, totp(seed, c + 1), later)  # one step ahead: ok
    far = later + timedelta(minutes=10)
    assert not store.verify_mfa_code(a, serial, totp(seed, totp_counter(far) + 2), far)
    assert not store.verify_mfa_code(a, serial, "12345", far)
    assert not store.verify_mfa_code("999999999999", serial, totp(seed, totp_counter(far)), far)
    assert store.verify_mfa_code(a, serial, totp(seed, totp_counter(far)), far)


def test_verify_mfa_code_accepts_a_code_once_under_concurrency(
    store: Store, account: Account
) -> None:
    a = account.account_id
    store.create_user(a, "gina")
    device, b32 = store.create_virtual_mfa_device(a, "gina")
    seed = seed_of(b32)
    store.enable_mfa_device(a, "gina", device.serial_number, *codes(seed, NOW), NOW)
    later = NOW + timedelta(minutes=2)
    code = totp(seed, totp_counter(later))
    barrier = threading.Barrier(6)
    results: list[bool] = []

    def attempt() -> None:
        barrier.wait()
        results.append(store.verify_mfa_code(a, device.serial_number, code, later))

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 5 + [True]


def test_resync_finds_a_drifted_clock(store: Store, account: Account) -> None:
    a = account.account_id
    store.create_user(a, "hank")
    device, b32 = store.create_virtual_mfa_device(a, "hank")
    seed = seed_of(b32)
    store.enable_mfa_device(a, "hank", device.serial_number, *codes(seed, NOW), NOW)
    drifted = NOW + timedelta(minutes=8)  # the device runs 8 minutes fast
    with pytest.raises(InvalidAuthenticationCode):
        store.resync_mfa_device(a, "hank", device.serial_number, "000000", "000001", NOW)
    store.resync_mfa_device(a, "hank", device.serial_number, *codes(seed, drifted), NOW)
    with pytest.raises(InvalidAuthenticationCode):  # the same pair again: replay
        store.resync_mfa_device(a, "hank", device.serial_number, *codes(seed, drifted), NOW)


def test_seed_is_sealed_and_bound_to_its_serial(store: Store, account: Account) -> None:
    from sqlalchemy import select, update
    from sqlalchemy.orm import Session

    a = account.account_id
    one, b32 = store.create_virtual_mfa_device(a, "one")
    two, _ = store.create_virtual_mfa_device(a, "two")
    with Session(store.engine) as s:
        sealed = s.execute(
            select(MfaDeviceRow.seed_sealed).where(MfaDeviceRow.serial_number == one.serial_number)
        ).scalar_one()
        assert seed_of(b32) not in sealed and b32.encode() not in sealed
        s.execute(
            update(MfaDeviceRow)
            .where(MfaDeviceRow.serial_number == two.serial_number)
            .values(seed_sealed=sealed)
        )
        s.commit()
    store.create_user(a, "ivy")
    with pytest.raises(SealedDataError):
        store.enable_mfa_device(a, "ivy", two.serial_number, "000000", "000000", NOW)


def test_mfa_tags_and_pagination(store: Store, account: Account) -> None:
    a = account.account_id
    for i in range(5):
        store.create_virtual_mfa_device(a, f"dev{i}")
    first = store.list_virtual_mfa_devices(a, max_items=2)
    assert len(first.items) == 2 and first.marker is not None
    rest = store.list_virtual_mfa_devices(a, marker=first.marker, max_items=10)
    names = [d.name for d in first.items + rest.items]
    assert names == [f"dev{i}" for i in range(5)] and rest.marker is None
    serial = first.items[0].serial_number
    store.tag_mfa_device(a, serial, [("A", "1"), ("b", "2")])
    store.tag_mfa_device(a, serial, [("a", "3")])  # keys are case-insensitive: overwrite
    assert store.list_mfa_device_tags(a, serial) == (("A", "3"), ("b", "2"))
    store.untag_mfa_device(a, serial, ["B"])
    assert store.list_mfa_device_tags(a, serial) == (("A", "3"),)
    with pytest.raises(NotFound):
        store.tag_mfa_device(a, serial + "x", [("k", "v")])
