"""Virtual MFA devices: Create/Enable/Resync/Deactivate/Delete, ListMFADevices, ListVirtualMFADevices."""

from __future__ import annotations
