"""sts:AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML."""

from __future__ import annotations
