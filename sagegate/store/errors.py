"""Errors raised by `sagegate.store`.

The store speaks in entities, not in AWS error codes: the IAM layer maps `NotFound` to
`NoSuchEntity`, `AlreadyExists` to `EntityAlreadyExists`, `LimitExceeded` to `LimitExceeded` and
`DeleteConflict` to `DeleteConflict`. Each error carries the AWS-style message text in `message`
(the texts follow the messages AWS IAM returns), and its attributes are the contract.
No error ever carries a secret.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error the store raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(StoreError):
    """`entity` named `name` (a name, id or ARN) does not exist in the requested scope.

    Entities: "account", "user", "access_key", "user_policy", "policy", "policy_version",
    "attachment" (a policy that is not attached to the user named in the call).
    """

    def __init__(self, entity: str, name: str, message: str | None = None) -> None:
        self.entity = entity
        self.name = name
        super().__init__(message or _not_found_message(entity, name))


class AlreadyExists(StoreError):
    """An `entity` ("account", "user", "policy") with this `name` (compared case-insensitively)
    already exists."""

    def __init__(self, entity: str, name: str, message: str | None = None) -> None:
        self.entity = entity
        self.name = name
        super().__init__(message or _exists_message(entity, name))


class LimitExceeded(StoreError):
    """A quota was reached: `what` is the AWS quota name, `limit` its value; `message` replaces
    the usual "Cannot exceed quota for ..." where AWS words it otherwise."""

    def __init__(self, what: str, limit: int, message: str | None = None) -> None:
        self.what = what
        self.limit = limit
        super().__init__(message or f"Cannot exceed quota for {what}: {limit}")


class DeleteConflict(StoreError):
    """`entity` ("user") `name` cannot be deleted while it has dependents; `reason` is AWS's
    text, e.g. "Cannot delete entity, must delete access keys first."."""

    def __init__(self, entity: str, name: str, reason: str) -> None:
        self.entity = entity
        self.name = name
        self.reason = reason
        super().__init__(reason)


class InvalidMarker(StoreError):
    """A pagination marker that this store did not issue (or that was altered)."""

    def __init__(self) -> None:
        super().__init__("Invalid Marker.")


class KeyringError(StoreError):
    """The master key material is missing, malformed or unsafely stored."""


class SealedDataError(KeyringError):
    """A sealed blob failed authentication (tampered, wrong AAD) or names an unknown key."""


def _not_found_message(entity: str, name: str) -> str:
    match entity:
        case "policy" | "policy_version":
            return f"Policy {name} does not exist or is not attachable."
        case "attachment":
            return f"Policy {name} was not found."
        case "access_key":
            return f"The Access Key with id {name} cannot be found."
        case "user_policy":
            return f"The user policy with name {name} cannot be found."
        case "account":
            return f"The account {name} cannot be found."
        case _:
            return f"The {entity.replace('_', ' ')} with name {name} cannot be found."


def _exists_message(entity: str, name: str) -> str:
    match entity:
        case "policy":
            return f"A policy called {name} already exists. Duplicate names are not allowed."
        case "account":
            return "An account with this root email address already exists."
        case _:
            return f"{entity.replace('_', ' ').capitalize()} with name {name} already exists."
