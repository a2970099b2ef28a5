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
    "group": "The group with name {name} cannot be found.",
    "group_policy": "The group policy with name {name} cannot be found.",
    "login_profile": "Login Profile for User {name} cannot be found.",
    "password_policy": "The Password Policy with domain name {name} cannot be found.",
    "mfa_device": "VirtualMFADevice with serial number {name} doesn't exist.",
    "oidc_provider": "OpenIDConnect Provider not found for arn {name}",
    "saml_provider": "Manifest not found for arn {name}",
    "account_alias": "The account alias {name} cannot be found.",
    "role": "The role with name {name} cannot be found.",
    "role_policy": "The role policy with name {name} cannot be found.",
    "instance_profile": "Instance Profile {name} cannot be found.",
}
_EXISTS = {
    "user": "User with name {name} already exists.",
    "group": "Group with name {name} already exists.",
    "policy": "A policy called {name} already exists. Duplicate names are not allowed.",
    "login_profile": "Login Profile for user {name} already exists.",
    "mfa_device": "MFADevice entity at the same path and name already exists.",
    "mfa_device_in_use": "MFA Device is already in use.",
    "oidc_provider": "Provider with url {name} already exists.",
    "saml_provider": "SAMLProvider {name} already exists.",
    "account_alias": "The account alias {name} already exists.",
    "role": "Role with name {name} already exists.",
    "instance_profile": "Instance Profile {name} already exists.",
}


@contextmanager
def store_errors() -> Iterator[None]:
    """Translate the store's own errors raised inside the block into IAM's."""
    try:
        yield
    except NotFound as e:
        template = _NOT_FOUND.get(e.entity)
        message = e.message if template is None else template.format(name=e.name)
        raise no_such_entity(message) from None
    except AlreadyExists as e:
        template = _EXISTS.get(e.entity, "{entity} with name {name} already exists.")
        raise ServiceError(
            "EntityAlreadyExists", template.format(name=e.name, entity=e.entity), status=409
        ) from None
    except LimitExceeded as e:
        raise ServiceError("LimitExceeded", e.message, status=409) from None
    except DeleteConflict as e:
        raise ServiceError("DeleteConflict", e.reason, status=409) from None
