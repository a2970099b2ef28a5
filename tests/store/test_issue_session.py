"""`Store.issue_session` (minting a sealed role session, shared by STS and SageMaker) and
`update_sagemaker_resource` leaving a resource as it is when `change` returns None."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sagegate.store import Account, Store
from sagegate.store.sessions import session_key_account

T0 = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)


def test_issue_session_mints_and_seals(store: Store, account: Account) -> None:
    facts, token = store.issue_session(
        now=T0,
        duration=3600,
        kind="AssumedRole",
        account_id=account.account_id,
        role_id="AROAEXAMPLE",
        role_arn=f"arn:aws:iam::{account.account_id}:role/r",
        role_name="r",
        session_name="SageMaker",
        extra={"invoked_by": "sagemaker.amazonaws.com"},
    )
    assert facts.access_key_id.startswith("ASIA")
    assert session_key_account(facts.access_key_id) == account.account_id
    assert facts.issued_at == T0.replace(microsecond=0)
    assert facts.expires_at == facts.issued_at + timedelta(hours=1)
    assert facts.secret_access_key not in token
    opened = store.open_session(facts.access_key_id, token)
    assert opened == facts
    other, _ = store.issue_session(
        now=T0, duration=900, kind="AssumedRole", account_id=account.account_id
    )
    assert other.access_key_id != facts.access_key_id
    assert other.secret_access_key != facts.secret_access_key


def test_update_change_returning_none_writes_nothing(store: Store, account: Account) -> None:
    made = store.create_sagemaker_resource(
        account_id=account.account_id,
        region="us-east-1",
        resource_type="model",
        name="m",
        arn=f"arn:aws:sagemaker:us-east-1:{account.account_id}:model/m",
        status=None,
        data={"a": 1},
        now=T0,
        tags=[("k", "v")],
    )
    seen = []

    def change(cur: object) -> None:
        seen.append(cur)
        return None

    got = store.update_sagemaker_resource(
        account.account_id, "us-east-1", "model", "m", change, T0 + timedelta(hours=1)
    )
    assert seen == [made]
    assert got == made
    assert store.get_sagemaker_resource(account.account_id, "us-east-1", "model", "m") == made
