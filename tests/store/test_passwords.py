from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher

from sagegate.store.passwords import Passwords

CHEAP = dict(time_cost=1, memory_cost=8, parallelism=1)


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(**CHEAP)
        self.verifies = 0

    def verify(self, hash: Any, password: Any) -> bool:  # noqa: A002 - argon2's name
        self.verifies += 1
        return super().verify(hash, password)


def test_hash_is_argon2id_and_verifies() -> None:
    pw = Passwords(PasswordHasher(**CHEAP))
    h = pw.hash("correct horse")
    assert h.startswith("$argon2id$")
    assert "correct horse" not in h
    assert pw.verify(h, "correct horse")
    assert not pw.verify(h, "correct horsE")
    assert not pw.verify(h, "")


def test_garbage_hash_does_not_verify() -> None:
    pw = Passwords(PasswordHasher(**CHEAP))
    assert not pw.verify("not-a-hash", "x")


def test_missing_user_still_spends_a_hash() -> None:
    hasher = CountingHasher()
    pw = Passwords(hasher)
    assert not pw.verify(None, "anything")
    assert hasher.verifies == 1
    # The dummy never matches, whatever is typed, including an empty password.
    assert not pw.verify(None, "")
    assert hasher.verifies == 2


def test_needs_rehash_when_parameters_change() -> None:
    h = Passwords(PasswordHasher(**CHEAP)).hash("pw")
    assert not Passwords(PasswordHasher(**CHEAP)).needs_rehash(h)
    assert Passwords(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)).needs_rehash(h)
