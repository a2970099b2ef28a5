"""Console passwords (login profiles), the account password policy, virtual MFA devices.

Follows the IAM User Guide (*Setting an account password policy for IAM users*, *Using
multi-factor authentication (MFA) in AWS*) and RFC 6238 (TOTP: HMAC-SHA-1, 6 digits, 30-second
steps).

* Passwords are hashed with argon2id (`self._passwords`); the policy is checked inside the write
  transaction that sets the password. Without an account policy AWS's default applies: at least
  8 characters and three of the four character classes.
* Reuse prevention compares a new password with the user's recent hashes in `password_history`
  (see `password_history`: trimmed to `PasswordReusePrevention`, emptied with the policy or the
  login profile).
* MFA seeds are sealed with the keyring, aad bound to the serial number. `last_counter` is the
  last TOTP step accepted; a code is accepted only for a later step, and the step is recorded by
  a conditional UPDATE, so two replicas cannot both accept one code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from sagegate.store import password_history, tagging
from sagegate.store.base import StoreBase, check_max_items, decode_marker, encode_marker, utcnow
from sagegate.store.errors import AlreadyExists, DeleteConflict, LimitExceeded, NotFound, StoreError
from sagegate.store.records import LoginProfile, MfaDevice, Page, Tags
from sagegate.store.schema import (
    AccountPasswordPolicyRow,
    LoginProfileRow,
    MfaDeviceRow,
    UserRow,
)

MFA_TAG = tagging.MFA_DEVICE.entity_type
MFA_DEVICES_PER_USER = 8  # IAM quota: "MFA devices in use per user"
TOTP_STEP = 30
TOTP_DIGITS = 6
SEED_BYTES = 40  # 64 base32 characters, as AWS's Base32StringSeed
ENABLE_WINDOW = 4  # steps back the first of two consecutive codes may lie at enable time
RESYNC_WINDOW = 20  # steps either way a resync may find the device's clock
SYMBOLS = "!@#$%^&*()_+-=[]{}|'"  # the symbols AWS's password policy counts
POLICY_VIOLATION = "Password does not conform to the account password policy."

#: The policy members and their values when UpdateAccountPasswordPolicy leaves them out.
POLICY_DEFAULTS: dict[str, Any] = {
    "MinimumPasswordLength": 6,
    "RequireSymbols": False,
    "RequireNumbers": False,
    "RequireUppercaseCharacters": False,
    "RequireLowercaseCharacters": False,
    "AllowUsersToChangePassword": False,
    "MaxPasswordAge": 0,
    "PasswordReusePrevention": 0,
    "HardExpiry": False,
}


class PasswordPolicyViolation(StoreError):
    """The password does not satisfy the account password policy (AWS's text in `message`)."""

    def __init__(self, message: str = POLICY_VIOLATION) -> None:
        super().__init__(message)


class InvalidAuthenticationCode(StoreError):
    """MFA codes that do not match the device (AWS's text in `message`)."""

    def __init__(self) -> None:
        super().__init__("Authentication code for device is not valid.")


# -- TOTP (RFC 6238) ---------------------------------------------------------------------------


def totp(seed: bytes, counter: int) -> str:
    """The 6-digit HOTP value of `seed` at `counter` (RFC 4226 dynamic truncation)."""
    mac = hmac.new(seed, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF) % 10**TOTP_DIGITS
    return f"{value:0{TOTP_DIGITS}d}"


def totp_counter(now: datetime) -> int:
    return int(now.timestamp()) // TOTP_STEP


def _matches(seed: bytes, counter: int, code: str) -> bool:
    return hmac.compare_digest(totp(seed, counter).encode(), code.encode())


def _find_pair(seed: bytes, first: int, last: int, code1: str, code2: str) -> int | None:
    """The counter of `code2` if `code1`, `code2` are consecutive codes with `code1` at a step
    in [first, last]; every candidate is compared, in constant time."""
    found = None
    for c in range(first, last + 1):
        if _matches(seed, c, code1) & _matches(seed, c + 1, code2) and found is None:
            found = c + 1
    return found


def mfa_serial(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:mfa{path}{name}"


def seed_aad(serial_number: str) -> bytes:
    return b"sagegate/mfa-seed/" + serial_number.encode()


# -- password policy ---------------------------------------------------------------------------


def policy_violation(settings: dict[str, Any] | None, password: str) -> str | None:
    """AWS's message if `password` breaks `settings` (None: AWS's default policy), else None."""
    has_upper = any(ch in string.ascii_uppercase for ch in password)
    has_lower = any(ch in string.ascii_lowercase for ch in password)
    has_digit = any(ch in string.digits for ch in password)
    has_symbol = any(ch in SYMBOLS for ch in password)
    if settings is None:
        classes = has_upper + has_lower + has_digit + has_symbol
        return POLICY_VIOLATION if len(password) < 8 or classes < 3 else None
    if len(password) < int(settings.get("MinimumPasswordLength", 6)):
        return POLICY_VIOLATION
    required = (
        (settings.get("RequireSymbols"), has_symbol),
        (settings.get("RequireNumbers"), has_digit),
        (settings.get("RequireUppercaseCharacters"), has_upper),
        (settings.get("RequireLowercaseCharacters"), has_lower),
    )
    if any(want and not have for want, have in required):
        return POLICY_VIOLATION
    return None


class CredentialsMixin(StoreBase):
    # -- the account password policy ----------------------------------------------------------

    @staticmethod
    def _policy_settings(s: Session, account_id: str) -> dict[str, Any] | None:
        row = s.get(AccountPasswordPolicyRow, account_id)
        return None if row is None else dict(json.loads(row.settings))

    def get_password_policy(self, account_id: str) -> dict[str, Any]:
        """The policy keyed by the API's member names; NotFound("password_policy") if none."""
        with self._read() as s:
            settings = self._policy_settings(s, account_id)
        if settings is None:
            raise NotFound("password_policy", account_id)
        return settings

    def update_password_policy(self, account_id: str, **settings: Any) -> dict[str, Any]:
        """Replace the policy: members not given take AWS's defaults (`POLICY_DEFAULTS`)."""
        unknown = set(settings) - set(POLICY_DEFAULTS)
        if unknown:
            raise ValueError(f"unknown password policy members: {sorted(unknown)}")
        new = {
            k: settings.get(k) if settings.get(k) is not None else v
            for k, v in POLICY_DEFAULTS.items()
        }
        with self._write() as s:
            self._account_row(s, account_id)
            row = s.get(AccountPasswordPolicyRow, account_id, with_for_update=True)
            text = json.dumps(new, separators=(",", ":"))
            if row is None:
                s.add(AccountPasswordPolicyRow(account_id=account_id, settings=text))
            else:
                row.settings = text
            password_history.trim_account(s, account_id, password_history.reuse_prevention(new))
        return new

    def delete_password_policy(self, account_id: str) -> None:
        with self._write() as s:
            row = s.get(AccountPasswordPolicyRow, account_id, with_for_update=True)
            if row is None:
                raise NotFound("password_policy", account_id)
            s.delete(row)
            password_history.trim_account(s, account_id, 0)

    def _accept_password(self, s: Session, account_id: str, user_id: str, password: str) -> str:
        """Check `password` against the policy and the user's history; return its hash and
        record it in the history when the policy prevents reuse (the caller holds the user's
        row lock, so positions cannot race)."""
        row = s.get(AccountPasswordPolicyRow, account_id, with_for_update=True)
        settings = None if row is None else json.loads(row.settings)
        message = policy_violation(settings, password)
        if message is not None:
            raise PasswordPolicyViolation(message)
        hashed = self._passwords.hash(password)
        keep = password_history.reuse_prevention(settings)
        if keep and not password_history.remember(
            s, self._passwords, user_id, password, hashed, keep, utcnow()
        ):
            raise PasswordPolicyViolation()
        return hashed

    # -- login profiles -----------------------------------------------------------------------

    @staticmethod
    def _to_login_profile(row: LoginProfileRow, user: UserRow) -> LoginProfile:
        return LoginProfile(
            user_name=user.name,
            user_id=user.user_id,
            created_at=row.created_at,
            password_reset_required=row.password_reset_required,
            password_changed_at=row.password_changed_at,
            password_last_used=row.password_last_used,
        )

    def create_login_profile(
        self, account_id: str, user_name: str, password: str, reset_required: bool = False
    ) -> LoginProfile:
        now = utcnow()
        with self._write() as s:
            user = self._user_row(s, account_id, user_name, lock=True)
            if s.get(LoginProfileRow, user.user_id) is not None:
                raise AlreadyExists("login_profile", user.name)
            hashed = self._accept_password(s, account_id, user.user_id, password)
            row = LoginProfileRow(
                user_id=user.user_id,
                password_hash=hashed,
                password_reset_required=reset_required,
                created_at=now,
                password_changed_at=now,
            )
            s.add(row)
            s.flush()
            return self._to_login_profile(row, user)

    def get_login_profile(self, account_id: str, user_name: str) -> LoginProfile:
        with self._read() as s:
            user = self._user_row(s, account_id, user_name)
            row = s.get(LoginProfileRow, user.user_id)
            if row is None:
                raise NotFound("login_profile", user.name)
            return self._to_login_profile(row, user)

    def update_login_profile(
        self,
        account_id: str,
        user_name: str,
        password: str | None = None,
        reset_required: bool | None = None,
    ) -> None:
        with self._write() as s:
            user = self._user_row(s, account_id, user_name, lock=True)
            row = s.get(LoginProfileRow, user.user_id, with_for_update=True)
            if row is None:
                raise NotFound("login_profile", user.name)
            if password is not None:
                row.password_hash = self._accept_password(s, account_id, user.user_id, password)
                row.password_changed_at = utcnow()
            if reset_required is not None:
                row.password_reset_required = reset_required

    def delete_login_profile(self, account_id: str, user_name: str) -> None:
        with self._write() as s:
            user = self._user_row(s, account_id, user_name, lock=True)
            row = s.get(LoginProfileRow, user.user_id, with_for_update=True)
            if row is None:
                raise NotFound("login_profile", user.name)
            password_history.forget_user(s, user.user_id)
            s.delete(row)

    def change_password(
        self, account_id: str, user_name: str, old_password: str, new_password: str
    ) -> bool:
        """Set a user's own password. False (nothing changed) if `old_password` is wrong;
        NotFound("login_profile") if the user has no password."""
        with self._write() as s:
            user = self._user_row(s, account_id, user_name, lock=True)
            row = s.get(LoginProfileRow, user.user_id, with_for_update=True)
            if row is None:
                raise NotFound("login_profile", user.name)
            if not self._passwords.verify(row.password_hash, old_password):
                return False
            row.password_hash = self._accept_password(s, account_id, user.user_id, new_password)
            row.password_changed_at = utcnow()
            row.password_reset_required = False
            return True

    def verify_user_password(self, account_id: str, user_name: str, password: str) -> bool:
        """Console sign-in check (constant time, a dummy hash when the user is unknown)."""
        with self._read() as s:
            row = s.execute(
                select(LoginProfileRow.password_hash)
                .join(UserRow, UserRow.user_id == LoginProfileRow.user_id)
                .where(UserRow.account_id == account_id, UserRow.name_lower == user_name.lower())
            ).scalar_one_or_none()
        return self._passwords.verify(row, password)

    # -- virtual MFA devices ------------------------------------------------------------------

    def _to_mfa(self, s: Session, row: MfaDeviceRow, tags: Tags = ()) -> MfaDevice:
        user = None
        if row.user_id is not None:
            urow = s.get(UserRow, row.user_id)
            if urow is not None:
                user = self._to_user(urow)
        return MfaDevice(
            serial_number=row.serial_number,
            account_id=row.account_id,
            name=row.name,
            path=row.path,
            user=user,
            is_root=row.is_root,
            enabled_at=row.enabled_at,
            created_at=row.created_at,
            tags=tags,
        )

    def _mfa_row(
        self, s: Session, account_id: str, serial_number: str, *, lock: bool = False
    ) -> MfaDeviceRow:
        row = s.get(MfaDeviceRow, serial_number, with_for_update=lock or None)
        if row is None or row.account_id != account_id:
            raise NotFound("mfa_device", serial_number)
        return row

    def _open_seed(self, row: MfaDeviceRow) -> bytes:
        return self._keyring.open(row.seed_sealed, seed_aad(row.serial_number))

    def create_virtual_mfa_device(
        self, account_id: str, name: str, path: str = "/", tags: Sequence[tuple[str, str]] = ()
    ) -> tuple[MfaDevice, str]:
        """A new unassigned device and its Base32 seed (shown once, as AWS does)."""
        tag_tuple = tuple((k, v) for k, v in tags)
        serial = mfa_serial(account_id, path, name)
        seed = secrets.token_bytes(SEED_BYTES)
        now = utcnow()
        with self._write() as s:
            self._account_row(s, account_id, lock=True)
            if s.get(MfaDeviceRow, serial) is not None:
                raise AlreadyExists("mfa_device", serial)
            row = MfaDeviceRow(
                serial_number=serial,
                account_id=account_id,
                name=name,
                path=path,
                seed_sealed=self._keyring.seal(seed, seed_aad(serial)),
                user_id=None,
                is_root=False,
                enabled_at=None,
                last_counter=0,
                created_at=now,
            )
            s.add(row)
            tagging.add_tags(s, tagging.MFA_DEVICE, serial, tag_tuple)
            device = self._to_mfa(s, row, tag_tuple)
        return device, base64.b32encode(seed).decode().rstrip("=")

    def enable_mfa_device(
        self,
        account_id: str,
        user_name: str | None,
        serial_number: str,
        code1: str,
        code2: str,
        now: datetime,
    ) -> None:
        """Assign the device to `user_name` (None: the root user) after two consecutive codes."""
        with self._write() as s:
            if user_name is None:
                self._account_row(s, account_id, lock=True)
                user_id = None
            else:
                user_id = self._user_row(s, account_id, user_name, lock=True).user_id
            row = self._mfa_row(s, account_id, serial_number, lock=True)
            if row.user_id is not None or row.is_root:
                raise AlreadyExists("mfa_device_in_use", serial_number)
            in_use = select(func.count()).select_from(MfaDeviceRow)
            in_use = in_use.where(
                MfaDeviceRow.user_id == user_id
                if user_id
                else (MfaDeviceRow.account_id == account_id) & MfaDeviceRow.is_root
            )
            if s.execute(in_use).scalar_one() >= MFA_DEVICES_PER_USER:
                raise LimitExceeded("MFADevicesPerUser", MFA_DEVICES_PER_USER)
            current = totp_counter(now)
            step = _find_pair(self._open_seed(row), current - ENABLE_WINDOW, current, code1, code2)
            if step is None or step <= row.last_counter:
                raise InvalidAuthenticationCode()
            row.user_id = user_id
            row.is_root = user_id is None
            row.enabled_at = now
            row.last_counter = step

    def resync_mfa_device(
        self,
        account_id: str,
        user_name: str | None,
        serial_number: str,
        code1: str,
        code2: str,
        now: datetime,
    ) -> None:
        with self._write() as s:
            row = self._assigned_row(s, account_id, user_name, serial_number)
            current = totp_counter(now)
            step = _find_pair(
                self._open_seed(row), current - RESYNC_WINDOW, current + RESYNC_WINDOW, code1, code2
            )
            if step is None or step <= row.last_counter:
                raise InvalidAuthenticationCode()
            row.last_counter = step

    def _assigned_row(
        self, s: Session, account_id: str, user_name: str | None, serial_number: str
    ) -> MfaDeviceRow:
        """The device `serial_number` enabled for `user_name` (None: root), locked."""
        if user_name is None:
            self._account_row(s, account_id)
            row = s.get(MfaDeviceRow, serial_number, with_for_update=True)
            if row is None or row.account_id != account_id or not row.is_root:
                raise NotFound("mfa_device", serial_number)
            return row
        user = self._user_row(s, account_id, user_name, lock=True)
        row = s.get(MfaDeviceRow, serial_number, with_for_update=True)
        if row is None or row.account_id != account_id or row.user_id != user.user_id:
            raise NotFound("mfa_device", serial_number)
        return row

    def deactivate_mfa_device(
        self, account_id: str, user_name: str | None, serial_number: str
    ) -> None:
        """Unassign the device; it stays in the account (ListVirtualMFADevices: Unassigned)."""
        with self._write() as s:
            row = self._assigned_row(s, account_id, user_name, serial_number)
            row.user_id = None
            row.is_root = False
            row.enabled_at = None

    def delete_virtual_mfa_device(self, account_id: str, serial_number: str) -> None:
        with self._write() as s:
            row = self._mfa_row(s, account_id, serial_number, lock=True)
            if row.user_id is not None or row.is_root:
                raise DeleteConflict("mfa_device", serial_number, "MFA Device is still in use.")
            tagging.drop_tags(s, tagging.MFA_DEVICE, row.serial_number)
            s.delete(row)

    def get_mfa_device(self, account_id: str, serial_number: str) -> MfaDevice:
        with self._read() as s:
            row = self._mfa_row(s, account_id, serial_number)
            tags = self._tags_of(s, MFA_TAG, [row.serial_number]).get(row.serial_number, ())
            return self._to_mfa(s, row, tags)

    def mfa_devices_for_user(self, account_id: str, user_name: str | None) -> list[MfaDevice]:
        """The devices enabled for `user_name` (None: the root user), oldest first."""
        with self._read() as s:
            where: ColumnElement[bool]
            if user_name is None:
                where = (MfaDeviceRow.account_id == account_id) & MfaDeviceRow.is_root
            else:
                user = self._user_row(s, account_id, user_name)
                where = MfaDeviceRow.user_id == user.user_id
            rows = s.execute(
                select(MfaDeviceRow).where(where).order_by(MfaDeviceRow.enabled_at)
            ).scalars()
            return [self._to_mfa(s, r) for r in rows]

    def list_virtual_mfa_devices(
        self,
        account_id: str,
        assignment_status: str = "Any",
        marker: str | None = None,
        max_items: int = 100,
    ) -> Page[MfaDevice]:
        """Devices ordered by serial number; `assignment_status` Assigned | Unassigned | Any."""
        check_max_items(max_items)
        stmt = select(MfaDeviceRow).where(MfaDeviceRow.account_id == account_id)
        assigned = MfaDeviceRow.user_id.is_not(None) | MfaDeviceRow.is_root
        if assignment_status == "Assigned":
            stmt = stmt.where(assigned)
        elif assignment_status == "Unassigned":
            stmt = stmt.where(~assigned)
        if marker is not None:
            (after,) = decode_marker(marker, 1)
            stmt = stmt.where(MfaDeviceRow.serial_number > after)
        stmt = stmt.order_by(MfaDeviceRow.serial_number).limit(max_items + 1)
        with self._read() as s:
            rows = list(s.execute(stmt).scalars())
            page, more = rows[:max_items], len(rows) > max_items
            tags = self._tags_of(s, MFA_TAG, [r.serial_number for r in page])
            items = tuple(self._to_mfa(s, r, tags.get(r.serial_number, ())) for r in page)
        return Page(items=items, marker=encode_marker(page[-1].serial_number) if more else None)

    def verify_mfa_code(
        self, account_id: str, serial_number: str, code: str, now: datetime
    ) -> bool:
        """True when `serial_number` is enabled for a principal of `account_id` and `code` is
        its TOTP at the current step ±1, later than any code accepted before (the step is then
        recorded atomically, so a code works once)."""
        if len(code) != TOTP_DIGITS or not code.isdigit():
            return False
        with self._read() as s:
            row = s.get(MfaDeviceRow, serial_number)
            if row is None or row.account_id != account_id or row.enabled_at is None:
                return False
            seed, last = self._open_seed(row), row.last_counter
        current = totp_counter(now)
        step = None
        for c in (current - 1, current, current + 1):
            if _matches(seed, c, code) and c > last and step is None:
                step = c
        if step is None:
            return False
        with self._write(bump=False) as s:
            result = s.execute(
                update(MfaDeviceRow)
                .where(
                    MfaDeviceRow.serial_number == serial_number,
                    MfaDeviceRow.last_counter < step,
                    MfaDeviceRow.enabled_at.is_not(None),
                )
                .values(last_counter=step)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    # -- MFA device tags ----------------------------------------------------------------------

    def tag_mfa_device(
        self,
        account_id: str,
        serial_number: str,
        tags: Sequence[tuple[str, str]],
        max_tags: int = 50,
    ) -> None:
        with self._write() as s:
            row = self._mfa_row(s, account_id, serial_number, lock=True)
            tagging.add_tags(s, tagging.MFA_DEVICE, row.serial_number, tuple(tags), max_tags)

    def untag_mfa_device(self, account_id: str, serial_number: str, keys: Sequence[str]) -> None:
        with self._write() as s:
            row = self._mfa_row(s, account_id, serial_number, lock=True)
            tagging.remove_tags(s, tagging.MFA_DEVICE, row.serial_number, keys)

    def list_mfa_device_tags(self, account_id: str, serial_number: str) -> Tags:
        return self.get_mfa_device(account_id, serial_number).tags
