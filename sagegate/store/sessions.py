"""Temporary security credentials: the sealed session token (design.md, "Sessions are sealed, not
stored").

A temporary credential is an ``ASIA...`` access key id, a secret access key and a session token
(STS API Reference, *Credentials*). sagegate keeps no row for it: the token itself carries every
fact the session needs (`SessionFacts`: account, principal type, role, session name, the secret,
session policies, session tags, source identity, expiry, issue time, MFA), compressed and sealed
with AES-256-GCM under the deployment keyring (`Keyring.seal`, whose blob names the key id, so keys
rotate). The access key id is bound to the blob as associated data: a token presented with any
other key id does not open. Verifying a request signed with session credentials therefore needs
no database read.

Wire form: ``base64url(seal(zlib(json)))`` without padding, safe in a header and a query string.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import string
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sagegate.store import ids
from sagegate.store.base import StoreBase
from sagegate.store.errors import SealedDataError
from sagegate.store.keyring import Keyring
from sagegate.store.records import Tags

SessionKind = Literal["AssumedRole", "FederatedUser", "User", "Account"]

_BASE32 = string.ascii_uppercase + "234567"
_FORMAT = 1
# A token is never longer than this (base64 characters): refuse anything bigger before decoding.
MAX_TOKEN_CHARS = 16_384


def new_session_key_id(account_id: str = "000000000000") -> str:
    """``ASIA`` + 16 characters of [A-Z2-7], as AWS forms temporary access key ids: 40 bits of
    the account id (so GetAccessKeyInfo can answer without the token) and 40 random bits."""
    packed = int(account_id).to_bytes(5, "big") + secrets.token_bytes(5)
    return "ASIA" + base64.b32encode(packed).decode("ascii")  # RFC 4648: _BASE32, no padding


def session_key_account(access_key_id: str) -> str | None:
    """The account a temporary access key id was issued in, or None if it is not one of ours."""
    body = access_key_id[4:12]
    if not access_key_id.startswith("ASIA") or len(access_key_id) != 20:
        return None
    if any(ch not in _BASE32 for ch in access_key_id[4:]):
        return None
    value = 0
    for ch in body:
        value = value * 32 + _BASE32.index(ch)
    return f"{value:012d}" if value < 10**12 else None


def new_session_secret() -> str:
    return ids.new_secret_access_key()


def session_aad(access_key_id: str) -> bytes:
    return b"sagegate/session/" + access_key_id.encode()


@dataclass(frozen=True)
class SessionFacts:
    """What a session token says about its session.

    `kind` is the principal type of requests signed with it: "AssumedRole" (AssumeRole),
    "FederatedUser" (GetFederationToken), "User" or "Account" (GetSessionToken by an IAM user or
    the root user). `user_*` name the IAM user a User or FederatedUser session came from;
    `role_*` and `session_name` the role of an AssumedRole session. `policy` / `policy_arns` are
    the session policies (None / () when none were passed), `tags` the session tags (transitive
    ones inherited through role chaining included) and `transitive_tag_keys` those that pass on.
    `mfa_auth_time` is set when the session was created with MFA.
    """

    kind: SessionKind
    account_id: str
    access_key_id: str
    secret_access_key: str
    issued_at: datetime
    expires_at: datetime
    role_id: str | None = None
    role_arn: str | None = None
    role_name: str | None = None
    session_name: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    user_path: str | None = None
    federated_name: str | None = None
    policy: str | None = None
    policy_arns: tuple[str, ...] = ()
    tags: Tags = ()
    transitive_tag_keys: tuple[str, ...] = ()
    source_identity: str | None = None
    mfa_auth_time: datetime | None = None
    chained: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def mfa_authenticated(self) -> bool:
        return self.mfa_auth_time is not None

    @property
    def has_session_policies(self) -> bool:
        return self.policy is not None or bool(self.policy_arns)

    def __repr__(self) -> str:  # keep the secret out of logs and tracebacks
        return (
            f"SessionFacts(kind={self.kind!r}, account_id={self.account_id!r}, "
            f"access_key_id={self.access_key_id!r}, role_arn={self.role_arn!r}, "
            f"session_name={self.session_name!r}, expires_at={self.expires_at.isoformat()!r})"
        )


def _ts(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _dt(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, int):
        raise SealedDataError("session token has a malformed timestamp")
    return datetime.fromtimestamp(value, UTC)


_STRING_FIELDS = {
    "role_id": "ri",
    "role_arn": "ra",
    "role_name": "rn",
    "session_name": "sn",
    "user_id": "ui",
    "user_name": "un",
    "user_path": "up",
    "federated_name": "fn",
    "policy": "p",
    "source_identity": "si",
}


def _encode(f: SessionFacts) -> bytes:
    doc: dict[str, Any] = {
        "v": _FORMAT,
        "k": f.kind,
        "a": f.account_id,
        "s": f.secret_access_key,
        "it": _ts(f.issued_at),
        "ex": _ts(f.expires_at),
    }
    for attr, short in _STRING_FIELDS.items():
        value = getattr(f, attr)
        if value is not None:
            doc[short] = value
    if f.policy_arns:
        doc["pa"] = list(f.policy_arns)
    if f.tags:
        doc["t"] = [[k, v] for k, v in f.tags]
    if f.transitive_tag_keys:
        doc["tt"] = list(f.transitive_tag_keys)
    if f.mfa_auth_time is not None:
        doc["m"] = _ts(f.mfa_auth_time)
    if f.chained:
        doc["c"] = 1
    if f.extra:
        doc["x"] = dict(f.extra)
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def _str_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SealedDataError("session token has a malformed list")
    return tuple(value)


def _decode(access_key_id: str, raw: bytes) -> SessionFacts:
    try:
        doc = json.loads(raw)
    except ValueError:
        raise SealedDataError("session token is not JSON") from None
    if not isinstance(doc, dict) or doc.get("v") != _FORMAT:
        raise SealedDataError("session token has an unknown format")
    kind = doc.get("k")
    if kind not in ("AssumedRole", "FederatedUser", "User", "Account"):
        raise SealedDataError("session token has an unknown principal type")
    strings: dict[str, str | None] = {}
    for attr, short in _STRING_FIELDS.items():
        value = doc.get(short)
        if value is not None and not isinstance(value, str):
            raise SealedDataError("session token has a malformed field")
        strings[attr] = value
    account, secret = doc.get("a"), doc.get("s")
    if not isinstance(account, str) or not isinstance(secret, str):
        raise SealedDataError("session token lacks its account or secret")
    tags = doc.get("t", [])
    if not isinstance(tags, list) or not all(
        isinstance(t, list) and len(t) == 2 and all(isinstance(x, str) for x in t) for t in tags
    ):
        raise SealedDataError("session token has malformed tags")
    extra = doc.get("x", {})
    if not isinstance(extra, dict):
        raise SealedDataError("session token has malformed extras")
    issued, expires = _dt(doc.get("it")), _dt(doc.get("ex"))
    if issued is None or expires is None:
        raise SealedDataError("session token lacks its validity period")
    return SessionFacts(
        kind=kind,
        account_id=account,
        access_key_id=access_key_id,
        secret_access_key=secret,
        issued_at=issued,
        expires_at=expires,
        policy_arns=_str_list(doc.get("pa", [])),
        tags=tuple((k, v) for k, v in tags),
        transitive_tag_keys=_str_list(doc.get("tt", [])),
        mfa_auth_time=_dt(doc.get("m")),
        chained=bool(doc.get("c")),
        extra={str(k): str(v) for k, v in extra.items()},
        **strings,  # type: ignore[arg-type]
    )


def _compress(data: bytes) -> bytes:
    """zlib at its best level with a 1 KiB window and the smallest state: a session's facts are
    a few hundred bytes, and zlib's default state (256 KiB, set up for every token) would cost
    more than the whole token otherwise. Any zlib reader opens it (`open_session`)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 10, 1)
    return packer.compress(data) + packer.flush()


def seal_session(keyring: Keyring, facts: SessionFacts) -> str:
    """The session token for `facts`, sealed under the keyring's current key."""
    blob = keyring.seal(_compress(_encode(facts)), session_aad(facts.access_key_id))
    return base64.urlsafe_b64encode(blob).decode("ascii").rstrip("=")


def open_session(keyring: Keyring, access_key_id: str, token: str) -> SessionFacts:
    """The facts of a token presented with `access_key_id`.

    Raises `SealedDataError` for anything that is not a token this deployment sealed for that key
    id: malformed, tampered, sealed with a key the keyring no longer has, or for another key id.
    Expiry is the caller's to check (`SessionFacts.expires_at`), since the answer differs.
    """
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise SealedDataError("session token has an impossible length")
    try:
        blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise SealedDataError("session token is not base64") from None
    packed = keyring.open(blob, session_aad(access_key_id))
    try:
        d = zlib.decompressobj()
        raw = d.decompress(packed, 1 << 20)
        if d.unconsumed_tail:
            raise SealedDataError("session token is too large")
    except zlib.error:
        raise SealedDataError("session token is not compressed data") from None
    return _decode(access_key_id, raw)


class SessionsMixin(StoreBase):
    """`Store.issue_session` / `Store.seal_session` / `Store.open_session`: the keyring stays
    inside the store."""

    def issue_session(
        self, *, now: datetime, duration: int, **facts: Any
    ) -> tuple[SessionFacts, str]:
        """Mint a session: `facts` are `SessionFacts` fields besides the key, secret and times.
        The key id is a new ``ASIA`` id of the facts' account, the secret fresh, the session
        issued at `now` (whole seconds) for `duration` seconds. Returns the facts and the sealed
        session token. Used by STS for every temporary credential it hands out, and by services
        that assume a role themselves (e.g. SageMaker's execution roles)."""
        issued = now.replace(microsecond=0)
        session = SessionFacts(
            access_key_id=new_session_key_id(str(facts["account_id"])),
            secret_access_key=new_session_secret(),
            issued_at=issued,
            expires_at=issued + timedelta(seconds=duration),
            **facts,
        )
        return session, seal_session(self._keyring, session)

    def seal_session(self, facts: SessionFacts) -> str:
        return seal_session(self._keyring, facts)

    def open_session(self, access_key_id: str, token: str) -> SessionFacts:
        return open_session(self._keyring, access_key_id, token)
