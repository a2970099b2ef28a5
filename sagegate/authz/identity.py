"""Who signed a request: access key id (+ session token) -> the principal and the secret to check
the signature with.

Long-term keys (AKIA...) are looked up in the store, through a cache emptied whenever the
authorization epoch moves. An unknown or inactive key is `InvalidClientTokenId`, as AWS answers:
nothing distinguishes the two. A long-term key presented with a session token is refused the same
way, as AWS does ("The security token included in the request is invalid").

Temporary credentials (ASIA...) carry their session in the sealed token (`sagegate.store.sessions`,
STS API Reference, *Credentials*): the token is opened with the deployment keyring, never looked up.
A token that does not open for that key id (tampered, foreign, sealed with a retired key) is
`InvalidClientTokenId`; one past its expiry is `ExpiredToken`. Opened tokens are cached by their
hash (bounded), so a busy session costs one AES-GCM open, not one per request.

The `Caller` of a session (IAM User Guide, *IAM identifiers*, "Unique identifiers" and
*AWS global condition context keys*, `aws:userid`):

=================  =====================================================  ======================
session of         arn                                                    userid
=================  =====================================================  ======================
AssumeRole         arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION          AROA...:SESSION
GetFederationToken arn:aws:sts::ACCOUNT:federated-user/NAME                ACCOUNT:NAME
GetSessionToken    the IAM user's (or root's) own ARN                      AIDA... (ACCOUNT)
=================  =====================================================  ======================

`Caller.session` is ``{"facts": SessionFacts, "token_id": sha256 of key id and token}``;
`Caller.tags` are the principal tags (`aws:PrincipalTag`): the user's tags, or the role's, with
the session tags over them whatever the case of their keys (*Passing session tags in AWS STS*).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sagegate.authz.epoch import EpochGuard
from sagegate.protocol.registry import Caller
from sagegate.sigv4 import expired_token, invalid_client_token_id
from sagegate.store import NotFound, SealedDataError, SessionFacts

_MAX_CACHED = 100_000
_MAX_SESSIONS = 50_000


def caller_for_key(record: Any, tags: tuple[tuple[str, str], ...] = ()) -> Caller:
    account = record.account_id
    if record.user_id is None:
        return Caller(
            account_id=account,
            type="Account",
            arn=f"arn:aws:iam::{account}:root",
            userid=account,
            access_key_id=record.access_key_id,
        )
    path = record.user_path or "/"
    return Caller(
        account_id=account,
        type="User",
        arn=f"arn:aws:iam::{account}:user{path}{record.user_name}",
        userid=record.user_id,
        access_key_id=record.access_key_id,
        user_id=record.user_id,
        username=record.user_name,
        user_path=path,
        tags=tags,
    )


def merge_tags(
    base: Sequence[tuple[str, str]], over: Sequence[tuple[str, str]]
) -> tuple[tuple[str, str], ...]:
    """`base` tags with `over` replacing those whose key matches whatever its case."""
    if not over:
        return tuple(base)
    replaced = {k.lower() for k, _ in over}
    return tuple((k, v) for k, v in base if k.lower() not in replaced) + tuple(over)


def token_id(access_key_id: str, token: str) -> str:
    return hashlib.sha256(f"{access_key_id}\n{token}".encode()).hexdigest()


def caller_for_session(
    facts: SessionFacts, token_key: str, principal_tags: Sequence[tuple[str, str]] = ()
) -> Caller:
    """The caller of requests signed with a session's credentials. `principal_tags` are the
    IAM tags of the role or user the session came from (session tags go over them)."""
    account = facts.account_id
    session = {"facts": facts, "token_id": token_key}
    tags = merge_tags(principal_tags, facts.tags)
    if facts.kind == "AssumedRole":
        return Caller(
            account_id=account,
            type="AssumedRole",
            arn=f"arn:aws:sts::{account}:assumed-role/{facts.role_name}/{facts.session_name}",
            userid=f"{facts.role_id}:{facts.session_name}",
            access_key_id=facts.access_key_id,
            role_arn=facts.role_arn,
            session=session,
            tags=tags,
        )
    if facts.kind == "FederatedUser":
        if facts.user_id is None:  # the root user called GetFederationToken
            source = f"arn:aws:iam::{account}:root"
        else:
            source = f"arn:aws:iam::{account}:user{facts.user_path or '/'}{facts.user_name}"
        return Caller(
            account_id=account,
            type="FederatedUser",
            arn=f"arn:aws:sts::{account}:federated-user/{facts.federated_name}",
            userid=f"{account}:{facts.federated_name}",
            access_key_id=facts.access_key_id,
            # What the session was made from: a resource-based policy naming the IAM user is
            # limited by the session policies (sagegate.policy.PrincipalInfo.role_arn).
            role_arn=source,
            session=session,
            tags=tags,
        )
    if facts.kind == "Account":
        return Caller(
            account_id=account,
            type="Account",
            arn=f"arn:aws:iam::{account}:root",
            userid=account,
            access_key_id=facts.access_key_id,
            session=session,
        )
    path = facts.user_path or "/"
    return Caller(
        account_id=account,
        type="User",
        arn=f"arn:aws:iam::{account}:user{path}{facts.user_name}",
        userid=facts.user_id or "",
        access_key_id=facts.access_key_id,
        user_id=facts.user_id,
        username=facts.user_name,
        user_path=path,
        session=session,
        tags=tags,
    )


class Identities:
    def __init__(self, store: Any, guard: EpochGuard) -> None:
        self._store = store
        self._cache: dict[str, tuple[Caller, str] | None] = {}
        # Opened tokens: what a token says never changes, so this survives epoch changes.
        self._sessions: dict[str, SessionFacts | None] = {}
        # Session callers carry IAM tags of the role or user: emptied with the epoch.
        self._session_callers: dict[str, Caller] = {}
        self._lock = threading.Lock()
        guard.register(self._clear)

    def _clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._session_callers.clear()

    def resolve(
        self, access_key_id: str, security_token: str | None = None, now: datetime | None = None
    ) -> tuple[Caller, str]:
        """The caller and the secret access key, or SigV4Error (InvalidClientTokenId, or
        ExpiredToken for a session past its expiry at `now`)."""
        if access_key_id.startswith("ASIA"):
            return self._resolve_session(access_key_id, security_token, now)
        if security_token:
            raise invalid_client_token_id()
        try:
            hit = self._cache[access_key_id]
        except KeyError:
            hit = self._load(access_key_id)
        if hit is None:
            raise invalid_client_token_id()
        return hit

    def _load(self, access_key_id: str) -> tuple[Caller, str] | None:
        record = self._store.lookup_access_key(access_key_id)
        hit = None
        if record is not None and record.status == "Active":
            tags: tuple[tuple[str, str], ...] = ()
            if record.user_id is not None:
                tags = self._user_tags(record.account_id, record.user_name)
            hit = (caller_for_key(record, tags), record.secret)
        with self._lock:
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            self._cache[access_key_id] = hit
        return hit

    # -- temporary credentials --------------------------------------------------------------------

    def _resolve_session(
        self, access_key_id: str, token: str | None, now: datetime | None
    ) -> tuple[Caller, str]:
        if not token:
            raise invalid_client_token_id()
        key = token_id(access_key_id, token)
        try:
            facts = self._sessions[key]
        except KeyError:
            facts = self._open(access_key_id, token, key)
        if facts is None:
            raise invalid_client_token_id()
        if now is not None and now >= facts.expires_at:
            raise expired_token()
        caller = self._session_callers.get(key)
        if caller is None:
            caller = caller_for_session(facts, key, self._source_tags(facts))
            with self._lock:
                if len(self._session_callers) >= _MAX_SESSIONS:
                    self._session_callers.clear()
                self._session_callers[key] = caller
        return caller, facts.secret_access_key

    def _open(self, access_key_id: str, token: str, key: str) -> SessionFacts | None:
        try:
            facts: SessionFacts | None = self._store.open_session(access_key_id, token)
        except SealedDataError:
            facts = None
        with self._lock:
            if len(self._sessions) >= _MAX_SESSIONS:
                self._sessions.clear()
            self._sessions[key] = facts
        return facts

    def _source_tags(self, facts: SessionFacts) -> tuple[tuple[str, str], ...]:
        """The IAM tags of the role or user a session came from (none if it is gone)."""
        if facts.kind == "AssumedRole" and facts.role_id is not None:
            try:
                return tuple(self._store.get_role_by_id(facts.role_id).tags)
            except NotFound:
                return ()
        if facts.kind in ("User", "FederatedUser") and facts.user_name is not None:
            try:
                user = self._store.get_user(facts.account_id, facts.user_name)
            except NotFound:
                return ()
            return tuple(user.tags) if user.user_id == facts.user_id else ()
        return ()

    def _user_tags(self, account_id: str, user_name: str | None) -> tuple[tuple[str, str], ...]:
        if user_name is None:
            return ()
        try:
            return tuple(self._store.get_user(account_id, user_name).tags)
        except NotFound:
            return ()
