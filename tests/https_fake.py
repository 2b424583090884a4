"""What the local HTTPS fakes of Azure APIs share: a TLS server on 127.0.0.1 in its own thread,
answering every request with what the fake's `handle(method, target, headers, body)` returns.

A fake given `spec=` (a tests.rest_spec.RestSpec) checks every request against the published REST
spec before `handle()` and every answer after it; what is off-spec collects in `spec_violations`, and
leaving the `with` block fails the test with them.
"""

import json
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.rest_spec import RestSpec, SpecSet

Answer = tuple[int, Any, dict[str, str]]  # status, JSON payload (None: no body), headers


class HttpsFake:
    """Start with `with Fake(cert, key) as fake:`; the server stops when the block ends."""

    def __init__(self, cert: Path, key: Path, *, spec: RestSpec | SpecSet | None = None):
        self.spec = spec
        self.spec_violations: list[str] = []  # "METHOD target: problem", in the order found
        self._spec_lock = threading.Lock()
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

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        with self._spec_lock:
            violations = list(self.spec_violations)
        if violations and exc[0] is None:  # an exception on its way out says more than these
            raise AssertionError(
                "the fake received or served what its REST spec does not allow:\n" + "\n".join(violations)
            )

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Answer:
        raise NotImplementedError

    def _check_request(self, method: str, target: str, headers: Any, body: bytes) -> None:
        if self.spec is not None:
            self._record(method, target, lambda spec: spec.request_problems(method, target, headers, body))

    def _check_answer(self, method: str, target: str, status: int, headers: dict[str, str], data: bytes) -> None:
        if self.spec is not None:
            self._record(method, target, lambda spec: spec.response_problems(method, target, status, headers, data))

    def _record(self, method: str, target: str, check: Callable[[RestSpec], list[str]]) -> None:
        assert self.spec is not None
        try:
            problems = check(self.spec)
        except Exception as error:  # a check that breaks must fail the test, not the server thread
            problems = [f"the spec check failed: {error!r}"]
        with self._spec_lock:
            for problem in problems:
                line = f"{method} {target}: {problem}"
                if line not in self.spec_violations:  # an unknown path is found in request and answer
                    self.spec_violations.append(line)


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
        self.server.fake._check_request(method, self.path, self.headers, body)
        status, payload, headers = self.server.fake.handle(method, self.path, self.headers, body)
        data = b"" if payload is None else json.dumps(payload).encode()
        self.server.fake._check_answer(method, self.path, status, headers, data)
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
