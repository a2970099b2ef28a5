"""Initial schema: accounts, root users, users, roles, access keys, policies, tags, meta.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 20:55:01.709357

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "managed_policies",
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("policy_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("name_lower", sa.String(length=128), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("default_version_id", sa.String(length=32), nullable=False),
        sa.Column("attachment_count", sa.Integer(), nullable=False),
        sa.Column("is_attachable", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_managed_policies")),
        sa.UniqueConstraint(
            "account_id", "name_lower", name=op.f("uq_managed_policies_account_id_name_lower")
        ),
        sa.UniqueConstraint("policy_id", name=op.f("uq_managed_policies_policy_id")),
    )
    meta = op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meta")),
    )
    op.create_table(
        "tags",
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=2048), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("entity_type", "entity_id", "key", name=op.f("pk_tags")),
    )
    op.create_table(
        "policy_versions",
        sa.Column("policy_arn", sa.String(length=2048), nullable=False),
        sa.Column("version_id", sa.String(length=32), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_arn"],
            ["managed_policies.arn"],
            name=op.f("fk_policy_versions_policy_arn_managed_policies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("policy_arn", "version_id", name=op.f("pk_policy_versions")),
    )
    op.create_table(
        "roles",
        sa.Column("role_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_lower", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("assume_role_policy_document", sa.Text(), nullable=False),
        sa.Column("max_session_duration", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("permissions_boundary_arn", sa.String(length=2048), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_roles_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("role_id", name=op.f("pk_roles")),
        sa.UniqueConstraint(
            "account_id", "name_lower", name=op.f("uq_roles_account_id_name_lower")
        ),
    )
    op.create_index(op.f("ix_roles_account_id"), "roles", ["account_id"], unique=False)

    op.create_table(
        "root_users",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_lower", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_root_users_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_root_users")),
        sa.UniqueConstraint("email_lower", name=op.f("uq_root_users_email_lower")),
    )
    op.create_table(
        "users",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_lower", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("permissions_boundary_arn", sa.String(length=2048), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_users_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
        sa.UniqueConstraint(
            "account_id", "name_lower", name=op.f("uq_users_account_id_name_lower")
        ),
    )
    op.create_index(op.f("ix_users_account_id"), "users", ["account_id"], unique=False)

    op.create_table(
        "access_keys",
        sa.Column("access_key_id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_service", sa.String(length=128), nullable=True),
        sa.Column("last_used_region", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_access_keys_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_access_keys_user_id_users")
        ),
        sa.PrimaryKeyConstraint("access_key_id", name=op.f("pk_access_keys")),
    )
    op.create_index(op.f("ix_access_keys_account_id"), "access_keys", ["account_id"], unique=False)
    op.create_index(op.f("ix_access_keys_user_id"), "access_keys", ["user_id"], unique=False)

    op.create_table(
        "user_inline_policies",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("name_lower", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_user_inline_policies_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "name_lower", name=op.f("pk_user_inline_policies")),
    )
    op.create_table(
        "user_policy_attachments",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("policy_arn", sa.String(length=2048), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_arn"],
            ["managed_policies.arn"],
            name=op.f("fk_user_policy_attachments_policy_arn_managed_policies"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_user_policy_attachments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "policy_arn", name=op.f("pk_user_policy_attachments")),
    )
    op.create_index(
        op.f("ix_user_policy_attachments_policy_arn"),
        "user_policy_attachments",
        ["policy_arn"],
        unique=False,
    )

    op.bulk_insert(meta, [{"key": "authz_epoch", "value": 0}])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(
        op.f("ix_user_policy_attachments_policy_arn"), table_name="user_policy_attachments"
    )

    op.drop_table("user_policy_attachments")
    op.drop_table("user_inline_policies")
    op.drop_index(op.f("ix_access_keys_user_id"), table_name="access_keys")
    op.drop_index(op.f("ix_access_keys_account_id"), table_name="access_keys")

    op.drop_table("access_keys")
    op.drop_index(op.f("ix_users_account_id"), table_name="users")

    op.drop_table("users")
    op.drop_table("root_users")
    op.drop_index(op.f("ix_roles_account_id"), table_name="roles")

    op.drop_table("roles")
    op.drop_table("policy_versions")
    op.drop_table("tags")
    op.drop_table("meta")
    op.drop_table("managed_policies")
    op.drop_table("accounts")
