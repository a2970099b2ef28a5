"""Console passwords: Create/Get/Update/DeleteLoginProfile, ChangePassword, the account password policy."""

from __future__ import annotations
