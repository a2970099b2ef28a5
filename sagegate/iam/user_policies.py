"""Policies of a user: inline (Put/Get/List/DeleteUserPolicy) and managed
(Attach/Detach/ListAttachedUserPolicies). Documents are validated by the policy engine before they
are stored, with AWS's MalformedPolicyDocument messages and size limits."""

from __future__ import annotations

from typing import Any

from sagegate.iam.arns import target_user_arn
from sagegate.iam.errors import malformed_policy, store_errors
from sagegate.iam.users import bounded_user_context, paged, user_context
from sagegate.policy import MalformedPolicyDocument, PolicyKind, parse
from sagegate.policy.limits import USER_INLINE_AGGREGATE_MAX, size_without_whitespace
from sagegate.protocol.errors import ServiceError
from sagegate.protocol.registry import Call, registry


def validated_identity_policy(document: str) -> str:
    """The document if it is a valid identity policy; size quotas are the caller's to check."""
    try:
        parse(document, PolicyKind.IDENTITY, max_size=len(document))
    except MalformedPolicyDocument as e:
        raise malformed_policy(str(e)) from None
    return document


@registry.operation("iam", "PutUserPolicy", resources=target_user_arn, context=bounded_user_context)
def put_user_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    user, policy_name = params["UserName"], params["PolicyName"]
    document = params["PolicyDocument"]
    with store_errors():
        others = [
            doc
            for name, doc in call.store.user_inline_policies(call.caller.account_id, user)
            if name.lower() != policy_name.lower()
        ]
        total = sum(size_without_whitespace(d) for d in [*others, document])
        if total > USER_INLINE_AGGREGATE_MAX:
            raise ServiceError(
                "LimitExceeded",
                f"Maximum policy size of {USER_INLINE_AGGREGATE_MAX} bytes exceeded for user {user}",
                status=409,
            )
        validated_identity_policy(document)
        call.store.put_user_policy(call.caller.account_id, user, policy_name, document)
    return {}


@registry.operation("iam", "GetUserPolicy", resources=target_user_arn, context=user_context)
def get_user_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        document = call.store.get_user_policy(
            call.caller.account_id, params["UserName"], params["PolicyName"]
        )
    return {
        "UserName": params["UserName"],
        "PolicyName": params["PolicyName"],
        "PolicyDocument": document,
    }


@registry.operation("iam", "ListUserPolicies", resources=target_user_arn, context=user_context)
def list_user_policies(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_user_policies(
            call.caller.account_id,
            params["UserName"],
            marker=params.get("Marker"),
            max_items=params.get("MaxItems", 100),
        )
    return paged(list(page.items), page.marker, "PolicyNames")


@registry.operation(
    "iam", "DeleteUserPolicy", resources=target_user_arn, context=bounded_user_context
)
def delete_user_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.delete_user_policy(
            call.caller.account_id, params["UserName"], params["PolicyName"]
        )
    return {}


def _policy_arn_key(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ctx = bounded_user_context(call, params)
    ctx["iam:PolicyARN"] = params["PolicyArn"]
    return ctx


@registry.operation("iam", "AttachUserPolicy", resources=target_user_arn, context=_policy_arn_key)
def attach_user_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.attach_user_policy(
            call.caller.account_id, params["UserName"], params["PolicyArn"]
        )
    return {}


@registry.operation("iam", "DetachUserPolicy", resources=target_user_arn, context=_policy_arn_key)
def detach_user_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        call.store.detach_user_policy(
            call.caller.account_id, params["UserName"], params["PolicyArn"]
        )
    return {}


@registry.operation(
    "iam", "ListAttachedUserPolicies", resources=target_user_arn, context=user_context
)
def list_attached_user_policies(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        page = call.store.list_attached_user_policies(
            call.caller.account_id,
            params["UserName"],
            path_prefix=params.get("PathPrefix", "/"),
            marker=params.get("Marker"),
            max_items=params.get("MaxItems", 100),
        )
    items = [{"PolicyName": name, "PolicyArn": arn} for name, arn in page.items]
    return paged(items, page.marker, "AttachedPolicies")
