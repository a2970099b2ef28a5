"""Alembic migrations of sagegate.store (run through `sagegate.store.engine.migrate`)."""
