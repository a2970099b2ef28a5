"""Errors of the policy package.

One base, `PolicyError`; each stage (parse, compile, evaluate) adds its own small subclass whose
attributes are the contract the service layers map onto AWS wire errors (cedar-policy-core and
Authlib style). Messages never contain secrets: they quote only the policy document itself.
"""

from __future__ import annotations


class PolicyError(Exception):
    """Base of every error raised by `sagegate.policy`."""


class MalformedPolicyDocument(PolicyError):
    """A policy document that AWS would reject with the `MalformedPolicyDocument` error code.

    `message` is AWS's text, exactly as IAM returns it on the wire (e.g. "Syntax errors in
    policy."), and is what `str(e)` gives. `path` is the JSON path of the offending element
    ("Statement[1].Condition.DateGreaterThan.aws:CurrentTime", "" for the whole document) and
    `detail` says what was wrong in our own words; AWS's texts are often generic, so `describe()`
    joins the three for logs, the CLI and the policy simulator.
    """

    def __init__(self, message: str, path: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.detail = detail

    def __str__(self) -> str:
        return self.message

    def describe(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.message} ({where}{self.detail})" if self.detail else self.message


class PolicySizeExceeded(MalformedPolicyDocument):
    """The document is longer than the quota for its kind (whitespace not counted).

    AWS reports this as `LimitExceeded`, not `MalformedPolicyDocument`; the IAM and STS layers
    map it by type. `message` is AWS's text ("Cannot exceed quota for PolicySize: 6144"),
    `quota` the quota's name, `limit` and `size` are characters without whitespace.
    """

    def __init__(self, quota: str, limit: int, size: int) -> None:
        super().__init__(
            f"Cannot exceed quota for {quota}: {limit}",
            "",
            f"document has {size} characters without whitespace; the limit is {limit}",
        )
        self.quota = quota
        self.limit = limit
        self.size = size


class InvalidArn(PolicyError, ValueError):
    """A string that is not an ARN of the form arn:partition:service:region:account:resource."""

    def __init__(self, value: str, reason: str) -> None:
        shown = value if len(value) <= 200 else value[:200] + "..."
        super().__init__(f"Invalid ARN {shown!r}: {reason}")
        self.value = value
        self.reason = reason
