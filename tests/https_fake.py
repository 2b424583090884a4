"""What the local HTTPS fakes of Azure APIs share: a TLS server on 127.0.0.1 in its own thread,
answering every request with what the fake's `handle(method, target, headers, body)` returns."""

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Answer = tuple[int, Any, dict[str, str]]  # status, JSON payload (None: no body), headers


class HttpsFake:
    """Start with `with Fake(cert, key) as fake:`; the server stops when the block ends."""

    def __init__(self, cert: Path, key: Path):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server = _Server(self, context)
        # A daemon, so that a test that never reaches __exit__ cannot keep the interpreter alive.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Answer:
        raise NotImplementedError


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    timeout = 5  # a client that stalls cannot hold a server thread for longer

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PATCH(self) -> None:
        self._answer("PATCH")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def _answer(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, payload, headers = self.server.fake.handle(method, self.path, self.headers, body)
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the fakes count calls; a line per request would only clutter the test output


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: HttpsFake, context: ssl.SSLContext):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        # The TLS handshake happens on the first read, in the request's own thread under its
        # timeout, rather than in accept(), where a stalled client would block the server.
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
