from __future__ import annotations

import re

from sagegate.store import ids

CASES = [
    (ids.new_account_id, r"[0-9]{12}"),
    (ids.new_user_id, r"AIDA[A-Z2-7]{17}"),
    (ids.new_role_id, r"AROA[A-Z2-7]{17}"),
    (ids.new_group_id, r"AGPA[A-Z2-7]{17}"),
    (ids.new_policy_id, r"ANPA[A-Z2-7]{17}"),
    (ids.new_access_key_id, r"AKIA[A-Z2-7]{16}"),
    (ids.new_secret_access_key, r"[A-Za-z0-9/+]{40}"),
]


def test_identifier_shapes_and_randomness() -> None:
    for make, pattern in CASES:
        values = {make() for _ in range(200)}
        assert len(values) == 200, make.__name__
        for v in values:
            assert re.fullmatch(pattern, v), (make.__name__, v)


def test_lengths() -> None:
    assert len(ids.new_user_id()) == 21
    assert len(ids.new_access_key_id()) == 20
    assert len(ids.new_secret_access_key()) == 40
