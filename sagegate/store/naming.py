"""Renaming and moving a named IAM entity (IAM API Reference: UpdateUser, UpdateGroup).

Users and groups are unique per account by name, case-insensitively (`name_lower`, with a unique
constraint), whatever their path. A rename to a name another entity holds is AlreadyExists; a
rename that only changes the case of the entity's own name is allowed. Everything that belongs to
the entity (keys, policies, memberships, tags) is keyed by its id and follows it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sagegate.store.errors import AlreadyExists


def rename(
    s: Session,
    row: Any,
    entity: str,
    new_name: str | None = None,
    new_path: str | None = None,
) -> None:
    """Give `row` (a mapped row with account_id, name, name_lower, path) a new name and/or path.
    `entity` names it in AlreadyExists ("user", "group")."""
    model = type(row)
    old_name = row.name
    if (
        new_name is not None
        and new_name.lower() != row.name_lower
        and s.execute(
            select(model.name_lower).where(
                model.account_id == row.account_id, model.name_lower == new_name.lower()
            )
        ).first()
    ):
        raise AlreadyExists(entity, new_name)
    if new_name is not None:
        row.name, row.name_lower = new_name, new_name.lower()
    if new_path is not None:
        row.path = new_path
    try:
        s.flush()
    except IntegrityError:
        raise AlreadyExists(entity, new_name or old_name) from None
