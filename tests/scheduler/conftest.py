"""Fixtures shared by the scheduler tests."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from tests.scheduler.receivers import FakePlatform


@pytest.fixture
def platform() -> Iterator[str]:
    """A fake supervision platform on loopback; yields its URL."""
    FakePlatform.failures, FakePlatform.received, FakePlatform.bad_signatures = 0, [], 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakePlatform)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/escalations"
    server.shutdown()
    server.server_close()
