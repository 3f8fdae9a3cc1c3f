"""The http probe sends the health check's headers (e.g. Host for an app that checks it)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from sealift.targets.probe import main, probe_http


class _HostChecking(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # the name http.server calls
        self.send_response(200 if self.headers.get("Host") == "example.org" else 421)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def port() -> Iterator[int]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _HostChecking)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_headers_are_sent(port: int) -> None:
    assert probe_http(port, "/", 5.0) == "GET / answered 421"
    assert probe_http(port, "/", 5.0, headers={"Host": "example.org"}) == ""


def test_headers_on_the_command_line(port: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["http", str(port), "/", "5", "Host:example.org"]) == 0
    assert main(["http", str(port), "/", "5"]) == 1
    assert capsys.readouterr().out == "GET / answered 421\n"
