"""The account: aliases, GetAccountSummary, GetAccountAuthorizationDetails, credential reports."""

from __future__ import annotations
