"""The policy simulator over the wire: SimulateCustomPolicy, SimulatePrincipalPolicy,
GetContextKeysForCustomPolicy, GetContextKeysForPrincipalPolicy."""

from __future__ import annotations
