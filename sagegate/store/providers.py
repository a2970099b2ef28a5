"""OpenID Connect and SAML identity providers (IAM User Guide: *Creating OpenID Connect (OIDC)
identity providers*, *Creating IAM SAML identity providers*; IAM API Reference: Create/Get/List/
Delete/Tag/Untag*OpenIDConnectProvider*, *SAMLProvider*). Quotas from *IAM and AWS STS quotas*:
100 OIDC providers and 100 SAML providers per account, 100 client ids and 5 thumbprints per OIDC
provider.

Both kinds are rows keyed by ARN with the account's id, counted against a per-account quota and
tagged (`tagging`); the shared steps are `_ProviderKind` helpers, so only what differs (client ids
and thumbprints, metadata documents) is written per kind. The IAM layer validates URLs, metadata
documents and names; the store keeps them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sagegate.store import tagging
from sagegate.store.base import StoreBase, utcnow
from sagegate.store.errors import AlreadyExists, LimitExceeded, NotFound
from sagegate.store.records import OidcProvider, SamlProvider, Tags
from sagegate.store.schema import OidcProviderRow, SamlProviderRow

OIDC_TAG = tagging.OIDC_PROVIDER.entity_type
SAML_TAG = tagging.SAML_PROVIDER.entity_type
OIDC_PROVIDERS_PER_ACCOUNT = 100
SAML_PROVIDERS_PER_ACCOUNT = 100
CLIENT_IDS_PER_PROVIDER = 100
THUMBPRINTS_PER_PROVIDER = 5


def oidc_arn(account_id: str, url: str) -> str:
    """`url` without its scheme: host[/path]."""
    return f"arn:aws:iam::{account_id}:oidc-provider/{url}"


def saml_arn(account_id: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:saml-provider/{name}"


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


@dataclass(frozen=True)
class _ProviderKind:
    """What differs between the two kinds in the steps they share."""

    model: Any  # OidcProviderRow | SamlProviderRow
    entity: str  # NotFound/AlreadyExists entity
    tags: tagging.TagRules
    quota: str  # LimitExceeded name of the per-account quota
    per_account: int

    def row(self, s: Session, account_id: str, arn: str, *, lock: bool = False) -> Any:
        row = s.get(self.model, arn, with_for_update=lock or None)
        if row is None or row.account_id != account_id:
            raise NotFound(self.entity, arn)
        return row

    def add(self, s: Session, row: Any, shown_name: str, tags: Sequence[tuple[str, str]]) -> None:
        """Insert a new provider row (within the quota) with its tags; `shown_name` is what
        AlreadyExists names."""
        if s.get(self.model, row.arn) is not None:
            raise AlreadyExists(self.entity, shown_name)
        count = s.execute(
            select(func.count())
            .select_from(self.model)
            .where(self.model.account_id == row.account_id)
        ).scalar_one()
        if count >= self.per_account:
            raise LimitExceeded(self.quota, self.per_account)
        s.add(row)
        tagging.add_tags(s, self.tags, row.arn, tuple(tags))
        s.flush()

    def rows(self, s: Session, account_id: str) -> list[Any]:
        return list(
            s.execute(
                select(self.model)
                .where(self.model.account_id == account_id)
                .order_by(self.model.arn)
            ).scalars()
        )

    def delete(self, s: Session, account_id: str, arn: str) -> None:
        row = self.row(s, account_id, arn, lock=True)
        tagging.drop_tags(s, self.tags, arn)
        s.delete(row)


OIDC = _ProviderKind(
    OidcProviderRow,
    "oidc_provider",
    tagging.OIDC_PROVIDER,
    "OpenIdProviders",
    OIDC_PROVIDERS_PER_ACCOUNT,
)
SAML = _ProviderKind(
    SamlProviderRow,
    "saml_provider",
    tagging.SAML_PROVIDER,
    "SAMLProviders",
    SAML_PROVIDERS_PER_ACCOUNT,
)


class ProvidersMixin(StoreBase):
    # -- both kinds ---------------------------------------------------------------------------

    def _tag_provider(
        self, kind: _ProviderKind, account_id: str, arn: str, tags: Sequence[tuple[str, str]]
    ) -> None:
        with self._write() as s:
            kind.row(s, account_id, arn, lock=True)
            tagging.add_tags(s, kind.tags, arn, tuple(tags))

    def _untag_provider(
        self, kind: _ProviderKind, account_id: str, arn: str, keys: Sequence[str]
    ) -> None:
        with self._write() as s:
            kind.row(s, account_id, arn, lock=True)
            tagging.remove_tags(s, kind.tags, arn, keys)

    def provider_tags(self, account_id: str, arn: str) -> Tags:
        """Tags of an OIDC or SAML provider of `account_id`, by ARN."""
        if ":saml-provider/" in arn:
            return self.get_saml_provider(account_id, arn).tags
        return self.get_oidc_provider(account_id, arn).tags

    # -- OpenID Connect -----------------------------------------------------------------------

    def _to_oidc(self, s: Session, row: OidcProviderRow) -> OidcProvider:
        return OidcProvider(
            arn=row.arn,
            account_id=row.account_id,
            url=row.url,
            client_ids=tuple(json.loads(row.client_ids)),
            thumbprints=tuple(json.loads(row.thumbprints)),
            created_at=row.created_at,
            tags=self._tags_of(s, OIDC_TAG, [row.arn]).get(row.arn, ()),
        )

    def create_oidc_provider(
        self,
        account_id: str,
        url: str,
        client_ids: Sequence[str] = (),
        thumbprints: Sequence[str] = (),
        tags: Sequence[tuple[str, str]] = (),
    ) -> OidcProvider:
        """`url` is host[/path] (the IAM layer strips `https://`)."""
        client_ids, thumbprints = _unique(client_ids), _unique(thumbprints)
        if len(client_ids) > CLIENT_IDS_PER_PROVIDER:
            raise LimitExceeded("ClientIdsPerOpenIdConnectProvider", CLIENT_IDS_PER_PROVIDER)
        if len(thumbprints) > THUMBPRINTS_PER_PROVIDER:
            raise LimitExceeded("ThumbprintsPerOpenIdConnectProvider", THUMBPRINTS_PER_PROVIDER)
        with self._write() as s:
            self._account_row(s, account_id, lock=True)
            row = OidcProviderRow(
                arn=oidc_arn(account_id, url),
                account_id=account_id,
                url=url,
                client_ids=json.dumps(client_ids),
                thumbprints=json.dumps(thumbprints),
                created_at=utcnow(),
            )
            OIDC.add(s, row, "https://" + url, tags)
            return self._to_oidc(s, row)

    def get_oidc_provider(self, account_id: str, arn: str) -> OidcProvider:
        with self._read() as s:
            return self._to_oidc(s, OIDC.row(s, account_id, arn))

    def list_oidc_providers(self, account_id: str) -> list[OidcProvider]:
        with self._read() as s:
            return [self._to_oidc(s, r) for r in OIDC.rows(s, account_id)]

    def delete_oidc_provider(self, account_id: str, arn: str) -> None:
        with self._write() as s:
            OIDC.delete(s, account_id, arn)

    def add_oidc_client_id(self, account_id: str, arn: str, client_id: str) -> None:
        """Adding a client id the provider already has is a no-op, as in AWS."""
        with self._write() as s:
            row = OIDC.row(s, account_id, arn, lock=True)
            ids = json.loads(row.client_ids)
            if client_id in ids:
                return
            if len(ids) >= CLIENT_IDS_PER_PROVIDER:
                raise LimitExceeded("ClientIdsPerOpenIdConnectProvider", CLIENT_IDS_PER_PROVIDER)
            row.client_ids = json.dumps([*ids, client_id])

    def remove_oidc_client_id(self, account_id: str, arn: str, client_id: str) -> None:
        """Removing a client id the provider does not have is a no-op, as in AWS."""
        with self._write() as s:
            row = OIDC.row(s, account_id, arn, lock=True)
            row.client_ids = json.dumps([c for c in json.loads(row.client_ids) if c != client_id])

    def update_oidc_thumbprints(
        self, account_id: str, arn: str, thumbprints: Sequence[str]
    ) -> None:
        thumbprints = _unique(thumbprints)
        if len(thumbprints) > THUMBPRINTS_PER_PROVIDER:
            raise LimitExceeded("ThumbprintsPerOpenIdConnectProvider", THUMBPRINTS_PER_PROVIDER)
        with self._write() as s:
            row = OIDC.row(s, account_id, arn, lock=True)
            row.thumbprints = json.dumps(thumbprints)

    def tag_oidc_provider(self, account_id: str, arn: str, tags: Sequence[tuple[str, str]]) -> None:
        self._tag_provider(OIDC, account_id, arn, tags)

    def untag_oidc_provider(self, account_id: str, arn: str, keys: Sequence[str]) -> None:
        self._untag_provider(OIDC, account_id, arn, keys)

    # -- SAML ---------------------------------------------------------------------------------

    def _to_saml(self, s: Session, row: SamlProviderRow) -> SamlProvider:
        return SamlProvider(
            arn=row.arn,
            account_id=row.account_id,
            name=row.name,
            metadata_document=row.metadata_document,
            valid_until=row.valid_until,
            created_at=row.created_at,
            tags=self._tags_of(s, SAML_TAG, [row.arn]).get(row.arn, ()),
        )

    def create_saml_provider(
        self,
        account_id: str,
        name: str,
        metadata_document: str,
        valid_until: datetime | None,
        tags: Sequence[tuple[str, str]] = (),
    ) -> SamlProvider:
        with self._write() as s:
            self._account_row(s, account_id, lock=True)
            row = SamlProviderRow(
                arn=saml_arn(account_id, name),
                account_id=account_id,
                name=name,
                metadata_document=metadata_document,
                valid_until=valid_until,
                created_at=utcnow(),
            )
            SAML.add(s, row, name, tags)
            return self._to_saml(s, row)

    def get_saml_provider(self, account_id: str, arn: str) -> SamlProvider:
        with self._read() as s:
            return self._to_saml(s, SAML.row(s, account_id, arn))

    def list_saml_providers(self, account_id: str) -> list[SamlProvider]:
        with self._read() as s:
            return [self._to_saml(s, r) for r in SAML.rows(s, account_id)]

    def update_saml_provider(
        self, account_id: str, arn: str, metadata_document: str, valid_until: datetime | None
    ) -> None:
        with self._write() as s:
            row = SAML.row(s, account_id, arn, lock=True)
            row.metadata_document = metadata_document
            row.valid_until = valid_until

    def delete_saml_provider(self, account_id: str, arn: str) -> None:
        with self._write() as s:
            SAML.delete(s, account_id, arn)

    def tag_saml_provider(self, account_id: str, arn: str, tags: Sequence[tuple[str, str]]) -> None:
        self._tag_provider(SAML, account_id, arn, tags)

    def untag_saml_provider(self, account_id: str, arn: str, keys: Sequence[str]) -> None:
        self._untag_provider(SAML, account_id, arn, keys)
