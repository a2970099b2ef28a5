"""credential report snapshots and password reuse history in their own tables

* `credential_reports`: the CSV GenerateCredentialReport wrote, one per account. It replaces the
  `meta` rows `credential_report/ACCOUNT` (a time only, the report was rebuilt when read): those
  rows are deleted, so an account has no report until its next GenerateCredentialReport (AWS's
  reports expire after four hours anyway).
* `password_history`: the hashes PasswordReusePrevention compares against. They lived in
  `account_password_policies.settings` under `_history` ({user id: [hash, ...]}, newest last);
  they are moved here for the users that still exist and still have a login profile (the hashes
  of deleted users or deleted login profiles are dropped, as the store now does), and `_history`
  is removed from the settings. Downgrade moves them back.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:00:00

"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HISTORY_KEY = "_history"
REPORT_PREFIX = "credential_report/"
MAX_HISTORY = 24  # PasswordReusePrevention's maximum

_meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.BigInteger))
_policies = sa.table(
    "account_password_policies", sa.column("account_id", sa.String), sa.column("settings", sa.Text)
)
_users = sa.table("users", sa.column("user_id", sa.String), sa.column("account_id", sa.String))
_profiles = sa.table("login_profiles", sa.column("user_id", sa.String))
_reports = sa.table(
    "credential_reports",
    sa.column("account_id", sa.String),
    sa.column("generated_at", sa.DateTime(timezone=True)),
)
_history = sa.table(
    "password_history",
    sa.column("user_id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("password_hash", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _now(bind: sa.Connection) -> datetime:
    now = datetime.now(UTC)
    return now.replace(tzinfo=None) if bind.dialect.name == "sqlite" else now  # as UTCDateTime


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def upgrade() -> None:
    op.create_table(
        "credential_reports",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_credential_reports_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_credential_reports")),
    )
    op.create_table(
        "password_history",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_password_history_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "position", name=op.f("pk_password_history")),
    )
    bind = op.get_bind()
    bind.execute(_meta.delete().where(_meta.c.key.like(REPORT_PREFIX + "%")))
    now = _now(bind)
    for account_id, text in bind.execute(sa.select(_policies.c.account_id, _policies.c.settings)):
        settings = json.loads(text)
        if HISTORY_KEY not in settings:
            continue
        history = settings.pop(HISTORY_KEY) or {}
        keep = min(int(settings.get("PasswordReusePrevention") or 0), MAX_HISTORY)
        with_profile = set(
            bind.execute(
                sa.select(_users.c.user_id)
                .join(_profiles, _profiles.c.user_id == _users.c.user_id)
                .where(_users.c.account_id == account_id)
            ).scalars()
        )
        rows = [
            {"user_id": user_id, "position": position, "password_hash": h, "created_at": now}
            for user_id, hashes in history.items()
            if user_id in with_profile and keep
            for position, h in enumerate(hashes[-keep:], start=1)
        ]
        if rows:
            bind.execute(_history.insert(), rows)
        bind.execute(
            _policies.update()
            .where(_policies.c.account_id == account_id)
            .values(settings=json.dumps(settings, separators=(",", ":")))
        )


def downgrade() -> None:
    bind = op.get_bind()
    for account_id, text in bind.execute(sa.select(_policies.c.account_id, _policies.c.settings)):
        history: dict[str, list[str]] = {}
        for user_id, password_hash in bind.execute(
            sa.select(_history.c.user_id, _history.c.password_hash)
            .join(_users, _users.c.user_id == _history.c.user_id)
            .where(_users.c.account_id == account_id)
            .order_by(_history.c.user_id, _history.c.position)
        ):
            history.setdefault(user_id, []).append(password_hash)
        settings = {**json.loads(text), HISTORY_KEY: history}
        bind.execute(
            _policies.update()
            .where(_policies.c.account_id == account_id)
            .values(settings=json.dumps(settings, separators=(",", ":")))
        )
    marks = [
        {"key": REPORT_PREFIX + account_id, "value": int(_aware(generated).timestamp())}
        for account_id, generated in bind.execute(
            sa.select(_reports.c.account_id, _reports.c.generated_at)
        )
    ]
    if marks:
        bind.execute(_meta.insert(), marks)
    op.drop_table("password_history")
    op.drop_table("credential_reports")
