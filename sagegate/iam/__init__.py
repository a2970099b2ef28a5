"""The IAM service: importing this package registers its operations."""

from sagegate.iam import (  # noqa: F401
    access_keys,
    account,
    groups,
    instance_profiles,
    login_profiles,
    managed_policies,
    mfa,
    providers,
    role_policies,
    roles,
    service_linked_roles,
    simulator,
    user_policies,
    users,
)
