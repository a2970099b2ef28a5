"""A real `sagegate serve` on a free loopback port, for end-to-end tests.

`Deployment` runs `sagegate init --json` (or `account create`) and `sagegate serve` as subprocesses
of the project's own virtual environment, on SQLite in a temporary folder or on a fresh PostgreSQL
database, and hands out boto3 clients and an AWS CLI runner bound to it. Nothing is mocked.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

BIN = Path(sys.executable).parent
SAGEGATE = str(BIN / "sagegate")
AWS = str(BIN / "aws") if (BIN / "aws").exists() else shutil.which("aws") or "aws"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_postgres_database(base_url: str) -> str:
    """A new empty database in the test cluster; returns its SQLAlchemy URL."""
    import psycopg

    name = "sg_" + secrets.token_hex(6)
    conninfo = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = base_url.rpartition("/")
    return f"{head}/{name}"


@dataclass
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


@dataclass
class Deployment:
    data_dir: Path
    database_url: str | None
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    account: dict[str, Any] = field(default_factory=dict)
    log_path: Path | None = None
    workers: int = 1

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def store_args(self) -> list[str]:
        """`--data-dir` (and `--database-url`) of this deployment, for `sagegate` commands."""
        args = ["--data-dir", str(self.data_dir)]
        if self.database_url:
            args += ["--database-url", self.database_url]
        return args

    def run_cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [SAGEGATE, *args], capture_output=True, text=True, check=check, timeout=120
        )

    def init(self, *extra: str) -> dict[str, Any]:
        out = self.run_cli("init", *self.store_args(), "--json", *extra)
        self.account = json.loads(out.stdout)
        return self.account

    def create_account(self, *extra: str) -> dict[str, Any]:
        out = self.run_cli("account", "create", *self.store_args(), "--json", *extra)
        return dict(json.loads(out.stdout))

    def start(self) -> None:
        self.log_path = self.data_dir / f"serve-{self.port}.log"
        with open(self.log_path, "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [SAGEGATE, "serve", *self.store_args(), "--port", str(self.port)]
                + ["--log-level", "info", "--workers", str(self.workers)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sagegate serve exited:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"sagegate serve did not start:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=30)
        finally:
            self.proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    # -- clients ---------------------------------------------------------------------------------

    @property
    def admin(self) -> Credentials:
        return Credentials(
            self.account["admin_access_key_id"], self.account["admin_secret_access_key"]
        )

    def client(
        self, service: str, creds: Credentials | None = None, region: str = "us-east-1"
    ) -> Any:
        creds = creds or self.admin
        return boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
            aws_session_token=creds.session_token,
            config=Config(retries={"max_attempts": 1}),
        )

    def aws(self, *args: str, creds: Credentials | None = None, check: bool = True) -> Any:
        """Run the real AWS CLI against the server; returns parsed JSON output (or the process
        when check=False)."""
        creds = creds or self.admin
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {
            "AWS_ACCESS_KEY_ID": creds.access_key_id,
            "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_MAX_ATTEMPTS": "1",
        }
        if creds.session_token:
            env["AWS_SESSION_TOKEN"] = creds.session_token
        proc = subprocess.run(
            [AWS, "--endpoint-url", self.endpoint, "--output", "json", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        if not check:
            return proc
        if proc.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed: {proc.stderr}")
        return json.loads(proc.stdout) if proc.stdout.strip() else {}
