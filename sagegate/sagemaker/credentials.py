"""The credentials SageMaker holds for a resource, handed to an operator for its workload.

`resource_credentials(store, arn_or_name, now)` returns the temporary credentials of the
resource's execution role that SageMaker holds (see `execution`): the role session
`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SageMaker`, whose requests get exactly the role's
permissions (its policies, within its permissions boundary). Only a running resource holds
credentials: an InService notebook instance, an InProgress training or processing job; a model
gets them on demand. They are renewed (the role assumed again, its trust policy evaluated again)
once fewer than five minutes remain; if the role can no longer be assumed, the credentials held
are returned while they last, and an error afterwards.

`sagegate sagemaker credentials` prints them in the AWS CLI's `credential_process` format (AWS CLI
User Guide, *Sourcing credentials with an external process*): `Version` 1, `AccessKeyId`,
`SecretAccessKey`, `SessionToken`, `Expiration` (ISO 8601).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sagegate.sagemaker import arns, execution, states, training_jobs
from sagegate.sagemaker.arns import MODEL, NOTEBOOK, PROCESSING_JOB, TRAINING_JOB
from sagegate.store import NotFound, SageMakerResource

RUNNING = {
    NOTEBOOK.type: "InService",
    TRAINING_JOB.type: "InProgress",
    PROCESSING_JOB.type: "InProgress",
}


class NoCredentials(Exception):
    """The resource holds no credentials (the message says why)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class HeldCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime
    role_arn: str
    session_arn: str

    def __repr__(self) -> str:  # keep the secret out of logs and tracebacks
        return (
            f"HeldCredentials(access_key_id={self.access_key_id!r}, "
            f"session_arn={self.session_arn!r}, expiration={self.expiration.isoformat()!r})"
        )

    def credential_process(self) -> dict[str, Any]:
        return {
            "Version": 1,
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "SessionToken": self.session_token,
            "Expiration": self.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


def find(
    store: Any,
    arn_or_name: str,
    *,
    account_id: str | None = None,
    region: str = "us-east-1",
    resource_type: str | None = None,
) -> SageMakerResource:
    """The resource an ARN names, or a name of one of the kinds with an execution role (in
    `account_id` and `region`, of `resource_type` if given); NoCredentials if there is none, or
    several of different kinds."""
    if arn_or_name.startswith("arn:"):
        parsed = arns.parse(arn_or_name)
        if parsed is None:
            raise NoCredentials(f"{arn_or_name} is not a SageMaker resource ARN")
        region, account_id, kind, name = parsed
        kinds = [kind.type]
    else:
        if account_id is None:
            raise NoCredentials("a resource name needs its account id")
        name = arn_or_name
        kinds = [resource_type] if resource_type else list(execution.ROLE_MEMBERS)
    found = []
    for kind_type in kinds:
        try:
            found.append(store.get_sagemaker_resource(account_id, region, kind_type, name))
        except NotFound:
            continue
    if not found:
        raise NoCredentials(f"no SageMaker resource {arn_or_name} in {account_id} {region}")
    if len(found) > 1:
        kinds_found = ", ".join(r.resource_type for r in found)
        raise NoCredentials(f"{arn_or_name} names several resources ({kinds_found}): pick a type")
    return found[0]  # type: ignore[no-any-return]


def _status(res: SageMakerResource, now: datetime) -> str | None:
    if res.resource_type == TRAINING_JOB.type:
        return training_jobs.status_of(res, now)
    return states.status_at(res, now)


def _renew(store: Any, res: SageMakerResource, now: datetime) -> SageMakerResource:
    """Assume the role again and hold the new session (unless another reader just did)."""
    fresh = execution.assume_for(store, res, now)
    if fresh is None:
        return res
    old = res.data.get(execution.HELD)

    def change(cur: SageMakerResource) -> tuple[str | None, dict[str, Any]] | None:
        if cur.status != res.status or cur.updated_at != res.updated_at:
            return None
        if cur.data.get(execution.HELD) != old:
            return None
        return cur.status, {**cur.data, execution.HELD: fresh}

    try:
        return store.update_sagemaker_resource(  # type: ignore[no-any-return]
            res.account_id, res.region, res.resource_type, res.name, change, res.updated_at
        )
    except NotFound:
        return res


def resource_credentials(store: Any, res: SageMakerResource, now: datetime) -> HeldCredentials:
    """The credentials SageMaker holds for `res` at `now` (renewed when due)."""
    role_arn = execution.role_of(res)
    if role_arn is None:
        raise NoCredentials(f"{res.arn} has no execution role")
    res = execution.settle(store, res, now)
    status = _status(res, now)
    if status == states.GONE:
        raise NoCredentials(f"no SageMaker resource {res.arn}")
    if res.resource_type != MODEL.type and status != RUNNING[res.resource_type]:
        reason = res.data.get(execution.FAILURE_REASON) if status == "Failed" else None
        detail = f": {reason}" if reason else ""
        raise NoCredentials(
            f"{res.arn} is {status}; SageMaker holds credentials only while it is "
            f"{RUNNING[res.resource_type]}{detail}"
        )
    held = res.data.get(execution.HELD)
    if held is None and res.resource_type != MODEL.type:
        # e.g. a training job still Starting: SageMaker has not assumed the role yet.
        raise NoCredentials(f"SageMaker has not assumed the execution role of {res.arn} yet")
    renew_at = now.timestamp() + execution.RENEW_BEFORE.total_seconds()
    if held is None or held["Expiration"] < renew_at:
        res = _renew(store, res, now)
        renewed = res.data.get(execution.HELD)
        if renewed is not None and renewed["Expiration"] > now.timestamp():
            held = renewed
        elif held is None or held["Expiration"] <= now.timestamp():
            raise NoCredentials(execution.failure_reason(res.resource_type, role_arn))
    facts = store.open_session(held["AccessKeyId"], held["SessionToken"])
    return HeldCredentials(
        access_key_id=facts.access_key_id,
        secret_access_key=facts.secret_access_key,
        session_token=held["SessionToken"],
        expiration=datetime.fromtimestamp(held["Expiration"], UTC),
        role_arn=str(facts.role_arn),
        session_arn=(
            f"arn:aws:sts::{facts.account_id}:assumed-role/{facts.role_name}/{facts.session_name}"
        ),
    )
