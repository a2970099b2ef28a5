"""The credential report's CSV, column for column as the IAM User Guide describes it (*Getting
credential reports for your AWS account*, "Understanding the report format").

AWS writes `N/A` where a value does not apply (no password, no second key), `no_information`
where a credential was never used, and `not_supported` for the root user's password columns;
timestamps are ISO 8601 to the second. Certificates are not modelled: `cert_*` are always
inactive. A report is a snapshot: it is rendered once, when GenerateCredentialReport runs, stored
(`credential_reports`), and good for `REPORT_LIFETIME` ("You can generate a credential report as
often as once every four hours").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime, timedelta

from sagegate.store.records import CredentialFacts

REPORT_LIFETIME = timedelta(hours=4)

REPORT_COLUMNS = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)


def is_current(generated_at: datetime, now: datetime) -> bool:
    """Whether a report generated at `generated_at` is still good at `now` (under four hours)."""
    return now - generated_at < REPORT_LIFETIME


def _ts(value: datetime | None, missing: str = "N/A") -> str:
    return missing if value is None else value.replace(microsecond=0).isoformat()


def render(facts: Sequence[CredentialFacts], max_password_age: int) -> str:
    """The report for `facts` (root first, then the users); `max_password_age` in days from the
    account password policy (0: passwords do not expire, `password_next_rotation` is N/A)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for f in facts:
        row = [f.user, f.arn, _ts(f.created_at)]
        if f.is_root:
            row += ["not_supported", _ts(f.password_last_used, "no_information")]
            row += ["not_supported", "not_supported"]
        elif f.password_enabled:
            rotation = "N/A"
            if max_password_age and f.password_changed_at is not None:
                rotation = _ts(f.password_changed_at + timedelta(days=max_password_age))
            row += ["true", _ts(f.password_last_used, "no_information")]
            row += [_ts(f.password_changed_at), rotation]
        else:
            row += ["false", "N/A", "N/A", "N/A"]
        row.append("true" if f.mfa_active else "false")
        for i in range(2):
            if i < len(f.keys):
                k = f.keys[i]
                row += ["true" if k.active else "false", _ts(k.created_at), _ts(k.last_used_at)]
                row += [k.last_used_region or "N/A", k.last_used_service or "N/A"]
            else:
                row += ["false", "N/A", "N/A", "N/A", "N/A"]
        row += ["false", "N/A", "false", "N/A"]
        writer.writerow(row)
    return out.getvalue()
