"""Managed policies attached to users, groups and roles: the one piece of code behind the three
`*_policy_attachments` tables (IAM API Reference: Attach/Detach/ListAttached{User,Group,Role}Policies).

Each function takes the owner column of the attachment table (e.g. `UserPolicyAttachmentRow.user_id`)
and works inside the caller's session, so it joins the caller's one transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from sagegate.store.base import check_max_items, decode_marker, encode_marker
from sagegate.store.driver import Driver, Prepared
from sagegate.store.errors import LimitExceeded, NotFound
from sagegate.store.records import Page
from sagegate.store.schema import ManagedPolicyRow, PolicyVersionRow


def attach(
    s: Session,
    owner: InstrumentedAttribute[str],
    owner_id: str,
    policy_arn: str,
    limit: int,
    quota: str,
) -> None:
    """Attach `policy_arn` (already checked to exist) to the owner; a second attach is a no-op.
    At most `limit` attachments: LimitExceeded(`quota`)."""
    table: Any = owner.class_
    if s.get(table, (owner_id, policy_arn)) is not None:
        return
    attached = s.execute(
        select(func.count()).select_from(table).where(owner == owner_id)
    ).scalar_one()
    if attached >= limit:
        raise LimitExceeded(quota, limit)
    s.add(table(**{owner.key: owner_id, "policy_arn": policy_arn}))
    s.flush()
    count(s, policy_arn, +1)


def detach(s: Session, owner: InstrumentedAttribute[str], owner_id: str, policy_arn: str) -> None:
    """Detach `policy_arn`; NotFound("attachment") if it was not attached."""
    table: Any = owner.class_
    attachment = s.get(table, (owner_id, policy_arn))
    if attachment is None:
        raise NotFound("attachment", policy_arn)
    s.delete(attachment)
    s.flush()
    count(s, policy_arn, -1)


def count(s: Session, policy_arn: str, delta: int) -> None:
    """Keep `managed_policies.attachment_count` in step with the attachment tables."""
    s.execute(
        update(ManagedPolicyRow)
        .where(ManagedPolicyRow.arn == policy_arn)
        .values(attachment_count=ManagedPolicyRow.attachment_count + delta)
    )


def attached_page(
    s: Session,
    owner: InstrumentedAttribute[str],
    owner_id: str,
    path_prefix: str,
    marker: str | None,
    max_items: int,
) -> Page[tuple[str, str]]:
    """(policy name, policy ARN) pairs attached to the owner, ordered by name, paginated."""
    check_max_items(max_items)
    table: Any = owner.class_
    stmt = (
        select(ManagedPolicyRow.name_lower, ManagedPolicyRow.name, ManagedPolicyRow.arn)
        .join(table, table.policy_arn == ManagedPolicyRow.arn)
        .where(owner == owner_id)
    )
    if path_prefix != "/":
        stmt = stmt.where(func.substr(ManagedPolicyRow.path, 1, len(path_prefix)) == path_prefix)
    if marker is not None:
        after_name, after_arn = decode_marker(marker, 2)
        stmt = stmt.where(
            or_(
                ManagedPolicyRow.name_lower > after_name,
                and_(ManagedPolicyRow.name_lower == after_name, ManagedPolicyRow.arn > after_arn),
            )
        )
    rows = s.execute(
        stmt.order_by(ManagedPolicyRow.name_lower, ManagedPolicyRow.arn).limit(max_items + 1)
    ).all()
    page, more = rows[:max_items], len(rows) > max_items
    return Page(
        items=tuple((name, arn) for _, name, arn in page),
        marker=encode_marker(page[-1][0], page[-1][2]) if more else None,
    )


# -- what a principal's attachments amount to (the authorizer's cache-miss path) ----------------


def default_versions(attached: ColumnElement[bool]) -> tuple[Prepared, Prepared]:
    """Two statements giving (ARN, default version id, document, is attached) of the managed
    policies `attached` selects: alone, and together with the permissions boundary named by the
    bind parameter `b`. Built once by each caller (they take bind parameters)."""

    def managed(wanted: ColumnElement[bool]) -> Any:
        return (
            select(
                ManagedPolicyRow.arn,
                PolicyVersionRow.version_id,
                PolicyVersionRow.document,
                attached.label("attached"),
            )
            .join(
                PolicyVersionRow,
                and_(
                    PolicyVersionRow.policy_arn == ManagedPolicyRow.arn,
                    PolicyVersionRow.version_id == ManagedPolicyRow.default_version_id,
                ),
            )
            .where(wanted)
            .order_by(ManagedPolicyRow.arn)
        )

    return Prepared(managed(attached)), Prepared(
        managed(or_(attached, ManagedPolicyRow.arn == bindparam("b")))
    )


Versioned = tuple[str, str, str]


def effective(
    db: Driver,
    statements: tuple[Prepared, Prepared],
    params: dict[str, Any],
    boundary_arn: str | None,
) -> tuple[tuple[Versioned, ...], Versioned | None]:
    """Run the `default_versions` statement that fits: (attached policies, boundary or None)."""
    without, with_boundary = statements
    if boundary_arn is None:
        rows = db.execute(without, params)
    else:
        rows = db.execute(with_boundary, {**params, "b": boundary_arn})
    managed = tuple((arn, vid, doc) for arn, vid, doc, is_on in rows if is_on)
    boundary = next(((arn, vid, doc) for arn, vid, doc, _ in rows if arn == boundary_arn), None)
    return managed, boundary
