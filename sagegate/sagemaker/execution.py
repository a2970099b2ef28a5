"""Execution roles at work: SageMaker assumes the role a resource was given, and holds the
temporary credentials of that role for the resource.

SageMaker Developer Guide, *How to use SageMaker AI execution roles*: "When you send any requests
to AWS resources from the notebook instance, SageMaker AI assumes this role"; a training or
processing job's `RoleArn` is "an IAM role that SageMaker can assume to perform tasks on your
behalf". The service is the principal `sagemaker.amazonaws.com` calling `sts:AssumeRole` on the
role: the role's trust policy decides, with `aws:SourceArn` (the resource's ARN) and
`aws:SourceAccount` set as services set them for confused-deputy protection (IAM User Guide,
*The confused deputy problem*, *AWS global condition context keys*; `passrole.assumable_role`).
The role session is named "SageMaker", as CloudTrail and AccessDenied messages show it
(`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SageMaker`), lasts one hour and is renewed on demand once
fewer than five minutes remain (as instance credentials are: EC2 User Guide, *Retrieve security
credentials from instance metadata*, new credentials "at least five minutes before the expiration
of the old credentials").

When the role is assumed (nothing runs: states follow the clock, see `states`):

* notebook instance: as it leaves Pending (one transition period after create or start);
* training job: as it leaves its first secondary status, Starting (one period after create);
* processing job: at create, as it is InProgress from the start (`assume` in the handler);
* model: on demand, the first time its credentials are asked for (a model has no state).

The first reader that finds the moment passed acts on it (`settle`, from `common.fetch`,
`common.list_page`, the presigned page and `credentials`), under the resource's row lock, with
the role as it is then; the change is dated at the moment itself (LastModifiedTime). If the role
is gone, or its trust policy does not let SageMaker assume it, the resource goes to Failed with
the FailureReason SageMaker reports: "SageMaker was unable to assume the role 'ARN'", with the
"ClientError: " prefix for jobs as DescribeTrainingJob shows it (aws/sagemaker-python-sdk#35).

Held credentials live in the resource's description under the private member `_session` (never
in Describe output: `common.public` drops private members): the access key id and the sealed
session token, the only place the secret exists, so they are sealed at rest like every session.
Leaving the running state (stop, update, delete, failure) drops them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import msgspec

from sagegate.sagemaker import states
from sagegate.sagemaker.arns import MODEL, NOTEBOOK, PROCESSING_JOB, TRAINING_JOB
from sagegate.sagemaker.passrole import SERVICE, assumable_role
from sagegate.store import NotFound, SageMakerResource

SESSION_NAME = "SageMaker"
DURATION_SECONDS = 3600
RENEW_BEFORE = timedelta(minutes=5)
HELD = "_session"  # the private description member holding the role session
FAILURE_REASON = "FailureReason"
ROLE_MEMBERS = {
    NOTEBOOK.type: "RoleArn",
    TRAINING_JOB.type: "RoleArn",
    PROCESSING_JOB.type: "RoleArn",
    MODEL.type: "ExecutionRoleArn",
}


def role_of(res: SageMakerResource) -> str | None:
    """The execution role ARN the resource was given, if its kind has one."""
    member = ROLE_MEMBERS.get(res.resource_type)
    value = res.data.get(member) if member else None
    return value if isinstance(value, str) and value else None


def failure_reason(resource_type: str, role_arn: str) -> str:
    text = f"SageMaker was unable to assume the role '{role_arn}'"
    return text if resource_type == NOTEBOOK.type else f"ClientError: {text}"


def assume(
    store: Any,
    *,
    role_arn: str,
    source_arn: str,
    account_id: str,
    region: str,
    now: datetime,
    mint: bool = True,
) -> dict[str, Any] | None:
    """Assume `role_arn` as SageMaker for the resource `source_arn`: the entry to hold (key id,
    sealed token, expiry, role ARN), or None when the role cannot be assumed. `mint=False`: the
    role is assumed (trust decided, its use recorded) but no session is minted, for a caller that
    drops the session in the same write (tokens are stateless: one never handed out is
    indistinguishable from one never minted); the entry then has only the role ARN."""
    role = assumable_role(store, role_arn, source_arn, account_id, now)
    if role is None:
        return None
    store.record_role_use(role.role_id, now, region)
    if not mint:
        return {"RoleArn": role.arn}
    facts, token = store.issue_session(
        now=now,
        duration=DURATION_SECONDS,
        kind="AssumedRole",
        account_id=role.account_id,
        role_id=role.role_id,
        role_arn=role.arn,
        role_name=role.name,
        session_name=SESSION_NAME,
        extra={"invoked_by": SERVICE, "source_arn": source_arn},
    )
    return {
        "AccessKeyId": facts.access_key_id,
        "SessionToken": token,
        "Expiration": int(facts.expires_at.timestamp()),
        "RoleArn": role.arn,
    }


def assume_for(
    store: Any, res: SageMakerResource, now: datetime, mint: bool = True
) -> dict[str, Any] | None:
    role_arn = role_of(res)
    if role_arn is None:
        return None
    return assume(
        store,
        role_arn=role_arn,
        source_arn=res.arn,
        account_id=res.account_id,
        region=res.region,
        now=now,
        mint=mint,
    )


def _due(res: SageMakerResource, now: datetime) -> tuple[datetime, str] | None:
    """(the moment SageMaker assumes the resource's role, the status that follows) if that
    moment has come and has not been acted on yet."""
    if HELD in res.data:
        return None
    if res.resource_type == NOTEBOOK.type and res.status == "Pending":
        since, after = res.updated_at, "InService"
    elif res.resource_type == TRAINING_JOB.type and res.status == "InProgress":
        since, after = res.created_at, "InProgress"
    else:
        return None
    moment = since + timedelta(seconds=states.transition_seconds())
    return (moment, after) if now >= moment else None


class Settlement(msgspec.Struct, frozen=True):
    """What SageMaker taking on a resource's execution role writes: `change` (for
    `Store.update_sagemaker_resource`) dated `stamp`; `failed` when the role could not be
    assumed and the resource goes to Failed."""

    change: Callable[[SageMakerResource], tuple[str | None, dict[str, Any]] | None]
    stamp: datetime
    failed: bool


def settlement(
    store: Any, res: SageMakerResource, now: datetime, *, leaving: bool = False
) -> Settlement | None:
    """The settlement of `res` if the moment SageMaker assumes its role has passed and nobody
    has acted on it: the role is assumed now, the change applies to the resource as it is found
    under its row lock (and does nothing if it changed meanwhile). `leaving`: the caller's write
    takes the resource out of the running state in the same transaction (`without_held`), so no
    session is minted for it (see `assume`)."""
    due = _due(res, now)
    if due is None:
        return None
    moment, after = due
    role_arn = role_of(res)
    # A resource without a role (none is made so through the API) runs holding nothing.
    held = assume_for(store, res, now, mint=not leaving) if role_arn is not None else None
    failed = role_arn is not None and held is None

    def change(cur: SageMakerResource) -> tuple[str | None, dict[str, Any]] | None:
        if cur.status != res.status or cur.updated_at != res.updated_at or HELD in cur.data:
            return None  # someone else got there first, or the resource changed meanwhile
        data = dict(cur.data)
        if failed:
            data[FAILURE_REASON] = failure_reason(cur.resource_type, str(role_arn))
            return "Failed", data
        data[HELD] = held
        return after, data

    stamp = res.updated_at if not failed and after == res.status else moment
    return Settlement(change, stamp, failed)


def settle(store: Any, res: SageMakerResource, now: datetime) -> SageMakerResource:
    """The resource after SageMaker has assumed its role, if the moment to do so has passed:
    running with the session held, or Failed with the FailureReason. Cheap when nothing is due.
    Safe against concurrent readers (replicas): the first to lock the row decides."""
    plan = settlement(store, res, now)
    return res if plan is None else apply(store, res, plan)


def apply(store: Any, res: SageMakerResource, plan: Settlement) -> SageMakerResource:
    """Write `plan` in a transaction of its own."""
    try:
        return store.update_sagemaker_resource(  # type: ignore[no-any-return]
            res.account_id, res.region, res.resource_type, res.name, plan.change, plan.stamp
        )
    except NotFound:
        return res


def settled(plan: Settlement, cur: SageMakerResource) -> SageMakerResource:
    """`cur` (locked by the caller's write) as `plan` leaves it: for a write that settles the
    resource and changes it further in one transaction."""
    changed = plan.change(cur)
    if changed is None:
        return cur
    status, data = changed
    return cur.moved(status, data, plan.stamp)


def without_held(data: Mapping[str, Any]) -> dict[str, Any]:
    """A description without the held session and the failure reason (leaving a state)."""
    return {k: v for k, v in data.items() if k not in (HELD, FAILURE_REASON)}
