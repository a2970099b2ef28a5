"""The STS service: importing this package registers its operations."""

from sagegate.sts import (  # noqa: F401
    assume_role,
    caller_identity,
    saml,
    session_token,
    web_identity,
)
