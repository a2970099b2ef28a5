"""Glue between identity, store and policy: who is calling, which policies apply, which context
keys the request carries."""

from sagegate.authz.authorizer import AccessDenied, Authorizer
from sagegate.authz.epoch import EpochGuard
from sagegate.authz.identity import Identities

__all__ = ["AccessDenied", "Authorizer", "EpochGuard", "Identities"]
