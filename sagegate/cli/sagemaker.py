"""`sagegate sagemaker credentials`: the credentials SageMaker holds for a resource.

Prints the temporary credentials of the resource's execution role (the role session
`assumed-role/ROLE/SageMaker` that SageMaker obtained when the resource started; see
`sagegate.sagemaker.execution`) as one JSON object in the AWS CLI's `credential_process` format
(AWS CLI User Guide, *Sourcing credentials with an external process*), so a workload can use
them directly::

    [profile notebook]
    credential_process = sagegate sagemaker credentials --data-dir /srv/sagegate my-notebook

The resource is named by its ARN, or by its name with `--account-id` (default: the only account
of the deployment), `--region` (default us-east-1) and, when several kinds share the name,
`--type`. Opens the store directly, like `init`: an operator's command, not an API call.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from sagegate.cli.common import account_of, open_state, store_args

TYPES = ("notebook-instance", "training-job", "processing-job", "model")


def add_parser(sub: Any) -> None:
    """Add `sagemaker credentials` to the `sagegate` subcommands."""
    sagemaker = sub.add_parser("sagemaker", help="SageMaker resources of this deployment")
    cmds = sagemaker.add_subparsers(dest="sagemaker_command", required=True)
    creds = cmds.add_parser(
        "credentials",
        help="print the execution-role credentials SageMaker holds for a resource "
        "(credential_process JSON)",
    )
    creds.add_argument("resource", metavar="ARN_OR_NAME")
    store_args(creds)
    creds.add_argument("--account-id", default=None, help="the resource's account (for a name)")
    creds.add_argument("--region", default="us-east-1", help="the resource's region (for a name)")
    creds.add_argument("--type", choices=TYPES, default=None, help="the resource's kind")


def run(args: argparse.Namespace) -> int:
    from sagegate.sagemaker.credentials import NoCredentials, find, resource_credentials

    store = open_state(args)
    try:
        account = None if args.resource.startswith("arn:") else account_of(store, args.account_id)
        if not args.resource.startswith("arn:") and account is None:
            print(
                "sagegate sagemaker credentials: the deployment has several accounts; "
                "give --account-id (or the resource's ARN)",
                file=sys.stderr,
            )
            return 2
        res = find(
            store, args.resource, account_id=account, region=args.region, resource_type=args.type
        )
        held = resource_credentials(store, res, datetime.now(UTC))
    except NoCredentials as e:
        print(f"sagegate sagemaker credentials: {e.message}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(json.dumps(held.credential_process()))
    return 0
