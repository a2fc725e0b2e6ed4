"""``taskledger serve``: gunicorn in-process, the Flask app built in each worker.

No preload: each worker calls the factory after the fork, so every eventsourcing
Application (and its connection pool) belongs to exactly one process. On the embedded
SQLite store one worker is enough (and avoids writers contending for the file);
PostgreSQL gets several workers and the database serialises their writes.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from ledger.store import StoreConfig


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from api.app import wsgi

        return wsgi()


def serve(config: StoreConfig, host: str, port: int, workers: int | None = None) -> None:
    os.environ["TASKLEDGER_DATABASE_URL"] = config.url or f"sqlite:///{config.sqlite_path}"
    if workers is None:
        workers = 1 if config.backend == "sqlite" else max(2, (os.cpu_count() or 1) * 2)
    _Gunicorn({
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": 4,
        "worker_class": "gthread",
        "preload_app": False,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "warning",
        "graceful_timeout": 5,
        "timeout": 60,
    }).run()
