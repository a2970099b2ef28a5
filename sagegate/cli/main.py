"""`sagegate` command line: serve | init | account create | policy validate/simulate |
sagemaker credentials | role revoke-sessions."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict

from sagegate.cli import policy as policy_cli
from sagegate.cli import roles as roles_cli
from sagegate.cli import sagemaker as sagemaker_cli
from sagegate.cli.common import open_state, store_args
from sagegate.server.settings import DEFAULT_PORT, Settings


def _account_args(p: argparse.ArgumentParser) -> None:
    store_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    p.add_argument("--root-email")
    p.add_argument("--root-password")
    p.add_argument(
        "--root-access-key",
        action="store_true",
        help="also create an access key for the root user (AWS advises against it)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sagegate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API server")
    store_args(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")

    init = sub.add_parser("init", help="create the first account (root user + IAM admin)")
    _account_args(init)

    account = sub.add_parser("account", help="accounts of this deployment")
    account_sub = account.add_subparsers(dest="account_command", required=True)
    create = account_sub.add_parser("create", help="create another account")
    _account_args(create)

    policy_cli.add_parser(sub)
    sagemaker_cli.add_parser(sub)
    roles_cli.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from sagegate.cli.serve import serve

        settings = Settings(
            host=args.host,
            port=args.port,
            data_dir=args.data_dir,
            database_url=args.database_url,
            workers=args.workers,
        )
        return serve(settings, log_level=args.log_level)
    if args.command == "policy":
        return policy_cli.run(args)
    if args.command == "sagemaker":
        return sagemaker_cli.run(args)
    if args.command == "role":
        return roles_cli.run(args)
    if args.command == "init":
        return _create_account(args, first=True)
    if args.command == "account" and args.account_command == "create":
        return _create_account(args, first=False)
    return 2


def _create_account(args: argparse.Namespace, *, first: bool) -> int:
    from sagegate.cli.output import print_credentials
    from sagegate.iam.bootstrap import create_account

    store = open_state(args)
    try:
        if first and store.account_count() > 0:
            print(
                f"sagegate init: {args.data_dir} already has an account; "
                "use `sagegate account create` for another one.",
                file=sys.stderr,
            )
            return 1
        made = create_account(
            store, args.root_email, args.root_password, root_access_key=args.root_access_key
        )
    finally:
        store.close()
    if args.root_access_key:
        print(
            "warning: the root user now has an access key. AWS recommends against it: use the "
            "IAM user `admin` for everyday work and delete the root key when done.",
            file=sys.stderr,
        )
    if args.json:
        data = {k: v for k, v in asdict(made).items() if v is not None}
        print(json.dumps(data))
    else:
        print_credentials(made, generated_password=args.root_password is None)
    return 0


if __name__ == "__main__":
    logging.basicConfig()
    sys.exit(main())
