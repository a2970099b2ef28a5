"""IAM groups: Create/Get/List/Update/DeleteGroup, AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser, group inline and attached policies."""

from __future__ import annotations
