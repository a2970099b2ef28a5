"""The AWS managed policies sagegate ships, with their real documents and version ids, under
`arn:aws:iam::aws:policy/...` (IAM User Guide, *AWS managed policies*).

The documents live in `aws_managed_policies.json` beside this module (taken from AWS's published
policies); `seed` writes them into the store, idempotently, on every start.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


@cache
def aws_managed_policies() -> dict[str, dict[str, Any]]:
    text = resources.files(__package__).joinpath("aws_managed_policies.json").read_text()
    data: dict[str, dict[str, Any]] = json.loads(text)
    return data


def seed(store: Any) -> None:
    for name, p in aws_managed_policies().items():
        store.ensure_aws_managed_policy(
            name=name,
            path=p["Path"],
            document=json.dumps(p["Document"], separators=(",", ":")),
            version_id=p["DefaultVersionId"],
            description=p.get("Description", ""),
            created_at=datetime.fromisoformat(p["CreateDate"]),
            updated_at=datetime.fromisoformat(p["UpdateDate"]),
        )
