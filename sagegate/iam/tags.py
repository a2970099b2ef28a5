"""The tags of a request, checked as IAM checks them before anything is written (IAM User Guide,
*Tagging IAM resources*, "Rules for tagging in IAM and AWS STS").

* Keys must be distinct: case-insensitively for users and roles (and, as sagegate has always
  done, for policies, MFA devices and identity providers), case-sensitively for instance
  profiles. A repeat is AWS's InvalidInput "Duplicate tag keys found...".
* "You cannot create a tag key or value that begins with the text aws:. This tag prefix is
  reserved for AWS internal use." AWS's tagging guide adds that the prefix is reserved in any
  combination of upper and lower case. Every Create*/Tag* call that carries tags refuses such a
  key or value, and every Untag* call refuses such a key ("you can't edit or delete tag keys
  with this prefix"), with InvalidInput, before the store is asked. AWS's exact wording is not
  documented; ours names the offending key or value.
"""

from __future__ import annotations

from typing import Any

from sagegate.iam.errors import invalid_input
from sagegate.protocol.errors import ServiceError

RESERVED_PREFIX = "aws:"
DUPLICATE_TAGS = "Duplicate tag keys found. Please note that Tag keys are case insensitive."


def reserved(text: str) -> bool:
    """Does `text` begin with `aws:`, in any case?"""
    return text[: len(RESERVED_PREFIX)].lower() == RESERVED_PREFIX


def _reserved_key(key: str) -> ServiceError:
    return invalid_input(
        f"Tag key '{key}' begins with 'aws:'; the prefix 'aws:' is reserved for AWS use."
    )


def tag_pairs(
    params: dict[str, Any], *, case_insensitive: bool = True
) -> tuple[tuple[str, str], ...]:
    """The request's `Tags` as (key, value) pairs, refused with InvalidInput when a key repeats
    or a key or value begins with `aws:`."""
    pairs = tuple((t["Key"], t.get("Value", "")) for t in params.get("Tags") or [])
    for key, value in pairs:
        if reserved(key):
            raise _reserved_key(key)
        if reserved(value):
            raise invalid_input(
                f"Tag value '{value}' of key '{key}' begins with 'aws:'; the prefix 'aws:' is "
                "reserved for AWS use."
            )
    keys = [k.lower() if case_insensitive else k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise invalid_input(DUPLICATE_TAGS)
    return pairs


def untag_keys(params: dict[str, Any]) -> tuple[str, ...]:
    """The request's `TagKeys`, refused with InvalidInput when one begins with `aws:`."""
    keys = tuple(str(k) for k in params.get("TagKeys") or ())
    for key in keys:
        if reserved(key):
            raise _reserved_key(key)
    return keys
