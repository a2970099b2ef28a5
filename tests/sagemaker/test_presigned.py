"""Presigned notebook URL tokens and the page they open."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from sagegate.sagemaker import presigned, states
from sagegate.store import Account, Keyring, Store

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    s = Store.open(
        store_url,
        tmp_path,
        Keyring.generate("k"),
        password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
    )
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def account(store: Store) -> Account:
    return store.create_account("root@example.com", "root-password")


def test_sign_and_verify() -> None:
    token = presigned.sign_token(b"k" * 32, {"a": 1})
    assert presigned.verify_token(b"k" * 32, token) == {"a": 1}
    assert presigned.verify_token(b"j" * 32, token) is None
    body, mac = token.split(".")
    assert presigned.verify_token(b"k" * 32, body + "." + mac[:-2] + "AA") is None
    assert presigned.verify_token(b"k" * 32, body) is None
    assert presigned.unverified_claims("not-a-token") is None


def test_page(store: Store, account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(states.ENV_VAR, "10")
    store.create_sagemaker_resource(
        account_id=account.account_id,
        region="us-east-1",
        resource_type="notebook-instance",
        name="NB",
        arn=f"arn:aws:sagemaker:us-east-1:{account.account_id}:notebook-instance/nb",
        status="Pending",
        data={"InstanceType": "ml.t3.medium"},
        now=T0,
    )
    claims = {
        "account": account.account_id,
        "region": "us-east-1",
        "name": "nb",
        "principal": "p",
        "ip": "10.0.0.1",
        "exp": int((T0 + timedelta(hours=1)).timestamp()),
    }
    token = presigned.sign_token(store.presign_signing_key(account.account_id), claims)

    def status(
        name: str = "nb",
        tok: str | None = token,
        ip: str = "10.0.0.1",
        now: datetime = T0 + timedelta(seconds=20),
    ) -> int:
        return presigned.open_page(store, name, tok, ip, now)[0]

    assert status(now=T0 + timedelta(seconds=5)) == 409  # still Pending
    assert status() == 200
    assert status(now=T0 + timedelta(hours=1)) == 403  # expired
    assert status(ip="10.0.0.2") == 403
    assert status(name="other") == 403
    assert status(tok=None) == 403
    assert status(tok=token.replace(".", ".x")) == 403
    forged = presigned.sign_token(b"x" * 32, claims)
    assert status(tok=forged) == 403
    body = presigned.open_page(store, "NB", token, "10.0.0.1", T0 + timedelta(seconds=20))[2]
    assert b"ml.t3.medium" in body and b"<script" not in body
