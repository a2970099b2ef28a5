"""Instance profiles and the one role each may hold.

Follows the IAM API Reference (CreateInstanceProfile, AddRoleToInstanceProfile,
RemoveRoleFromInstanceProfile, DeleteInstanceProfile, TagInstanceProfile) and *IAM and AWS STS
quotas*: one role per instance profile ("InstanceSessionsPerInstanceProfile", which cannot be
raised), 50 tags per profile. Names are unique per account case-insensitively. Unlike a role's or
a user's, an instance profile's tag keys are case-sensitive (*Tagging IAM resources*).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sagegate.store import ids
from sagegate.store.base import StoreBase, check_max_items, decode_marker, encode_marker, utcnow
from sagegate.store.errors import AlreadyExists, DeleteConflict, LimitExceeded, NotFound
from sagegate.store.records import InstanceProfile, Page, Tags
from sagegate.store.roles import MAX_TAGS, RolesMixin
from sagegate.store.schema import InstanceProfileRoleRow, InstanceProfileRow, RoleRow, TagRow
from sagegate.store.users import tag_page

PROFILE_TAG = "instance_profile"
#: AWS quota "Roles in an instance profile" (InstanceSessionsPerInstanceProfile), fixed at 1.
ROLES_PER_PROFILE = 1


def instance_profile_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:instance-profile{path}{name}"


def _tag_rows(s: Session, entity_id: str) -> dict[str, TagRow]:
    rows = s.execute(
        select(TagRow).where(TagRow.entity_type == PROFILE_TAG, TagRow.entity_id == entity_id)
    ).scalars()
    return {r.key: r for r in rows}


class InstanceProfilesMixin(StoreBase):
    # -- rows and records ---------------------------------------------------------------------

    @staticmethod
    def _profile_row(
        s: Session, account_id: str, name: str, *, lock: bool = False
    ) -> InstanceProfileRow:
        stmt = select(InstanceProfileRow).where(
            InstanceProfileRow.account_id == account_id,
            InstanceProfileRow.name_lower == name.lower(),
        )
        if lock:
            stmt = stmt.with_for_update()
        row = s.execute(stmt).scalar_one_or_none()
        if row is None:
            raise NotFound("instance_profile", name)
        return row

    def _profiles_out(
        self, s: Session, rows: Sequence[InstanceProfileRow]
    ) -> list[InstanceProfile]:
        profile_ids = [r.instance_profile_id for r in rows]
        if not profile_ids:
            return []
        tags = self._tags_of(s, PROFILE_TAG, profile_ids)
        links = s.execute(
            select(InstanceProfileRoleRow.instance_profile_id, RoleRow)
            .join(RoleRow, RoleRow.role_id == InstanceProfileRoleRow.role_id)
            .where(InstanceProfileRoleRow.instance_profile_id.in_(profile_ids))
        ).all()
        role_rows = [role for _, role in links]
        roles = {r.role_id: r for r in RolesMixin._roles_out(s, role_rows)}
        held: dict[str, list[str]] = {}
        for profile_id, role in links:
            held.setdefault(profile_id, []).append(role.role_id)
        return [
            InstanceProfile(
                account_id=r.account_id,
                instance_profile_id=r.instance_profile_id,
                name=r.name,
                path=r.path,
                arn=instance_profile_arn(r.account_id, r.path, r.name),
                created_at=r.created_at,
                roles=tuple(roles[rid] for rid in held.get(r.instance_profile_id, [])),
                tags=tags.get(r.instance_profile_id, ()),
            )
            for r in rows
        ]

    # -- instance profiles --------------------------------------------------------------------

    def create_instance_profile(
        self,
        account_id: str,
        name: str,
        path: str = "/",
        tags: Sequence[tuple[str, str]] = (),
    ) -> InstanceProfile:
        """Create an empty instance profile. The IAM layer validates name, path and tags (keys
        must be distinct, compared case-sensitively)."""
        tag_tuple = tuple((k, v) for k, v in tags)
        if len({k for k, _ in tag_tuple}) != len(tag_tuple):
            raise ValueError("duplicate tag keys")
        if len(tag_tuple) > MAX_TAGS:
            raise LimitExceeded("TagsPerInstanceProfile", MAX_TAGS)
        now = utcnow()
        with self._write() as s:
            self._account_row(s, account_id)
            if s.execute(
                select(InstanceProfileRow.instance_profile_id).where(
                    InstanceProfileRow.account_id == account_id,
                    InstanceProfileRow.name_lower == name.lower(),
                )
            ).first():
                raise AlreadyExists("instance_profile", name)
            row = InstanceProfileRow(
                instance_profile_id=ids.new_instance_profile_id(),
                account_id=account_id,
                name=name,
                name_lower=name.lower(),
                path=path,
                created_at=now,
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise AlreadyExists("instance_profile", name) from None
            for position, (key, value) in enumerate(tag_tuple):
                s.add(
                    TagRow(
                        entity_type=PROFILE_TAG,
                        entity_id=row.instance_profile_id,
                        key=key,
                        value=value,
                        position=position,
                    )
                )
            s.flush()
            return self._profiles_out(s, [row])[0]

    def get_instance_profile(self, account_id: str, name: str) -> InstanceProfile:
        with self._read() as s:
            return self._profiles_out(s, [self._profile_row(s, account_id, name)])[0]

    def list_instance_profiles(
        self,
        account_id: str,
        path_prefix: str = "/",
        marker: str | None = None,
        max_items: int = 100,
    ) -> Page[InstanceProfile]:
        """Instance profiles whose path starts with `path_prefix`, ordered by name."""
        check_max_items(max_items)
        stmt = select(InstanceProfileRow).where(InstanceProfileRow.account_id == account_id)
        if path_prefix != "/":
            stmt = stmt.where(
                func.substr(InstanceProfileRow.path, 1, len(path_prefix)) == path_prefix
            )
        return self._profile_page(stmt, marker, max_items)

    def list_instance_profiles_for_role(
        self,
        account_id: str,
        role_name: str,
        marker: str | None = None,
        max_items: int = 100,
    ) -> Page[InstanceProfile]:
        """The instance profiles that hold the role, ordered by name."""
        check_max_items(max_items)
        with self._read() as s:
            role = RolesMixin._role_row(s, account_id, role_name)
        stmt = (
            select(InstanceProfileRow)
            .join(
                InstanceProfileRoleRow,
                InstanceProfileRoleRow.instance_profile_id
                == InstanceProfileRow.instance_profile_id,
            )
            .where(InstanceProfileRoleRow.role_id == role.role_id)
        )
        return self._profile_page(stmt, marker, max_items)

    def _profile_page(
        self, stmt: Select[tuple[InstanceProfileRow]], marker: str | None, max_items: int
    ) -> Page[InstanceProfile]:
        if marker is not None:
            (after,) = decode_marker(marker, 1)
            stmt = stmt.where(InstanceProfileRow.name_lower > after)
        stmt = stmt.order_by(InstanceProfileRow.name_lower).limit(max_items + 1)
        with self._read() as s:
            rows = list(s.execute(stmt).scalars())
            page, more = rows[:max_items], len(rows) > max_items
            items = self._profiles_out(s, page)
        return Page(
            items=tuple(items),
            marker=encode_marker(page[-1].name_lower) if more else None,
        )

    def delete_instance_profile(self, account_id: str, name: str) -> None:
        """Delete an instance profile that holds no role."""
        with self._write() as s:
            row = self._profile_row(s, account_id, name, lock=True)
            pid = row.instance_profile_id
            if s.get(InstanceProfileRoleRow, pid) is not None:
                raise DeleteConflict(
                    "instance_profile",
                    name,
                    "Cannot delete entity, must remove roles from instance profile first.",
                )
            s.execute(
                delete(TagRow).where(TagRow.entity_type == PROFILE_TAG, TagRow.entity_id == pid)
            )
            s.flush()
            s.delete(row)

    # -- the role ----------------------------------------------------------------------------

    def add_role_to_instance_profile(self, account_id: str, name: str, role_name: str) -> None:
        """Put the role in the profile; LimitExceeded (quota 1) while the profile holds a role,
        whichever role it is."""
        with self._write() as s:
            row = self._profile_row(s, account_id, name, lock=True)
            role = RolesMixin._role_row(s, account_id, role_name)
            if s.get(InstanceProfileRoleRow, row.instance_profile_id) is not None:
                raise LimitExceeded("InstanceSessionsPerInstanceProfile", ROLES_PER_PROFILE)
            s.add(
                InstanceProfileRoleRow(
                    instance_profile_id=row.instance_profile_id, role_id=role.role_id
                )
            )
            try:
                s.flush()
            except IntegrityError:
                raise LimitExceeded(
                    "InstanceSessionsPerInstanceProfile", ROLES_PER_PROFILE
                ) from None

    def remove_role_from_instance_profile(self, account_id: str, name: str, role_name: str) -> None:
        """Take the role out of the profile; NotFound("profile_role") if it is not in it."""
        with self._write() as s:
            row = self._profile_row(s, account_id, name, lock=True)
            role = RolesMixin._role_row(s, account_id, role_name)
            current = s.get(InstanceProfileRoleRow, row.instance_profile_id)
            if current is None or current.role_id != role.role_id:
                raise NotFound(
                    "profile_role",
                    role.name,
                    f"The role with name {role.name} cannot be found in instance profile "
                    f"{row.name}.",
                )
            s.delete(current)

    # -- tags (keys case-sensitive) -----------------------------------------------------------

    def tag_instance_profile(
        self, account_id: str, name: str, tags: Sequence[tuple[str, str]]
    ) -> None:
        tag_tuple: Tags = tuple((k, v) for k, v in tags)
        if len({k for k, _ in tag_tuple}) != len(tag_tuple):
            raise ValueError("duplicate tag keys")
        with self._write() as s:
            row = self._profile_row(s, account_id, name, lock=True)
            current = _tag_rows(s, row.instance_profile_id)
            added = [k for k, _ in tag_tuple if k not in current]
            if len(current) + len(added) > MAX_TAGS:
                raise LimitExceeded("TagsPerInstanceProfile", MAX_TAGS)
            position = max((r.position for r in current.values()), default=-1) + 1
            for key, value in tag_tuple:
                old = current.get(key)
                if old is not None:
                    old.value = value
                    continue
                s.add(
                    TagRow(
                        entity_type=PROFILE_TAG,
                        entity_id=row.instance_profile_id,
                        key=key,
                        value=value,
                        position=position,
                    )
                )
                position += 1

    def untag_instance_profile(self, account_id: str, name: str, keys: Sequence[str]) -> None:
        """Remove the named tags (case-sensitive); keys that are not set are ignored."""
        with self._write() as s:
            row = self._profile_row(s, account_id, name, lock=True)
            if keys:
                s.execute(
                    delete(TagRow).where(
                        TagRow.entity_type == PROFILE_TAG,
                        TagRow.entity_id == row.instance_profile_id,
                        TagRow.key.in_(list(keys)),
                    )
                )

    def list_instance_profile_tags(
        self, account_id: str, name: str, marker: str | None = None, max_items: int = 100
    ) -> Page[tuple[str, str]]:
        return tag_page(self.get_instance_profile(account_id, name).tags, marker, max_items)
