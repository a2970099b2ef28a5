"""The STS service: importing this package registers its operations."""

from sagegate.sts import caller_identity  # noqa: F401
