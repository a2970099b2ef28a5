"""The IAM service: importing this package registers its operations."""

from sagegate.iam import access_keys, user_policies, users  # noqa: F401
