"""drop the account_id indexes that a unique constraint already covers

`users.account_id` leads the unique key (account_id, name_lower) and
`sagemaker_resources.account_id` leads (account_id, region, resource_type, name_lower): each
lookup by account (including the foreign key's) can use the unique key's index, so the separate
index only cost a page write on every insert and delete of a user or a SageMaker resource.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 12:00:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (
    ("ix_users_account_id", "users"),
    ("ix_sagemaker_resources_account_id", "sagemaker_resources"),
)


def upgrade() -> None:
    for name, table in _INDEXES:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table in _INDEXES:
        op.create_index(name, table, ["account_id"])
