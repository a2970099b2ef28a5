"""SageMaker assuming execution roles, on a real store (SQLite and PostgreSQL) with a chosen clock:
when the role is assumed, Failed when it cannot be, the credentials held and their renewal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from sagegate.sagemaker import execution, passrole, states, training_jobs
from sagegate.sagemaker.common import public
from sagegate.sagemaker.credentials import NoCredentials, find, resource_credentials
from sagegate.store import Account, Keyring, SageMakerResource, Store

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PERIOD = 10  # seconds a transitional state lasts here


def trust(condition: dict[str, Any] | None = None, service: str = "sagemaker.amazonaws.com") -> str:
    stmt: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if condition:
        stmt["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})


@pytest.fixture(autouse=True)
def _period(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(states.ENV_VAR, str(PERIOD))


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    s = Store.open(
        store_url,
        tmp_path,
        Keyring.generate("k"),
        password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
    )
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def account(store: Store) -> Account:
    return store.create_account("root@example.com", "root-password")


def make(
    store: Store,
    account: Account,
    kind: str,
    name: str,
    role_arn: str,
    status: str | None,
    now: datetime = T0,
) -> SageMakerResource:
    member = "ExecutionRoleArn" if kind == "model" else "RoleArn"
    return store.create_sagemaker_resource(
        account_id=account.account_id,
        region="us-east-1",
        resource_type=kind,
        name=name,
        arn=f"arn:aws:sagemaker:us-east-1:{account.account_id}:{kind}/{name}",
        status=status,
        data={member: role_arn},
        now=now,
    )


def test_notebook_assumes_its_role_as_it_leaves_pending(store: Store, account: Account) -> None:
    role = store.create_role(account.account_id, "nb-role", trust())
    nb = make(store, account, "notebook-instance", "nb", role.arn, "Pending")
    early = execution.settle(store, nb, T0 + timedelta(seconds=PERIOD - 1))
    assert early.status == "Pending" and execution.HELD not in early.data
    with pytest.raises(NoCredentials, match="is Pending"):
        resource_credentials(store, early, T0 + timedelta(seconds=1))
    now = T0 + timedelta(seconds=PERIOD + 5)
    settled = execution.settle(store, nb, now)
    assert settled.status == "InService"
    assert settled.updated_at == T0 + timedelta(seconds=PERIOD)  # dated at the transition
    assert execution.HELD in settled.data and execution.HELD not in public(settled.data)
    assert "SecretAccessKey" not in json.dumps(settled.data)
    creds = resource_credentials(store, settled, now)
    assert creds.session_arn == f"arn:aws:sts::{account.account_id}:assumed-role/nb-role/SageMaker"
    assert creds.access_key_id.startswith("ASIA") and creds.role_arn == role.arn
    assert creds.expiration == now + timedelta(hours=1)
    facts = store.open_session(creds.access_key_id, creds.session_token)
    assert facts.kind == "AssumedRole" and facts.role_id == role.role_id
    assert facts.session_name == "SageMaker"
    assert facts.secret_access_key == creds.secret_access_key
    assert secret_free(creds)
    # The same session is handed out until five minutes before it expires, then a new one.
    again = resource_credentials(store, settled, now + timedelta(minutes=54))
    assert again.access_key_id == creds.access_key_id
    current = find(store, settled.arn)
    renewed = resource_credentials(store, current, now + timedelta(minutes=56))
    assert renewed.access_key_id != creds.access_key_id
    assert renewed.expiration == now + timedelta(minutes=56, hours=1)
    assert find(store, "nb", account_id=account.account_id).data[execution.HELD]["AccessKeyId"] == (
        renewed.access_key_id
    )


def test_a_settlement_the_same_write_leaves_mints_no_session(
    store: Store, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Stop/Update/Delete that finds the notebook leaving Pending settles and leaves the
    running state in one write: the role is assumed (trust decided, its use recorded), but the
    session it would hold is dropped in that write, so none is minted."""
    role = store.create_role(account.account_id, "leave-role", trust())
    nb = make(store, account, "notebook-instance", "leave", role.arn, "Pending")
    minted: list[object] = []
    real = store.issue_session
    monkeypatch.setattr(store, "issue_session", lambda **kw: minted.append(kw) or real(**kw))
    now = T0 + timedelta(seconds=PERIOD + 1)
    plan = execution.settlement(store, nb, now, leaving=True)
    assert plan is not None and not plan.failed and minted == []
    assert store.get_role(account.account_id, "leave-role").last_used_at == now
    assert execution.settled(plan, nb).status == "InService"
    store.update_assume_role_policy(
        account.account_id, "leave-role", trust(service="ec2.amazonaws.com")
    )
    refused = execution.settlement(store, nb, now, leaving=True)
    assert refused is not None and refused.failed and minted == []
    # Without `leaving`, the session is minted to be held.
    store.update_assume_role_policy(account.account_id, "leave-role", trust())
    held = execution.settlement(store, nb, now)
    assert held is not None and len(minted) == 1
    assert execution.settled(held, nb).data[execution.HELD]["AccessKeyId"].startswith("ASIA")


def secret_free(creds: Any) -> bool:
    return creds.secret_access_key not in repr(creds)


def test_notebook_fails_when_its_role_is_gone_or_untrusted(store: Store, account: Account) -> None:
    gone = store.create_role(account.account_id, "gone-role", trust())
    untrusted = store.create_role(account.account_id, "ec2-role", trust())
    nb1 = make(store, account, "notebook-instance", "nb1", gone.arn, "Pending")
    nb2 = make(store, account, "notebook-instance", "nb2", untrusted.arn, "Pending")
    store.delete_role(account.account_id, "gone-role")
    store.update_assume_role_policy(
        account.account_id, "ec2-role", trust(service="ec2.amazonaws.com")
    )
    now = T0 + timedelta(seconds=PERIOD * 3)
    for res, role_arn in ((nb1, gone.arn), (nb2, untrusted.arn)):
        failed = execution.settle(store, res, now)
        assert failed.status == "Failed"
        assert failed.updated_at == T0 + timedelta(seconds=PERIOD)
        assert failed.data["FailureReason"] == (
            f"SageMaker was unable to assume the role '{role_arn}'"
        )
        assert execution.HELD not in failed.data
        with pytest.raises(NoCredentials, match="is Failed; .*unable to assume"):
            resource_credentials(store, failed, now)
        # Settling again is a no-op.
        assert execution.settle(store, failed, now + timedelta(hours=1)) == failed


def test_source_arn_and_account_conditions(store: Store, account: Account) -> None:
    acct = account.account_id
    cond = {
        "StringEquals": {"aws:SourceAccount": acct},
        "ArnLike": {"aws:SourceArn": f"arn:aws:sagemaker:*:{acct}:notebook-instance/team-*"},
    }
    role = store.create_role(acct, "cond-role", trust(cond))
    ok = make(store, account, "notebook-instance", "team-a", role.arn, "Pending")
    other = make(store, account, "notebook-instance", "other-a", role.arn, "Pending")
    now = T0 + timedelta(seconds=PERIOD)
    assert execution.settle(store, ok, now).status == "InService"
    assert execution.settle(store, other, now).status == "Failed"
    wrong = store.create_role(
        acct, "wrong-acct", trust({"StringEquals": {"aws:SourceAccount": "111122223333"}})
    )
    nb = make(store, account, "notebook-instance", "team-b", wrong.arn, "Pending")
    assert execution.settle(store, nb, now).status == "Failed"


def test_training_job_assumes_its_role_after_starting(store: Store, account: Account) -> None:
    role = store.create_role(account.account_id, "tj-role", trust())
    job = make(store, account, "training-job", "tj", role.arn, "InProgress")
    starting = execution.settle(store, job, T0 + timedelta(seconds=PERIOD - 1))
    assert execution.HELD not in starting.data
    with pytest.raises(NoCredentials, match="not assumed the execution role"):
        resource_credentials(store, starting, T0 + timedelta(seconds=PERIOD - 1))
    now = T0 + timedelta(seconds=PERIOD + 1)
    running = execution.settle(store, job, now)
    assert running.status == "InProgress" and running.updated_at == T0
    assert training_jobs.timeline(running, now)["SecondaryStatus"] == "Downloading"
    creds = resource_credentials(store, running, now)
    assert creds.session_arn.endswith(":assumed-role/tj-role/SageMaker")
    # Completed: no credentials any more.
    with pytest.raises(NoCredentials, match="is Completed"):
        resource_credentials(store, running, T0 + timedelta(seconds=PERIOD * 5))


def test_training_job_fails_when_its_role_cannot_be_assumed(store: Store, account: Account) -> None:
    role = store.create_role(account.account_id, "tj-gone", trust())
    job = make(store, account, "training-job", "tj-f", role.arn, "InProgress")
    store.delete_role(account.account_id, "tj-gone")
    now = T0 + timedelta(seconds=PERIOD * 2)
    failed = execution.settle(store, job, now)
    reason = f"ClientError: SageMaker was unable to assume the role '{role.arn}'"
    assert failed.status == "Failed" and failed.data["FailureReason"] == reason
    times = training_jobs.timeline(failed, now)
    assert times["TrainingJobStatus"] == "Failed" and times["SecondaryStatus"] == "Failed"
    assert times["TrainingEndTime"] == T0 + timedelta(seconds=PERIOD)
    assert [t["Status"] for t in times["SecondaryStatusTransitions"]] == ["Starting", "Failed"]
    assert times["SecondaryStatusTransitions"][-1]["StatusMessage"] == reason


def test_model_credentials_on_demand_and_renewal_failure(store: Store, account: Account) -> None:
    role = store.create_role(account.account_id, "model-role", trust())
    model = make(store, account, "model", "m", role.arn, None)
    creds = resource_credentials(store, model, T0)
    assert creds.session_arn.endswith(":assumed-role/model-role/SageMaker")
    held = find(store, model.arn)
    assert held.data[execution.HELD]["AccessKeyId"] == creds.access_key_id
    store.update_assume_role_policy(
        account.account_id, "model-role", trust(service="ec2.amazonaws.com")
    )
    # Renewal fails: the credentials held are handed out while they last, then an error.
    late = T0 + timedelta(minutes=58)
    assert resource_credentials(store, held, late).access_key_id == creds.access_key_id
    with pytest.raises(NoCredentials, match="unable to assume the role"):
        resource_credentials(store, held, T0 + timedelta(hours=1))


def test_concurrent_readers_settle_once(store: Store, account: Account) -> None:
    role = store.create_role(account.account_id, "race-role", trust())
    nb = make(store, account, "notebook-instance", "race", role.arn, "Pending")
    now = T0 + timedelta(seconds=PERIOD)
    first = execution.settle(store, nb, now)
    second = execution.settle(store, nb, now)  # a stale copy: the row decides
    assert second.data[execution.HELD] == first.data[execution.HELD]
    assert second.updated_at == first.updated_at


def test_find_by_name_and_kind(store: Store, account: Account) -> None:
    role = store.create_role(account.account_id, "find-role", trust())
    make(store, account, "training-job", "same", role.arn, "InProgress")
    make(store, account, "model", "same", role.arn, None)
    with pytest.raises(NoCredentials, match="several resources"):
        find(store, "same", account_id=account.account_id)
    assert find(store, "same", account_id=account.account_id, resource_type="model").name == "same"
    with pytest.raises(NoCredentials, match="no SageMaker resource"):
        find(store, "nothing", account_id=account.account_id)
    with pytest.raises(NoCredentials, match="not a SageMaker resource ARN"):
        find(store, "arn:aws:iam::123456789012:role/x")


def test_processing_job_holds_what_was_assumed_at_create(store: Store, account: Account) -> None:
    role = store.create_role(account.account_id, "pj-role", trust())
    arn = f"arn:aws:sagemaker:us-east-1:{account.account_id}:processing-job/pj"
    held = execution.assume(
        store, role_arn=role.arn, source_arn=arn, account_id=account.account_id,
        region="us-east-1", now=T0,
    )  # fmt: skip
    assert held is not None
    job = store.create_sagemaker_resource(
        account_id=account.account_id,
        region="us-east-1",
        resource_type="processing-job",
        name="pj",
        arn=arn,
        status="InProgress",
        data={"RoleArn": role.arn, execution.HELD: held},
        now=T0,
    )
    creds = resource_credentials(store, job, T0 + timedelta(seconds=1))
    assert creds.access_key_id == held["AccessKeyId"]
    with pytest.raises(NoCredentials, match="is Completed"):
        resource_credentials(store, job, T0 + timedelta(seconds=PERIOD))
    untrusted = store.create_role(account.account_id, "pj-ec2", trust(service="ec2.amazonaws.com"))
    assert (
        execution.assume(
            store,
            role_arn=untrusted.arn,
            source_arn=arn,
            account_id=account.account_id,
            region="us-east-1",
            now=T0,
        )  # fmt: skip
        is None
    )


# -- the trust check SageMaker makes before it takes on a role (`passrole.assumable_role`): a
# condition-free trust policy's decision is remembered per (role, document), a policy with
# conditions is decided per request, and a changed trust policy is decided afresh.


def _source(account: Account, name: str) -> str:
    return f"arn:aws:sagemaker:us-east-1:{account.account_id}:notebook-instance/{name}"


def _assumable(store: Store, account: Account, arn: str, source: str) -> bool:
    found = passrole.assumable_role(store, arn, source, account.account_id, T0)
    return found is not None


def test_unconditional_decision_is_kept_per_document(store: Store, account: Account) -> None:
    role = store.create_role(account.account_id, "exec", trust())
    key = (role.arn, role.assume_role_policy_document)
    assert _assumable(store, account, role.arn, _source(account, "a"))
    assert passrole._trust_cache[key] is not None
    assert passrole._trust_cache[key].unconditional is True  # type: ignore[union-attr]
    assert _assumable(store, account, role.arn, _source(account, "b"))
    # A trust policy naming another service: decided afresh (another document), and refused.
    store.update_assume_role_policy(account.account_id, "exec", trust(service="ec2.amazonaws.com"))
    assert not _assumable(store, account, role.arn, _source(account, "a"))
    changed = store.get_role(account.account_id, "exec")
    kept = passrole._trust_cache[(changed.arn, changed.assume_role_policy_document)]
    assert kept is not None and kept.unconditional is False
    assert not _assumable(store, account, role.arn, _source(account, "a"))


def test_conditional_trust_is_decided_per_request(store: Store, account: Account) -> None:
    allowed = _source(account, "allowed")
    role = store.create_role(
        account.account_id, "scoped", trust({"StringEquals": {"aws:SourceArn": allowed}})
    )
    for _ in range(2):  # the first decision is not taken for the next
        assert _assumable(store, account, role.arn, allowed)
        assert not _assumable(store, account, role.arn, _source(account, "other"))
    found = passrole._trust_cache[(role.arn, role.assume_role_policy_document)]
    assert found is not None and found.unconditional is None
