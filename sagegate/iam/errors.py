"""IAM's error vocabulary: the store's errors in AWS's words (IAM API Reference, *Common Errors* and
each operation's *Errors* section)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sagegate.protocol.errors import ServiceError
from sagegate.store import AlreadyExists, DeleteConflict, LimitExceeded, NotFound


def no_such_entity(message: str) -> ServiceError:
    return ServiceError("NoSuchEntity", message, status=404, sender_fault=True)


def invalid_input(message: str) -> ServiceError:
    return ServiceError("InvalidInput", message, status=400, sender_fault=True)


def malformed_policy(message: str) -> ServiceError:
    return ServiceError("MalformedPolicyDocument", message, status=400, sender_fault=True)


_NOT_FOUND = {
    "user": "The user with name {name} cannot be found.",
    "access_key": "The Access Key with id {name} cannot be found.",
    "user_policy": "The user policy with name {name} cannot be found.",
    "policy": "Policy {name} does not exist or is not attachable.",
    "attachment": "Policy {name} was not found.",
}
_EXISTS = {
    "user": "User with name {name} already exists.",
    "policy": "A policy called {name} already exists. Duplicate names are not allowed.",
}


@contextmanager
def store_errors() -> Iterator[None]:
    """Translate the store's own errors raised inside the block into IAM's."""
    try:
        yield
    except NotFound as e:
        template = _NOT_FOUND.get(e.entity, "The {entity} with name {name} cannot be found.")
        raise no_such_entity(template.format(name=e.name, entity=e.entity)) from None
    except AlreadyExists as e:
        template = _EXISTS.get(e.entity, "{entity} with name {name} already exists.")
        raise ServiceError(
            "EntityAlreadyExists", template.format(name=e.name, entity=e.entity), status=409
        ) from None
    except LimitExceeded as e:
        raise ServiceError(
            "LimitExceeded", f"Cannot exceed quota for {e.what}: {e.limit}", status=409
        ) from None
    except DeleteConflict as e:
        raise ServiceError("DeleteConflict", e.reason, status=409) from None
