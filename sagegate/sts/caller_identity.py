"""sts:GetCallerIdentity: who the caller is. AWS allows it always, even under an explicit deny
(STS API Reference, *GetCallerIdentity*: "No permissions are required to perform this operation")."""

from __future__ import annotations

from typing import Any

from sagegate.protocol.registry import Call, registry


@registry.operation("sts", "GetCallerIdentity", authorize=False)
def get_caller_identity(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    caller = call.caller
    return {"UserId": caller.userid, "Account": caller.account_id, "Arn": caller.arn}
