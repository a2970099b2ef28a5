"""Tags of IAM resources, one implementation for every kind that has them: users, roles,
customer managed policies, instance profiles, virtual MFA devices, OIDC and SAML providers
(IAM API Reference: Tag*/Untag*/List*Tags; IAM User Guide, *Tagging IAM resources*).

All live in the generic `tags` table keyed by (entity_type, entity_id), in the order they were
first set (`position`). A kind's `TagRules` say how its keys compare and which quota name a
LimitExceeded carries; at most 50 tags per resource ("Tags per IAM resource"). Adding a key that
is already there overwrites its value in place, keeping its position; for users, roles and
policies the key also takes the new spelling (`respell`: tagging `cost` when `Cost` exists
replaces it), for the other kinds the stored spelling stays. Removing keys that are not there is
a no-op, as in AWS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sagegate.store.base import check_max_items, decode_marker, encode_marker
from sagegate.store.errors import InvalidMarker, LimitExceeded
from sagegate.store.records import Page, Tags
from sagegate.store.schema import TagRow

#: AWS quota: tags per IAM resource.
MAX_TAGS = 50


@dataclass(frozen=True)
class TagRules:
    entity_type: str  # the `tags.entity_type` of the kind
    quota: str  # the name LimitExceeded gives the 50-tag quota
    case_insensitive: bool = True
    respell: bool = False  # an overwritten key takes the request's spelling


USER = TagRules("user", "TagsPerUser", respell=True)
ROLE = TagRules("role", "TagsPerRole", respell=True)
POLICY = TagRules("policy", "TagsPerPolicy", respell=True)
INSTANCE_PROFILE = TagRules("instance_profile", "TagsPerInstanceProfile", case_insensitive=False)
MFA_DEVICE = TagRules("mfa", "TagsPerResource")
OIDC_PROVIDER = TagRules("oidc_provider", "TagsPerResource")
SAML_PROVIDER = TagRules("saml_provider", "TagsPerResource")


def _fold(rules: TagRules, key: str) -> str:
    return key.lower() if rules.case_insensitive else key


def _rows(s: Session, rules: TagRules, entity_id: str) -> list[TagRow]:
    return list(
        s.execute(
            select(TagRow)
            .where(TagRow.entity_type == rules.entity_type, TagRow.entity_id == entity_id)
            .order_by(TagRow.position)
        ).scalars()
    )


def add_tags(
    s: Session,
    rules: TagRules,
    entity_id: str,
    tags: Sequence[tuple[str, str]],
    limit: int = MAX_TAGS,
) -> None:
    """Add or overwrite tags of one entity (also its tags at creation), within the quota. The IAM
    layer refuses repeated keys; here they are a programming error (ValueError)."""
    if len({_fold(rules, k) for k, _ in tags}) != len(tags):
        raise ValueError("duplicate tag keys")
    rows = _rows(s, rules, entity_id)
    existing = {_fold(rules, r.key): r for r in rows}
    added = sum(1 for k, _ in tags if _fold(rules, k) not in existing)
    if len(rows) + added > limit:
        raise LimitExceeded(rules.quota, limit)
    position = max((r.position for r in rows), default=-1) + 1
    for key, value in tags:
        old = existing.get(_fold(rules, key))
        if old is not None and not (rules.respell and old.key != key):
            old.value = value
            continue
        keep = position
        if old is not None:  # a new spelling: the key is part of the primary key
            keep = old.position
            s.delete(old)
            s.flush()
        else:
            position += 1
        s.add(
            TagRow(
                entity_type=rules.entity_type,
                entity_id=entity_id,
                key=key,
                value=value,
                position=keep,
            )
        )
    s.flush()


def remove_tags(s: Session, rules: TagRules, entity_id: str, keys: Sequence[str]) -> None:
    """Remove tags by key; keys that are not there are ignored, as by AWS."""
    wanted = {_fold(rules, k) for k in keys}
    for row in _rows(s, rules, entity_id):
        if _fold(rules, row.key) in wanted:
            s.delete(row)


def drop_tags(s: Session, rules: TagRules, entity_id: str) -> None:
    """Every tag of an entity that is being deleted."""
    s.execute(
        delete(TagRow).where(TagRow.entity_type == rules.entity_type, TagRow.entity_id == entity_id)
    )


def tag_page(tags: Tags, marker: str | None, max_items: int) -> Page[tuple[str, str]]:
    """A page of an entity's tags in their stored order (the marker is the next index)."""
    check_max_items(max_items)
    start = 0
    if marker is not None:
        (raw,) = decode_marker(marker, 1)
        if not raw.isdigit():
            raise InvalidMarker()
        start = int(raw)
    page = tags[start : start + max_items]
    more = start + max_items < len(tags)
    return Page(items=page, marker=encode_marker(str(start + max_items)) if more else None)
