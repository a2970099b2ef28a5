"""SageMaker resource ARNs as AWS forms them (Service Authorization Reference, *Resource types
defined by Amazon SageMaker AI*): `arn:aws:sagemaker:REGION:ACCOUNT:TYPE/NAME`, the name
lower-cased — SageMaker lower-cases the resource name in every ARN it returns, and names are
unique per account and region regardless of case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sagegate.protocol.registry import Call


@dataclass(frozen=True)
class Kind:
    """One SageMaker resource type: its ARN segment, what messages call it, and the request
    member that names it."""

    type: str  # ARN resource type, also the store's resource_type
    label: str  # e.g. "Notebook Instance", as SageMaker's messages spell it
    name_member: str  # e.g. "NotebookInstanceName"


NOTEBOOK = Kind("notebook-instance", "Notebook Instance", "NotebookInstanceName")
LIFECYCLE_CONFIG = Kind(
    "notebook-instance-lifecycle-config",
    "Notebook Instance Lifecycle Config",
    "NotebookInstanceLifecycleConfigName",
)
TRAINING_JOB = Kind("training-job", "training job", "TrainingJobName")
PROCESSING_JOB = Kind("processing-job", "processing job", "ProcessingJobName")
MODEL = Kind("model", "model", "ModelName")
ENDPOINT_CONFIG = Kind("endpoint-config", "endpoint configuration", "EndpointConfigName")
ENDPOINT = Kind("endpoint", "endpoint", "EndpointName")
KINDS = {
    k.type: k
    for k in (
        NOTEBOOK,
        LIFECYCLE_CONFIG,
        TRAINING_JOB,
        PROCESSING_JOB,
        MODEL,
        ENDPOINT_CONFIG,
        ENDPOINT,
    )
}


def arn(kind: Kind, region: str, account_id: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account_id}:{kind.type}/{name.lower()}"


def call_arn(kind: Kind, call: Call, name: str) -> str:
    return arn(kind, call.region, call.caller.account_id, name)


def named(kind: Kind, member: str | None = None) -> Any:
    """A `resources=` function: the ARN of the resource the request member names."""
    member = member or kind.name_member

    def resources(call: Call, params: dict[str, Any]) -> list[str]:
        return [call_arn(kind, call, params[member])]

    return resources


def parse(resource_arn: str) -> tuple[str, str, Kind, str] | None:
    """(region, account, kind, name) of a SageMaker resource ARN this service knows, or None."""
    parts = resource_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sagemaker":
        return None
    rtype, sep, name = parts[5].partition("/")
    kind = KINDS.get(rtype)
    if kind is None or not sep or not name:
        return None
    return parts[3], parts[4], kind, name


def role_name(role_arn: str) -> tuple[str, str] | None:
    """(account, role name) of `arn:aws:iam::ACCOUNT:role/PATH/NAME`, or None."""
    parts = role_arn.split(":", 5)
    if (
        len(parts) != 6
        or parts[0] != "arn"
        or parts[2] != "iam"
        or not parts[5].startswith("role/")
    ):
        return None
    return parts[4], parts[5].rsplit("/", 1)[-1]
