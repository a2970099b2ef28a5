"""What every SageMaker resource family shares: looking a resource up once per request (the
authorizer needs its tags, the handler its description), resource-tag context functions, and
the List* calls' filters, sort orders and `NextToken` pages (SageMaker API Reference, e.g.
*ListNotebookInstances*: a page may hold fewer than MaxResults items while NextToken is set)."""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sagegate.protocol.errors import ServiceError
from sagegate.protocol.registry import Call
from sagegate.sagemaker import arns, execution, states
from sagegate.sagemaker.conditions import resource_tags
from sagegate.sagemaker.errors import tag_limits, validation
from sagegate.store import AlreadyExists, NotFound, SageMakerResource

DEFAULT_MAX_RESULTS = 10
_local = threading.local()


def fetch(
    call: Call, kind: arns.Kind, name: str, *, settle: bool = True
) -> SageMakerResource | None:
    """The resource (with tags) as this request sees it, or None if it does not exist (or its
    deletion has completed). Read once per request: authorization and handler share it.

    `settle=False` reads it without acting on a moment due (SageMaker taking on the execution
    role, `execution.settle`): for what that does not change (its tags, for authorization), or
    for a write that settles it in its own transaction (`execution.settled`)."""
    key = (call.request_id, kind.type, name.lower())
    hit = getattr(_local, "entry", None)
    if hit is not None and hit[0] == key:
        res: SageMakerResource | None = hit[1]
        if hit[2] or not settle:
            return res
    else:
        try:
            res = call.store.get_sagemaker_resource(
                call.caller.account_id, call.region, kind.type, name
            )
        except NotFound:
            res = None
        if res is not None and states.status_at(res, call.now) == states.GONE:
            res = None
    if res is not None and settle:
        res = execution.settle(call.store, res, call.now)
    _local.entry = (key, res, settle)
    return res


def create(
    call: Call,
    kind: arns.Kind,
    name: str,
    arn: str,
    params: dict[str, Any],
    *,
    status: str | None,
    data: dict[str, Any],
    duplicate: ServiceError,
    replace_gone: bool = False,
) -> None:
    """Store a new resource of `kind` with the request's `Tags`; `duplicate` (SageMaker's error
    for that kind) if the name is taken, unless `replace_gone` and the one there has finished
    deleting."""
    try:
        with tag_limits():
            call.store.create_sagemaker_resource(
                account_id=call.caller.account_id,
                region=call.region,
                resource_type=kind.type,
                name=name,
                arn=arn,
                status=status,
                data=data,
                now=call.now,
                tags=tag_pairs(params),
                replace_gone=states.gone_by(kind.type, call.now) if replace_gone else None,
            )
    except AlreadyExists:
        raise duplicate from None
    forget(call)


def forget(call: Call) -> None:
    """Drop this request's cached read (after a write)."""
    _local.entry = None


def tags_of(kind: arns.Kind, member: str | None = None, extra: Any = None) -> Any:
    """A `context=` function: the resource's tags as `sagemaker:ResourceTag/K` and
    `aws:ResourceTag/K`, plus `extra(params)`'s keys."""
    member = member or kind.name_member

    def context(call: Call, params: dict[str, Any]) -> dict[str, Any]:
        # Tags do not change as SageMaker takes on the execution role: nothing to settle here.
        ctx = resource_tags(fetch(call, kind, params[member], settle=False))
        if extra is not None:
            ctx.update(extra(params))
        return ctx

    return context


# -- listing -------------------------------------------------------------------------------------


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = data["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise validation("Invalid pagination token because of the NextToken parameter.") from None
    if not isinstance(offset, int) or offset < 0:
        raise validation("Invalid pagination token because of the NextToken parameter.")
    return offset


_SORTS = {
    "Name": "name",
    "CreationTime": "created_at",
    "Status": "status",
    "LastModifiedTime": "updated_at",
}


def list_page(
    call: Call,
    kind: arns.Kind,
    params: dict[str, Any],
    summary: Callable[[SageMakerResource, str | None], dict[str, Any]],
    *,
    default_sort: str = "CreationTime",
    default_order: str = "Descending",
    extra_filter: Callable[[SageMakerResource, str | None], bool] | None = None,
    status_of: Callable[[SageMakerResource, datetime], str | None] = states.status_at,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a List* call: (summaries, NextToken)."""
    offset = _decode_token(params.get("NextToken"))
    max_results = params.get("MaxResults", DEFAULT_MAX_RESULTS)
    sort = _SORTS.get(params.get("SortBy", default_sort), "created_at")
    rows = call.store.list_sagemaker_resources(
        call.caller.account_id,
        call.region,
        kind.type,
        sort=sort,
        descending=params.get("SortOrder", default_order) == "Descending",
        name_contains=params.get("NameContains"),
        created_after=params.get("CreationTimeAfter"),
        created_before=params.get("CreationTimeBefore"),
        offset=offset,
        limit=max_results + 1,
    )
    more = len(rows) > max_results
    status_filter = params.get("StatusEquals")
    after: datetime | None = params.get("LastModifiedTimeAfter")
    before: datetime | None = params.get("LastModifiedTimeBefore")
    out = []
    for res in rows[:max_results]:
        res = execution.settle(call.store, res, call.now)
        status = status_of(res, call.now)
        if status == states.GONE:
            continue
        if status_filter is not None and status != status_filter:
            continue
        if after is not None and not res.updated_at > after:
            continue
        if before is not None and not res.updated_at < before:
            continue
        if extra_filter is not None and not extra_filter(res, status):
            continue
        out.append(summary(res, status))
    return out, (_encode_token(offset + max_results) if more else None)


def result(items_key: str, items: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {items_key: items}
    if token is not None:
        out["NextToken"] = token
    return out


def tag_list(tags: Any) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags]


def tag_pairs(params: dict[str, Any]) -> list[tuple[str, str]]:
    return [(t["Key"], t.get("Value", "")) for t in params.get("Tags") or ()]


def public(data: Any) -> dict[str, Any]:
    """A stored description without sagegate's private members (those starting with "_")."""
    return {k: v for k, v in data.items() if not k.startswith("_")}


def fetch_arn(call: Call, arn: str) -> SageMakerResource | None:
    """The resource named by an ARN (with tags), once per request; None if unknown or gone."""
    key = (call.request_id, "arn", arn)
    hit = getattr(_local, "entry", None)
    if hit is not None and hit[0] == key:
        return hit[1]  # type: ignore[no-any-return]
    res: SageMakerResource | None = call.store.find_sagemaker_resource(arn)
    if res is None and arn != arn.lower():
        res = call.store.find_sagemaker_resource(arn.lower())
    if res is not None and res.account_id == call.caller.account_id:
        res = execution.settle(call.store, res, call.now)
    if res is not None and (
        res.account_id != call.caller.account_id or states.status_at(res, call.now) == states.GONE
    ):
        res = None
    _local.entry = (key, res)
    return res


def page_token(token: str | None) -> int:
    return _decode_token(token)


def next_token(offset: int) -> str:
    return _encode_token(offset)
