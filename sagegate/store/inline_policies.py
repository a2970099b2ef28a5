"""Inline policies of users, groups and roles: the one piece of code behind the three
`*_inline_policies` tables (IAM API Reference: Put/Get/List/Delete{User,Group,Role}Policy).

Names are matched case-insensitively and kept as first written. Each function takes the owner
column of the table (e.g. `UserInlinePolicyRow.user_id`) and works inside the caller's session.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from sagegate.store.base import check_max_items, decode_marker, encode_marker
from sagegate.store.errors import NotFound
from sagegate.store.records import Page


def put(
    s: Session, owner: InstrumentedAttribute[str], owner_id: str, name: str, document: str
) -> None:
    """Add the policy, or replace the document of the one with that name in any case."""
    table: Any = owner.class_
    row = s.get(table, (owner_id, name.lower()))
    if row is None:
        s.add(
            table(
                **{
                    owner.key: owner_id,
                    "name_lower": name.lower(),
                    "name": name,
                    "document": document,
                }
            )
        )
    else:
        row.document = document


def get(
    s: Session, owner: InstrumentedAttribute[str], owner_id: str, name: str, entity: str
) -> Any:
    """The policy's row; NotFound(`entity`, name) if there is none."""
    table: Any = owner.class_
    row = s.get(table, (owner_id, name.lower()))
    if row is None:
        raise NotFound(entity, name)
    return row


def delete(
    s: Session, owner: InstrumentedAttribute[str], owner_id: str, name: str, entity: str
) -> None:
    s.delete(get(s, owner, owner_id, name, entity))


def all_of(s: Session, owner: InstrumentedAttribute[str], owner_id: str) -> list[tuple[str, str]]:
    """Every inline policy of the owner as (name, document), ordered by name."""
    table: Any = owner.class_
    rows = s.execute(
        select(table.name, table.document).where(owner == owner_id).order_by(table.name_lower)
    ).all()
    return [(name, doc) for name, doc in rows]


def names_page(
    s: Session,
    owner: InstrumentedAttribute[str],
    owner_id: str,
    marker: str | None,
    max_items: int,
) -> Page[str]:
    """The owner's policy names, ordered, paginated."""
    check_max_items(max_items)
    table: Any = owner.class_
    stmt = select(table.name_lower, table.name).where(owner == owner_id)
    if marker is not None:
        (after,) = decode_marker(marker, 1)
        stmt = stmt.where(table.name_lower > after)
    rows = s.execute(stmt.order_by(table.name_lower).limit(max_items + 1)).all()
    page, more = rows[:max_items], len(rows) > max_items
    return Page(
        items=tuple(name for _, name in page),
        marker=encode_marker(page[-1][0]) if more else None,
    )
