"""Alembic revisions of sagegate.store."""
