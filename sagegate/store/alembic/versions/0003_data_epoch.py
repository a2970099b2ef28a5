"""data epoch: a second counter, moved by writes that change what reads show but no
authentication or authorization fact (see sagegate/store/base.py)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 23:50:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.BigInteger))


def upgrade() -> None:
    op.bulk_insert(_meta, [{"key": "data_epoch", "value": 0}])


def downgrade() -> None:
    op.execute(_meta.delete().where(_meta.c.key == "data_epoch"))
