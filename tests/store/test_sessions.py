"""The sealed session token (sagegate.store.sessions): round trip, binding, tampering, rotation."""

from __future__ import annotations

import base64
import json
import re
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from sagegate.store import Keyring, SealedDataError, SessionFacts, Store
from sagegate.store.sessions import (
    new_session_key_id,
    new_session_secret,
    open_session,
    seal_session,
    session_aad,
    session_key_account,
)

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def facts(**changes: object) -> SessionFacts:
    base = SessionFacts(
        kind="AssumedRole",
        account_id="111122223333",
        access_key_id=new_session_key_id(),
        secret_access_key=new_session_secret(),
        issued_at=NOW,
        expires_at=NOW + timedelta(hours=1),
        role_id="AROAEXAMPLEEXAMPLE123",
        role_arn="arn:aws:iam::111122223333:role/app/Reader",
        role_name="Reader",
        session_name="alice@example.com",
        policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",'
        '"Resource":"*"}]}',
        policy_arns=("arn:aws:iam::aws:policy/ReadOnlyAccess",),
        tags=(("Project", "Blue"), ("CostCenter", "1234")),
        transitive_tag_keys=("Project",),
        source_identity="alice",
        mfa_auth_time=NOW - timedelta(minutes=5),
        chained=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_ids_have_aws_shapes() -> None:
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", new_session_key_id())
    assert re.fullmatch(r"[A-Za-z0-9/+]{40}", new_session_secret())


@pytest.mark.parametrize("account", ["000000000000", "111122223333", "999999999999"])
def test_key_ids_name_their_account(account: str) -> None:
    ids = {new_session_key_id(account) for _ in range(20)}
    assert len(ids) == 20
    assert all(session_key_account(i) == account for i in ids)


@pytest.mark.parametrize(
    "junk", ["AKIAAAAAAAAAAAAAAAAA", "ASIA", "ASIA99999999AAAAAAAA", "ASIA7777777777777777"]
)
def test_foreign_key_ids_name_no_account(junk: str) -> None:
    assert session_key_account(junk) is None


def test_round_trip_keeps_every_fact() -> None:
    ring = Keyring.generate()
    f = facts()
    token = seal_session(ring, f)
    assert open_session(ring, f.access_key_id, token) == f


def test_round_trip_of_a_minimal_session() -> None:
    ring = Keyring.generate()
    f = SessionFacts(
        kind="User",
        account_id="111122223333",
        access_key_id=new_session_key_id(),
        secret_access_key=new_session_secret(),
        issued_at=NOW,
        expires_at=NOW + timedelta(hours=12),
        user_id="AIDAEXAMPLEEXAMPLE123",
        user_name="bob",
        user_path="/",
    )
    got = open_session(ring, f.access_key_id, seal_session(ring, f))
    assert got == f
    assert not got.mfa_authenticated and not got.has_session_policies


def test_token_is_header_and_url_safe_and_compact() -> None:
    ring = Keyring.generate()
    token = seal_session(ring, facts())
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert len(token) < 1000
    # The secret is not visible in the token, nor anything else in clear.
    blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert b"Reader" not in blob and b"alice" not in blob


def test_a_big_session_policy_is_compressed() -> None:
    ring = Keyring.generate()
    statements = [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket/{i}/*"}
        for i in range(40)
    ]
    doc = json.dumps({"Version": "2012-10-17", "Statement": statements})
    token = seal_session(ring, facts(policy=doc))
    assert len(token) < len(doc)


def test_another_key_id_cannot_use_the_token() -> None:
    ring = Keyring.generate()
    f = facts()
    token = seal_session(ring, f)
    with pytest.raises(SealedDataError):
        open_session(ring, new_session_key_id(), token)


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.mark.parametrize("position", [0, 1, 5, 40, -1, -20])
def test_any_changed_character_is_refused(position: int) -> None:
    ring = Keyring.generate()
    f = facts()
    token = seal_session(ring, f)
    i = position % len(token)
    # Flip the high bit of the character's 6 bits: never one of the unused low bits of the last.
    flipped = _ALPHABET[_ALPHABET.index(token[i]) ^ 32]
    with pytest.raises(SealedDataError):
        open_session(ring, f.access_key_id, token[:i] + flipped + token[i + 1 :])


@pytest.mark.parametrize("junk", ["", "x", "not base64 !!", "A" * 20_000, "AAAA"])
def test_junk_is_refused(junk: str) -> None:
    with pytest.raises(SealedDataError):
        open_session(Keyring.generate(), new_session_key_id(), junk)


def test_a_token_of_another_deployment_is_refused() -> None:
    f = facts()
    token = seal_session(Keyring.generate("same-id"), f)
    with pytest.raises(SealedDataError):
        open_session(Keyring.generate("same-id"), f.access_key_id, token)


def test_a_sealed_blob_that_is_not_a_session_is_refused() -> None:
    ring = Keyring.generate()
    key_id = new_session_key_id()
    for payload in (b"not compressed", zlib.compress(b"[1,2]"), zlib.compress(b'{"v":99}')):
        blob = ring.seal(payload, session_aad(key_id))
        token = base64.urlsafe_b64encode(blob).decode().rstrip("=")
        with pytest.raises(SealedDataError):
            open_session(ring, key_id, token)


def test_tokens_survive_a_key_rotation_until_the_old_key_is_dropped() -> None:
    old_key, new_key = b"\x01" * 32, b"\x02" * 32
    old = Keyring({"old": old_key}, "old")
    f = facts()
    token = seal_session(old, f)
    rotated = Keyring({"new": new_key, "old": old_key}, "new")
    assert open_session(rotated, f.access_key_id, token) == f
    newer = seal_session(rotated, f)
    assert rotated.key_id_of(base64.urlsafe_b64decode(newer + "=" * (-len(newer) % 4))) == "new"
    with pytest.raises(SealedDataError):
        open_session(Keyring({"new": new_key}, "new"), f.access_key_id, token)


def test_repr_hides_the_secret() -> None:
    f = facts()
    assert f.secret_access_key not in repr(f)


def test_store_seals_with_its_keyring(store: Store, keyring: Keyring) -> None:
    f = facts()
    token = store.seal_session(f)
    assert store.open_session(f.access_key_id, token) == f
    assert open_session(keyring, f.access_key_id, token) == f
    with pytest.raises(SealedDataError):
        store.open_session(f.access_key_id, seal_session(Keyring.generate(), f))
