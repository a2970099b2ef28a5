"""The database schema as SQLAlchemy 2 typed declarative models.

The Alembic revisions in `sagegate/store/alembic/versions` create exactly this schema (a test
compares them). Names are unique per account case-insensitively through a `name_lower` column
with a unique constraint; `name` keeps the case the caller used. Every timestamp is stored as
UTC and read back timezone-aware. `tags` is generic (entity_type, entity_id) so users, roles,
policies and later groups and instance profiles share it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC; always returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = _aware_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Any:
        """On SQLite, `process_bind_param` and SQLite's DATETIME text in one step (its storage
        format, "YYYY-MM-DD HH:MM:SS.ffffff"): every write binds timestamps."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            value = _aware_utc(value)
            return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (  # noqa: UP031 (the fastest form)
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.microsecond,
            )

        return process

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class AccountRow(Base):
    __tablename__ = "accounts"
    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RootUserRow(Base):
    __tablename__ = "root_users"
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.account_id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str] = mapped_column(String(320))
    email_lower: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("account_id", "name_lower"),)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # No index of its own: the unique key's index leads with it (migration 0005).
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"))
    name: Mapped[str] = mapped_column(String(64))
    name_lower: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    permissions_boundary_arn: Mapped[str | None] = mapped_column(String(2048))


class RoleRow(Base):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("account_id", "name_lower"),)
    role_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    name_lower: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(512))
    assume_role_policy_document: Mapped[str] = mapped_column(Text)
    max_session_duration: Mapped[int] = mapped_column(Integer, default=3600)
    description: Mapped[str | None] = mapped_column(String(1000))
    permissions_boundary_arn: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccessKeyRow(Base):
    __tablename__ = "access_keys"
    access_key_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.user_id"), index=True)
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_service: Mapped[str | None] = mapped_column(String(128))
    last_used_region: Mapped[str | None] = mapped_column(String(64))


class UserInlinePolicyRow(Base):
    __tablename__ = "user_inline_policies"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.user_id"), primary_key=True)
    name_lower: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    document: Mapped[str] = mapped_column(Text)


class ManagedPolicyRow(Base):
    __tablename__ = "managed_policies"
    __table_args__ = (UniqueConstraint("account_id", "name_lower"),)
    arn: Mapped[str] = mapped_column(String(2048), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))  # an account id, or "aws"
    policy_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    name_lower: Mapped[str] = mapped_column(String(128))
    path: Mapped[str] = mapped_column(String(512))
    description: Mapped[str | None] = mapped_column(String(1000))
    default_version_id: Mapped[str] = mapped_column(String(32))
    attachment_count: Mapped[int] = mapped_column(Integer, default=0)
    is_attachable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PolicyVersionRow(Base):
    __tablename__ = "policy_versions"
    policy_arn: Mapped[str] = mapped_column(
        ForeignKey("managed_policies.arn", ondelete="CASCADE"), primary_key=True
    )
    version_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UserPolicyAttachmentRow(Base):
    __tablename__ = "user_policy_attachments"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.user_id"), primary_key=True)
    policy_arn: Mapped[str] = mapped_column(
        ForeignKey("managed_policies.arn"), primary_key=True, index=True
    )


class TagRow(Base):
    __tablename__ = "tags"
    entity_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(2048), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
    position: Mapped[int] = mapped_column(Integer, default=0)


class MetaRow(Base):
    """Counters such as `authz_epoch`."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


# -- revision 0002: the rest of IAM (groups, roles' policies, instance profiles, passwords, MFA,
# -- identity providers, aliases) and SageMaker resources ------------------------------------


class GroupRow(Base):
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("account_id", "name_lower"),)
    group_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    name_lower: Mapped[str] = mapped_column(String(128))
    path: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupMembershipRow(Base):
    __tablename__ = "group_memberships"
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.group_id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.user_id"), primary_key=True, index=True)


class GroupInlinePolicyRow(Base):
    __tablename__ = "group_inline_policies"
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.group_id"), primary_key=True)
    name_lower: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    document: Mapped[str] = mapped_column(Text)


class GroupPolicyAttachmentRow(Base):
    __tablename__ = "group_policy_attachments"
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.group_id"), primary_key=True)
    policy_arn: Mapped[str] = mapped_column(
        ForeignKey("managed_policies.arn"), primary_key=True, index=True
    )


class RoleInlinePolicyRow(Base):
    __tablename__ = "role_inline_policies"
    role_id: Mapped[str] = mapped_column(ForeignKey("roles.role_id"), primary_key=True)
    name_lower: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    document: Mapped[str] = mapped_column(Text)


class RolePolicyAttachmentRow(Base):
    __tablename__ = "role_policy_attachments"
    role_id: Mapped[str] = mapped_column(ForeignKey("roles.role_id"), primary_key=True)
    policy_arn: Mapped[str] = mapped_column(
        ForeignKey("managed_policies.arn"), primary_key=True, index=True
    )


class RoleUsageRow(Base):
    """RoleLastUsed, and what marks a service-linked role."""

    __tablename__ = "role_usage"
    role_id: Mapped[str] = mapped_column(ForeignKey("roles.role_id"), primary_key=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_region: Mapped[str | None] = mapped_column(String(64))
    service_linked_to: Mapped[str | None] = mapped_column(String(256))


class InstanceProfileRow(Base):
    __tablename__ = "instance_profiles"
    __table_args__ = (UniqueConstraint("account_id", "name_lower"),)
    instance_profile_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    name_lower: Mapped[str] = mapped_column(String(128))
    path: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InstanceProfileRoleRow(Base):
    """At most one role per instance profile (AWS's quota)."""

    __tablename__ = "instance_profile_roles"
    instance_profile_id: Mapped[str] = mapped_column(
        ForeignKey("instance_profiles.instance_profile_id"), primary_key=True
    )
    role_id: Mapped[str] = mapped_column(ForeignKey("roles.role_id"), index=True)


class LoginProfileRow(Base):
    __tablename__ = "login_profiles"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.user_id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    password_reset_required: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_last_used: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AccountPasswordPolicyRow(Base):
    __tablename__ = "account_password_policies"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), primary_key=True)
    settings: Mapped[str] = mapped_column(Text)  # JSON object keyed by the API's member names


class MfaDeviceRow(Base):
    """A virtual MFA device; `user_id` is set while it is enabled for a user (None for root's
    when `is_root`)."""

    __tablename__ = "mfa_devices"
    serial_number: Mapped[str] = mapped_column(String(2048), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    name: Mapped[str] = mapped_column(String(226))
    path: Mapped[str] = mapped_column(String(512))
    seed_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.user_id"), index=True)
    is_root: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_counter: Mapped[int] = mapped_column(BigInteger, default=0)  # TOTP replay protection
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OidcProviderRow(Base):
    __tablename__ = "oidc_providers"
    arn: Mapped[str] = mapped_column(String(2048), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    url: Mapped[str] = mapped_column(String(255))
    client_ids: Mapped[str] = mapped_column(Text)  # JSON list
    thumbprints: Mapped[str] = mapped_column(Text)  # JSON list
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SamlProviderRow(Base):
    __tablename__ = "saml_providers"
    arn: Mapped[str] = mapped_column(String(2048), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    metadata_document: Mapped[str] = mapped_column(Text)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountAliasRow(Base):
    """Aliases are unique across the deployment, as across AWS."""

    __tablename__ = "account_aliases"
    alias: Mapped[str] = mapped_column(String(63), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), unique=True)


class SageMakerResourceRow(Base):
    """Every SageMaker resource (notebook instance, lifecycle config, training job, processing
    job, model, endpoint config, endpoint): its identity columns, and its description as JSON
    keyed by the Describe* output member names."""

    __tablename__ = "sagemaker_resources"
    __table_args__ = (UniqueConstraint("account_id", "region", "resource_type", "name_lower"),)
    arn: Mapped[str] = mapped_column(String(2048), primary_key=True)
    # No index of its own: the unique key's index leads with it (migration 0005).
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"))
    region: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(256))
    name_lower: Mapped[str] = mapped_column(String(256))
    status: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# -- revision 0004: credential report snapshots, password reuse history -----------------------


class CredentialReportRow(Base):
    """The account's latest credential report, the CSV as GenerateCredentialReport wrote it."""

    __tablename__ = "credential_reports"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), primary_key=True)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content: Mapped[str] = mapped_column(Text)


class PasswordHistoryRow(Base):
    """A user's recent password hashes (argon2id, never the password) for the password policy's
    PasswordReusePrevention; `position` grows by one with each password set (newest highest)."""

    __tablename__ = "password_history"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.user_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
