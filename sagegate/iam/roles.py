"""IAM roles: Create/Get/List/Update/DeleteRole, UpdateAssumeRolePolicy, role policies, boundaries, tags, CreateServiceLinkedRole."""

from __future__ import annotations
