"""Time-driven states: what a reader sees at a given clock (no waiting, no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sagegate.sagemaker import states, training_jobs
from sagegate.store import SageMakerResource

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def res(kind: str, status: str | None, since: datetime = T0, **data: Any) -> SageMakerResource:
    return SageMakerResource(
        arn="arn",
        account_id="1",
        region="r",
        resource_type=kind,
        name="n",
        status=status,
        data=data,
        created_at=T0,
        updated_at=since,
    )


@pytest.fixture(autouse=True)
def _seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(states.ENV_VAR, "10")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("kind", "status", "before", "after"),
    [
        ("notebook-instance", "Pending", "Pending", "InService"),
        ("notebook-instance", "Stopping", "Stopping", "Stopped"),
        ("notebook-instance", "Updating", "Updating", "Stopped"),
        ("notebook-instance", "Deleting", "Deleting", states.GONE),
        ("notebook-instance", "Stopped", "Stopped", "Stopped"),
        ("notebook-instance", "Failed", "Failed", "Failed"),
        ("endpoint", "Creating", "Creating", "InService"),
        ("endpoint", "Updating", "Updating", "InService"),
        ("endpoint", "Deleting", "Deleting", states.GONE),
        ("processing-job", "InProgress", "InProgress", "Completed"),
        ("processing-job", "Stopping", "Stopping", "Stopped"),
        ("model", None, None, None),
    ],
)
def test_transitions(kind: str, status: str | None, before: str | None, after: str | None) -> None:
    r = res(kind, status)
    assert states.status_at(r, at(9.999)) == before
    assert states.status_at(r, at(10)) == after
    assert states.status_at(r, at(10), seconds=20) == before


def test_transition_seconds_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(states.ENV_VAR, "0")
    assert states.status_at(res("notebook-instance", "Pending"), T0) == "InService"
    monkeypatch.setenv(states.ENV_VAR, "not a number")
    assert states.transition_seconds() == states.DEFAULT_SECONDS
    monkeypatch.delenv(states.ENV_VAR)
    assert states.transition_seconds() == 2.0


def secondary(r: SageMakerResource, seconds: float) -> tuple[str, str, list[str]]:
    t = training_jobs.timeline(r, at(seconds))
    return (
        t["TrainingJobStatus"],
        t["SecondaryStatus"],
        [x["Status"] for x in t["SecondaryStatusTransitions"]],
    )


def test_training_secondary_statuses() -> None:
    job = res("training-job", "InProgress")
    assert secondary(job, 0) == ("InProgress", "Starting", ["Starting"])
    assert secondary(job, 15) == ("InProgress", "Downloading", ["Starting", "Downloading"])
    assert secondary(job, 25)[1] == "Training"
    assert secondary(job, 39)[1] == "Uploading"
    assert secondary(job, 40) == (
        "Completed",
        "Completed",
        ["Starting", "Downloading", "Training", "Uploading", "Completed"],
    )
    t = training_jobs.timeline(job, at(15))
    assert t["SecondaryStatusTransitions"][0]["EndTime"] == at(10)
    assert "EndTime" not in t["SecondaryStatusTransitions"][1]
    done = training_jobs.timeline(job, at(100))
    assert done["TrainingEndTime"] == at(40) and done["LastModifiedTime"] == at(40)


def test_training_stopped_and_max_runtime() -> None:
    stopped = res("training-job", "Stopping", since=at(25))
    assert secondary(stopped, 24)[1] == "Training"
    assert secondary(stopped, 30) == (
        "Stopping",
        "Stopping",
        ["Starting", "Downloading", "Training", "Stopping"],
    )
    assert secondary(stopped, 35) == (
        "Stopped",
        "Stopped",
        ["Starting", "Downloading", "Training", "Stopping", "Stopped"],
    )
    short = res("training-job", "InProgress", StoppingCondition={"MaxRuntimeInSeconds": 5})
    assert secondary(short, 14)[0] == "InProgress"
    assert secondary(short, 15) == (
        "Stopped",
        "MaxRuntimeExceeded",
        ["Starting", "Downloading", "MaxRuntimeExceeded"],
    )
