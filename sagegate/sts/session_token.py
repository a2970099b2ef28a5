"""sts:GetSessionToken, GetFederationToken, GetAccessKeyInfo, DecodeAuthorizationMessage."""

from __future__ import annotations
