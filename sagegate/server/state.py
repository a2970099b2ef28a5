"""Opening the deployment's state: the keyring and the store, migrated and seeded."""

from __future__ import annotations

from typing import Any

from sagegate.iam import managed
from sagegate.server.settings import Settings
from sagegate.store import Keyring, Store


def open_store(settings: Settings) -> Any:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    keyring = Keyring.load(settings.data_dir)
    store = Store.open(settings.database_url, settings.data_dir, keyring)
    store.migrate()
    managed.seed(store)
    return store
