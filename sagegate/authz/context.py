"""The request context: the global condition keys AWS sets for every request (IAM User Guide,
*AWS global condition context keys*), plus the operation's own keys."""

from __future__ import annotations

from typing import Any

from sagegate.protocol.registry import Call


def global_keys(call: Call) -> dict[str, Any]:
    caller = call.caller
    now = call.now
    ctx: dict[str, Any] = {
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:SecureTransport": "true" if call.secure_transport else "false",
        "aws:RequestedRegion": call.region,
        "aws:PrincipalArn": caller.role_arn or caller.arn,
        "aws:PrincipalAccount": caller.account_id,
        "aws:PrincipalType": caller.type,
        "aws:userid": caller.userid,
        "aws:ViaAWSService": "false",
    }
    if call.source_ip:
        ctx["aws:SourceIp"] = call.source_ip
    if caller.username is not None:
        ctx["aws:username"] = caller.username
    return ctx
