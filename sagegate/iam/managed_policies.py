"""Customer managed policies: Create/Get/List/DeletePolicy, versions, ListEntitiesForPolicy, policy tags."""

from __future__ import annotations
