"""Identifiers in the shapes AWS IAM uses (see *IAM identifiers*, "Unique identifiers").

Account ids are 12 decimal digits; unique ids are a four-letter prefix (AIDA user, AROA role,
AGPA group, ANPA managed policy, AIPA instance profile, AKIA access key) plus characters of the
base32 alphabet [A-Z2-7]; secret access keys are 40 characters of [A-Za-z0-9/+].
"""

from __future__ import annotations

import secrets
import string

_BASE32 = string.ascii_uppercase + "234567"
_SECRET = string.ascii_letters + string.digits + "/+"


def _byte_table(alphabet: str) -> bytes:
    """Random byte -> character of `alphabet`: uniform because len(alphabet) divides 256."""
    assert 256 % len(alphabet) == 0
    return bytes(ord(alphabet[b % len(alphabet)]) for b in range(256))


_TABLES = {_BASE32: _byte_table(_BASE32), _SECRET: _byte_table(_SECRET)}


def _rand(alphabet: str, n: int) -> str:
    """`n` characters drawn uniformly from `alphabet` by the system's CSPRNG: one random byte
    per character, mapped in C."""
    return secrets.token_bytes(n).translate(_TABLES[alphabet]).decode()


def new_account_id() -> str:
    return f"{secrets.randbelow(10**12):012d}"


def new_user_id() -> str:
    return "AIDA" + _rand(_BASE32, 17)


def new_role_id() -> str:
    return "AROA" + _rand(_BASE32, 17)


def new_group_id() -> str:
    return "AGPA" + _rand(_BASE32, 17)


def new_policy_id() -> str:
    return "ANPA" + _rand(_BASE32, 17)


def new_instance_profile_id() -> str:
    return "AIPA" + _rand(_BASE32, 17)


def new_access_key_id() -> str:
    return "AKIA" + _rand(_BASE32, 16)


def new_secret_access_key() -> str:
    return _rand(_SECRET, 40)
