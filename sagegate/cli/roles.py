"""`sagegate role revoke-sessions ROLE`: revoke every session of a role issued until now.

What the IAM console's *Revoke active sessions* does (IAM User Guide, *Revoking IAM role temporary
security credentials*): put an inline policy named `AWSRevokeOlderSessions` on the role that
denies every action to sessions whose `aws:TokenIssueTime` is older than now, replacing the one
put there before. Sessions issued afterwards are unaffected; the deny takes effect on the next
request on every replica (it is an authorization write). The inline policy is visible and can
be removed with `aws iam delete-role-policy` like any other.

Opens the store directly, like `init`: an operator's command, not an API call.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sagegate.cli.common import account_of, open_state, store_args

POLICY_NAME = "AWSRevokeOlderSessions"


def revoke_document(now: datetime) -> str:
    """The console's policy: deny everything to sessions issued before `now`. Token issue times
    are compared in whole seconds, so the cut-off is the next whole second: a session issued in
    the same second as the revocation is revoked too (assume the role again a second later)."""
    issued_before = cutoff(now).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": ["*"],
                    "Resource": ["*"],
                    "Condition": {"DateLessThan": {"aws:TokenIssueTime": issued_before}},
                }
            ],
        }
    )


def cutoff(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)


def add_parser(sub: Any) -> None:
    role = sub.add_parser("role", help="IAM roles of this deployment")
    cmds = role.add_subparsers(dest="role_command", required=True)
    revoke = cmds.add_parser(
        "revoke-sessions",
        help=f"deny every session of the role issued until now (inline policy {POLICY_NAME})",
    )
    revoke.add_argument("role", metavar="ROLE_NAME")
    store_args(revoke)
    revoke.add_argument(
        "--account-id", default=None, help="the role's account (default: the only account)"
    )


def run(args: argparse.Namespace) -> int:
    from sagegate.store import NotFound

    store = open_state(args)
    try:
        account = account_of(store, args.account_id)
        if account is None:
            print("sagegate: several accounts: name the role's with --account-id")
            return 2
        now = datetime.now(UTC)
        try:
            role = store.get_role(account, args.role)
            store.put_role_policy(account, role.name, POLICY_NAME, revoke_document(now))
        except NotFound:
            print(f"sagegate: no role {args.role} in account {account}")
            return 1
        print(
            f"Sessions of {role.arn} issued before {cutoff(now):%Y-%m-%dT%H:%M:%SZ} are now "
            f"denied (inline policy {POLICY_NAME})."
        )
        return 0
    finally:
        store.close()
