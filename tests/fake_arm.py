"""A local fake of ARM's key endpoints for Microsoft.Communication, over HTTPS, for the real SDK client.

It serves POST .../communicationServices/{name}/listKeys and .../regenerateKey on 127.0.0.1 with a
self-signed certificate the tests create and trust (the SDK's bearer token policy refuses plain
http). It keeps the keys of each resource, counts the calls per endpoint, and fails on request.
"""

import base64
import datetime as dt
import ipaddress
import json
import re
import secrets
import ssl
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_PATH = re.compile(
    r"/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<resource_group>[^/]+)"
    r"/providers/Microsoft\.Communication/communicationServices/(?P<name>[^/]+)/(?P<action>listKeys|regenerateKey)",
    re.IGNORECASE,
)
KEY_TYPES = ("Primary", "Secondary")


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed server certificate for 127.0.0.1 and localhost, valid for a day: the
    (certificate, private key) PEM files. The certificate file is also the client's CA bundle."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fake-arm.crt", directory / "fake-arm.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(64)).decode()


@dataclass
class _Failure:
    action: str
    status: int
    retry_after: str | None
    apply: bool  # carry the request out before failing: the change is made, the answer is lost


class FakeArm:
    """Start with `with FakeArm(cert, key) as arm:`; the server stops when the block ends."""

    def __init__(self, cert: Path, key: Path):
        self._lock = threading.Lock()
        self._keys: dict[tuple[str, str, str], dict[str, str]] = {}
        self._failures: list[_Failure] = []
        self.calls: Counter[str] = Counter()  # by action: "listKeys", "regenerateKey"
        self.regenerated: list[str] = []  # the key types regenerated, in order, failed answers included
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server = _Server(self, context)
        # A daemon, so that a test that never reaches __exit__ cannot keep the interpreter alive.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "FakeArm":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def add_service(self, subscription: str, resource_group: str, name: str) -> str:
        """Adds an ACS resource with fresh keys and returns its resource id."""
        with self._lock:
            self._keys[_ident(subscription, resource_group, name)] = {key_type: new_key() for key_type in KEY_TYPES}
        return (
            f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.Communication/communicationServices/{name}"
        )

    def key(self, resource_id: str, key_type: str) -> str:
        """The key the resource holds now."""
        _, _, subscription, _, resource_group, *_, name = resource_id.split("/")
        with self._lock:
            return self._keys[_ident(subscription, resource_group, name)][key_type]

    def fail_next(self, path_suffix: str, status: int, times: int = 1, retry_after: float | None = None) -> None:
        """The next `times` calls of `path_suffix` ("listKeys" or "regenerateKey") answer `status`,
        with Retry-After (seconds) when given, and change nothing."""
        self._script(path_suffix, status, times, retry_after, apply=False)

    def apply_then_fail(self, status: int = 500, times: int = 1) -> None:
        """The next `times` regenerateKey calls regenerate the key, then answer `status`."""
        self._script("regenerateKey", status, times, None, apply=True)

    def _script(self, action: str, status: int, times: int, retry_after: float | None, apply: bool) -> None:
        header = None if retry_after is None else f"{retry_after:g}"
        with self._lock:
            self._failures.extend(_Failure(action, status, header, apply) for _ in range(times))

    def handle(self, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(status, JSON body, extra headers) for one POST."""
        url = urlsplit(path)
        match = _PATH.fullmatch(url.path)
        with self._lock:
            self.calls[url.path.rsplit("/", 1)[-1]] += 1
            if not headers.get("Authorization", "").startswith("Bearer "):
                return _error(
                    401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
                )
            if not parse_qs(url.query).get("api-version"):
                return _error(400, "MissingApiVersionParameter", "The api-version query parameter is required.")
            if match is None:
                return _error(404, "NotFound", f"No route for POST {url.path}.")
            keys = self._keys.get(_ident(match["subscription"], match["resource_group"], match["name"]))
            if keys is None:
                return _error(
                    404,
                    "ResourceNotFound",
                    f"The Resource 'Microsoft.Communication/communicationServices/{match['name']}' under resource "
                    f"group '{match['resource_group']}' was not found.",
                )
            failure = next((f for f in self._failures if f.action == match["action"]), None)
            if failure is not None:
                self._failures.remove(failure)
                if not failure.apply:
                    return _error(failure.status, "Scripted", "A failure the test asked for.", failure.retry_after)
            if match["action"] == "listKeys":
                return 200, _keys_body(match["name"], keys, KEY_TYPES), {}
            key_type = _key_type(body)
            if key_type is None:
                return _error(400, "InvalidKeyType", "keyType must be 'Primary' or 'Secondary'.")
            keys[key_type] = new_key()
            self.regenerated.append(key_type)
            if failure is not None:
                return _error(failure.status, "InternalServerError", "The key was regenerated; the answer is lost.")
            # Like ARM, the answer holds the regenerated key only.
            return 200, _keys_body(match["name"], keys, (key_type,)), {}


def _ident(subscription: str, resource_group: str, name: str) -> tuple[str, str, str]:
    # ARM resource ids are case-insensitive.
    return subscription.lower(), resource_group.lower(), name.lower()


def _key_type(body: bytes) -> str | None:
    try:
        requested = json.loads(body or b"{}").get("keyType", "")
    except (ValueError, AttributeError):
        return None
    # ARM takes the key type case-insensitively.
    return next((key_type for key_type in KEY_TYPES if key_type.lower() == str(requested).lower()), None)


def _keys_body(name: str, keys: dict[str, str], key_types: tuple[str, ...]) -> dict[str, str]:
    body = {}
    for key_type in key_types:
        prefix = key_type.lower()
        body[f"{prefix}Key"] = keys[key_type]
        body[f"{prefix}ConnectionString"] = (
            f"endpoint=https://{name}.communication.azure.com/;accesskey={keys[key_type]}"
        )
    return body


def _error(
    status: int, code: str, message: str, retry_after: str | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    return status, {"error": {"code": code, "message": message}}, headers


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    timeout = 5  # a client that stalls cannot hold a server thread for longer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, payload, headers = self.server.fake.handle(self.path, self.headers, body)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the calls are counted; a line per request would only clutter the test output


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeArm, context: ssl.SSLContext):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        # The TLS handshake happens on the first read, in the request's own thread under its
        # timeout, rather than in accept(), where a stalled client would block the server.
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
