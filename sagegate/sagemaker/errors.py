"""SageMaker's error vocabulary (SageMaker API Reference, *Common Errors* and each operation's
*Errors*): most failures are `ValidationException` with the texts SageMaker returns, a few
`ResourceNotFound`, `ResourceInUse` and `ResourceLimitExceeded`. All are HTTP 400."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sagegate.protocol import ServiceError
from sagegate.store import LimitExceeded


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, status=400)


def in_use(message: str) -> ServiceError:
    return ServiceError("ResourceInUse", message, status=400)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFound", message, status=400)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("ResourceLimitExceeded", message, status=400)


def wrong_status(
    status: str | None, allowed: str, target: str, label: str, arn: str
) -> ServiceError:
    """An action in the wrong state, as SageMaker words it for notebook instances."""
    return validation(
        f"Status ({status}) not in ([{allowed}]). Unable to transition to ({target}) "
        f"for {label} ({arn})"
    )


def could_not_assume(role_arn: str) -> ServiceError:
    return validation(
        f"Could not assume role {role_arn}. Please ensure that the role exists and allows "
        "principal 'sagemaker.amazonaws.com' to assume the role."
    )


@contextmanager
def tag_limits() -> Iterator[None]:
    try:
        yield
    except LimitExceeded as e:
        raise validation(
            f"1 validation error detected: Value at 'tags' failed to satisfy constraint: "
            f"Member must have length less than or equal to {e.limit}"
        ) from None
