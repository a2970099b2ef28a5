"""The STS service: importing this package registers its operations."""

from sagegate.sts import assume_role, caller_identity, session_token  # noqa: F401
