"""Instance profiles: Create/Get/List/Delete, Add/RemoveRoleFromInstanceProfile, ListInstanceProfilesForRole, tags."""

from __future__ import annotations
