"""Credential reports as AWS keeps them, through boto3 and the AWS CLI: a snapshot taken by
GenerateCredentialReport, kept (COMPLETE) for four hours, then expired (IAM User Guide, *Getting
credential reports for your AWS account*; IAM API Reference, GetCredentialReport's errors).

Four hours pass without sleeping: the test moves the stored report's generation time back in the
deployment's database, as the clock would."""

from __future__ import annotations

import base64
import csv
import io
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select, update

from sagegate.store.engine import make_engine
from sagegate.store.schema import CredentialReportRow
from tests.e2e.harness import Deployment
from tests.e2e.helpers import allow, new_user


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def users(content: bytes | str) -> dict[str, dict[str, str]]:
    text = content.decode() if isinstance(content, bytes) else content
    return {r["user"]: r for r in csv.DictReader(io.StringIO(text))}


def age_report(d: Deployment, by: timedelta) -> None:
    """Move the account's report `by` into the past (the clock moving on)."""
    engine = make_engine(d.database_url or f"sqlite:///{d.data_dir / 'sagegate.db'}")
    try:
        table = CredentialReportRow.__table__
        mine = table.c.account_id == d.account["account_id"]
        with engine.begin() as conn:
            generated = conn.execute(select(table.c.generated_at).where(mine)).scalar_one()
            conn.execute(update(table).where(mine).values(generated_at=generated - by))
    finally:
        engine.dispose()


def test_report_is_a_snapshot_until_the_next_generation_four_hours_on(
    deployment: Deployment,
) -> None:
    iam = deployment.client("iam")
    with pytest.raises(ClientError) as e:
        iam.get_credential_report()
    assert error(e)[0] == "ReportNotPresent" and error(e)[2] == 410

    iam.create_user(UserName="snap-early")
    started = iam.generate_credential_report()
    assert started["State"] == "STARTED"
    assert started["Description"] == "No report exists. Starting a new report generation task"
    first = iam.get_credential_report()
    assert first["ReportFormat"] == "text/csv"
    assert users(first["Content"])["snap-early"]["access_key_1_active"] == "false"

    # Changes after the generation are not in the report, and generating again keeps it.
    iam.create_user(UserName="snap-late")
    iam.create_access_key(UserName="snap-early")
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    assert deployment.aws("iam", "generate-credential-report")["State"] == "COMPLETE"
    again = iam.get_credential_report()
    assert again["Content"] == first["Content"]
    assert again["GeneratedTime"] == first["GeneratedTime"]
    assert "snap-late" not in users(again["Content"])
    assert users(again["Content"])["snap-early"]["access_key_1_active"] == "false"
    cli = deployment.aws("iam", "get-credential-report")
    assert cli["ReportFormat"] == "text/csv"
    assert base64.b64decode(cli["Content"]) == first["Content"]

    # Four hours on the report has expired; the next generation takes a new snapshot.
    age_report(deployment, timedelta(hours=4))
    with pytest.raises(ClientError) as e:
        iam.get_credential_report()
    assert error(e)[0] == "ReportExpired" and error(e)[2] == 410
    expired = deployment.aws("iam", "get-credential-report", check=False)
    assert expired.returncode != 0 and "ReportExpired" in expired.stderr
    assert deployment.aws("iam", "generate-credential-report")["State"] == "STARTED"
    fresh = iam.get_credential_report()
    assert fresh["GeneratedTime"] >= first["GeneratedTime"]
    rows = users(fresh["Content"])
    assert "snap-late" in rows and rows["snap-early"]["access_key_1_active"] == "true"


def test_generate_and_get_are_separate_actions(deployment: Deployment) -> None:
    creds = new_user(deployment, "report-maker", allow("iam:GenerateCredentialReport"))
    maker = deployment.client("iam", creds)
    assert maker.generate_credential_report()["State"] in ("STARTED", "COMPLETE")
    with pytest.raises(ClientError) as e:
        maker.get_credential_report()
    assert error(e)[0] == "AccessDenied"
    creds = new_user(deployment, "report-reader", allow("iam:GetCredentialReport"))
    reader = deployment.client("iam", creds)
    assert reader.get_credential_report()["ReportFormat"] == "text/csv"
    with pytest.raises(ClientError) as e:
        reader.generate_credential_report()
    assert error(e)[0] == "AccessDenied"
