"""Identity providers: OpenID Connect and SAML providers."""

from __future__ import annotations
