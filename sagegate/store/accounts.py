"""Accounts and their root users (email + argon2id password hash)."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from sagegate.store import ids
from sagegate.store.base import StoreBase, utcnow
from sagegate.store.errors import AlreadyExists, NotFound, StoreError
from sagegate.store.records import Account
from sagegate.store.schema import AccountRow, RootUserRow


class AccountsMixin(StoreBase):
    def create_account(self, root_email: str, root_password: str) -> Account:
        """A new account with a unique random 12-digit id; the root email is unique (any case)."""
        password_hash = self._passwords.hash(root_password)  # slow: outside the transaction
        now = utcnow()
        with self._write() as s:
            if s.execute(
                select(RootUserRow.account_id).where(RootUserRow.email_lower == root_email.lower())
            ).first():
                raise AlreadyExists("account", root_email)
            for _ in range(20):
                account_id = ids.new_account_id()
                if s.get(AccountRow, account_id) is None:
                    break
            else:  # pragma: no cover - 20 collisions in 10**12
                raise StoreError("could not allocate an account id")
            s.add(AccountRow(account_id=account_id, created_at=now))
            s.flush()
            s.add(
                RootUserRow(
                    account_id=account_id,
                    email=root_email,
                    email_lower=root_email.lower(),
                    password_hash=password_hash,
                    created_at=now,
                )
            )
            try:
                s.flush()
            except IntegrityError:
                raise AlreadyExists("account", root_email) from None
        return Account(account_id=account_id, root_email=root_email, created_at=now)

    def get_account(self, account_id: str) -> Account:
        with self._read() as s:
            row = s.execute(
                select(AccountRow.account_id, RootUserRow.email, AccountRow.created_at)
                .join(RootUserRow, RootUserRow.account_id == AccountRow.account_id)
                .where(AccountRow.account_id == account_id)
            ).first()
        if row is None:
            raise NotFound("account", account_id)
        return Account(account_id=row[0], root_email=row[1], created_at=row[2])

    def list_accounts(self) -> list[Account]:
        with self._read() as s:
            rows = s.execute(
                select(AccountRow.account_id, RootUserRow.email, AccountRow.created_at)
                .join(RootUserRow, RootUserRow.account_id == AccountRow.account_id)
                .order_by(AccountRow.created_at, AccountRow.account_id)
            ).all()
        return [Account(account_id=a, root_email=e, created_at=c) for a, e, c in rows]

    def account_count(self) -> int:
        with self._read() as s:
            return int(s.execute(select(func.count()).select_from(AccountRow)).scalar_one())

    def verify_root_password(self, email: str, password: str) -> Account | None:
        """The account whose root user has this email and password, else None.

        An unknown email still costs one argon2 verification, so timing does not tell whether
        the email is registered. A hash made with outdated parameters is upgraded on success.
        """
        with self._read() as s:
            row = s.execute(
                select(RootUserRow, AccountRow.created_at)
                .join(AccountRow, AccountRow.account_id == RootUserRow.account_id)
                .where(RootUserRow.email_lower == email.lower())
            ).first()
        if row is None:
            self._passwords.verify(None, password)
            return None
        root, created_at = row
        if not self._passwords.verify(root.password_hash, password):
            return None
        if self._passwords.needs_rehash(root.password_hash):
            new_hash = self._passwords.hash(password)
            with self._write(bump=False) as s:
                s.execute(
                    update(RootUserRow)
                    .where(RootUserRow.account_id == root.account_id)
                    .values(password_hash=new_hash)
                )
        return Account(account_id=root.account_id, root_email=root.email, created_at=created_at)
