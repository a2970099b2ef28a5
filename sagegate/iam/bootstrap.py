"""Account bootstrap, as the AWS guide recommends: an account with its root user (email and
password), and a first IAM user `admin` with `AdministratorAccess` and one access key, so the root
user's credentials need not be used for everyday work."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

from sagegate.iam.managed import ADMINISTRATOR_ACCESS

ADMIN_USER = "admin"


@dataclass(frozen=True)
class Bootstrapped:
    account_id: str
    root_email: str
    root_password: str
    admin_user: str
    admin_access_key_id: str
    admin_secret_access_key: str
    root_access_key_id: str | None = None
    root_secret_access_key: str | None = None


def generate_password(length: int = 24) -> str:
    """A random password that satisfies any AWS password policy (all four character classes)."""
    alphabet = string.ascii_letters + string.digits + "!@#$%^&*()_+-=[]{}|'"
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in pw)
            and any(c.isupper() for c in pw)
            and any(c.isdigit() for c in pw)
            and any(not c.isalnum() for c in pw)
        ):
            return pw


def create_account(
    store: Any,
    root_email: str | None = None,
    root_password: str | None = None,
    *,
    root_access_key: bool = False,
) -> Bootstrapped:
    password = root_password or generate_password()
    email = root_email or f"root+{secrets.token_hex(4)}@sagegate.local"
    account = store.create_account(email, password)
    store.create_user(account.account_id, ADMIN_USER)
    store.attach_user_policy(account.account_id, ADMIN_USER, ADMINISTRATOR_ACCESS)
    key, secret = store.create_access_key(account.account_id, ADMIN_USER)
    root_key_id = root_secret = None
    if root_access_key:
        root_key, root_secret = store.create_access_key(account.account_id, None)
        root_key_id = root_key.access_key_id
    return Bootstrapped(
        account_id=account.account_id,
        root_email=account.root_email,
        root_password=password,
        admin_user=ADMIN_USER,
        admin_access_key_id=key.access_key_id,
        admin_secret_access_key=secret,
        root_access_key_id=root_key_id,
        root_secret_access_key=root_secret,
    )
