"""Resource states, driven by time instead of by workloads (nothing runs for real).

A resource stores the phase it entered and when (`status`, `updated_at`); what a reader sees is
derived on read: a transitional phase (e.g. a notebook's `Pending`) reads as its successor
(`InService`) once `SAGEGATE_SAGEMAKER_TRANSITION_SECONDS` (default 2) have passed. No
background work, deterministic for a given clock. The phases and their successors follow the
SageMaker API Reference (`NotebookInstanceStatus`, `EndpointStatus`, `ProcessingJobStatus`,
`TrainingJobStatus`); a phase whose successor is GONE (`Deleting`) ends with the resource gone.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sagegate.store import SageMakerResource

ENV_VAR = "SAGEGATE_SAGEMAKER_TRANSITION_SECONDS"
DEFAULT_SECONDS = 2.0
GONE = "<gone>"

SUCCESSOR: dict[tuple[str, str], str] = {
    ("notebook-instance", "Pending"): "InService",
    ("notebook-instance", "Stopping"): "Stopped",
    ("notebook-instance", "Updating"): "Stopped",
    ("notebook-instance", "Deleting"): GONE,
    ("endpoint", "Creating"): "InService",
    ("endpoint", "Updating"): "InService",
    ("endpoint", "Deleting"): GONE,
    ("processing-job", "InProgress"): "Completed",
    ("processing-job", "Stopping"): "Stopped",
    ("training-job", "Stopping"): "Stopped",
}


def transition_seconds() -> float:
    """How long a transitional phase lasts; read from the environment on every call so a
    deployment (or a test) can set it without a restart of this module."""
    raw = os.environ.get(ENV_VAR)
    if not raw:
        return DEFAULT_SECONDS
    try:
        return max(0.0, float(raw))
    except ValueError:
        return DEFAULT_SECONDS


def elapsed(since: datetime, now: datetime) -> float:
    return (now - since).total_seconds()


def status_at(res: SageMakerResource, now: datetime, seconds: float | None = None) -> str | None:
    """The status a reader sees at `now` (GONE once a deletion has completed)."""
    status = res.status
    if status is None:
        return None
    nxt = SUCCESSOR.get((res.resource_type, status))
    if nxt is None:
        return status
    t = transition_seconds() if seconds is None else seconds
    return nxt if elapsed(res.updated_at, now) >= t else status


def gone_by(resource_type: str, now: datetime) -> tuple[str, datetime] | None:
    """What a resource of this type that is gone at `now` looks like as stored: (the status
    that ends with it gone, the latest time it can have entered it); None if none does."""
    for (kind, status), successor in SUCCESSOR.items():
        if kind == resource_type and successor == GONE:
            return status, now - timedelta(seconds=transition_seconds())
    return None
