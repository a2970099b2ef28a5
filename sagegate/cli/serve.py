"""`sagegate serve`: open (and on first start bootstrap) the deployment, then run uvicorn."""

from __future__ import annotations

import logging
import os

import uvicorn

from sagegate.cli.output import print_credentials
from sagegate.iam.bootstrap import create_account
from sagegate.server.app import build_app, settle_heap
from sagegate.server.dispatch import Dispatcher
from sagegate.server.http import HttpProtocol
from sagegate.server.settings import Settings
from sagegate.server.state import open_store


def serve(settings: Settings, *, log_level: str = "info") -> int:
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    store = open_store(settings)
    if store.account_count() == 0:
        made = create_account(store)
        print_credentials(
            made, generated_password=True, endpoint=f"http://{settings.host}:{settings.port}"
        )
    common = dict(
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        loop="uvloop",
        http=HttpProtocol,
        access_log=False,
        # aws:SourceIp is the TCP peer: uvicorn would otherwise believe X-Forwarded-For from
        # loopback clients, letting any local caller choose the address its policies see.
        proxy_headers=False,
        timeout_graceful_shutdown=10,
        server_header=False,
    )
    if settings.workers > 1:
        store.close()
        os.environ.update(settings.to_env())
        uvicorn.run(
            "sagegate.server.app:create_app", factory=True, workers=settings.workers, **common
        )
    else:
        app = build_app(Dispatcher(store), settings)
        settle_heap()
        uvicorn.run(app, **common)
    return 0
