"""Instance profiles and the one role each may hold.

Follows the IAM API Reference (CreateInstanceProfile, AddRoleToInstanceProfile,
RemoveRoleFromInstanceProfile, DeleteInstanceProfile, TagInstanceProfile) and *IAM and AWS STS
quotas*: one role per instance profile ("InstanceSessionsPerInstanceProfile", which cannot be
raised), 50 tags per profile. Names are unique per account case-insensitively. Unlike a role's or
a user's, an instance profile's tag keys are case-sensitive (*Tagging IAM resources*).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sagegate.store import ids, tagging
from sagegate.store.base import StoreBase, check_max_items, decode_marker, encode_marker, utcnow
from sagegate.store.errors import AlreadyExists, DeleteConflict, LimitExceeded, NotFound
from sagegate.store.records import InstanceProfile, Page
from sagegate.store.roles import RolesMixin
from sagegate.store.schema import InstanceProfileRoleRow, InstanceProfileRow, RoleRow

PROFILE_TAG = tagging.INSTANCE_PROFILE.entity_type
#: AWS quota "Roles in an instance profile" (InstanceSessionsPerInstanceProfile), fixed at 1.
ROLES_PER_PROFILE = 1


def instance_profile_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:instance-profile{path}{name}"


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
        now = utcnow()
        with self._write(authz=False) as s:
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
            tagging.add_tags(s, tagging.INSTANCE_PROFILE, row.instance_profile_id, tuple(tags))
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
        with self._write(authz=False) as s:
            row = self._profile_row(s, account_id, name, lock=True)
            pid = row.instance_profile_id
            if s.get(InstanceProfileRoleRow, pid) is not None:
                raise DeleteConflict(
                    "instance_profile",
                    name,
                    "Cannot delete entity, must remove roles from instance profile first.",
                )
            tagging.drop_tags(s, tagging.INSTANCE_PROFILE, pid)
            s.flush()
            s.delete(row)

    # -- the role ----------------------------------------------------------------------------

    def add_role_to_instance_profile(self, account_id: str, name: str, role_name: str) -> None:
        """Put the role in the profile; LimitExceeded (quota 1) while the profile holds a role,
        whichever role it is."""
        with self._write(authz=False) as s:
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
        with self._write(authz=False) as s:
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
        with self._write(authz=False) as s:
            row = self._profile_row(s, account_id, name, lock=True)
            tagging.add_tags(s, tagging.INSTANCE_PROFILE, row.instance_profile_id, tuple(tags))

    def untag_instance_profile(self, account_id: str, name: str, keys: Sequence[str]) -> None:
        """Remove the named tags (case-sensitive); keys that are not set are ignored."""
        with self._write(authz=False) as s:
            row = self._profile_row(s, account_id, name, lock=True)
            tagging.remove_tags(s, tagging.INSTANCE_PROFILE, row.instance_profile_id, keys)

    def list_instance_profile_tags(
        self, account_id: str, name: str, marker: str | None = None, max_items: int = 100
    ) -> Page[tuple[str, str]]:
        return tagging.tag_page(self.get_instance_profile(account_id, name).tags, marker, max_items)
