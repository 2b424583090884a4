"""A local fake of ARM for Microsoft.Communication, over HTTPS, for the real SDK client.

It serves, on 127.0.0.1 with a self-signed certificate the tests create and trust (the SDK's bearer
token policy refuses plain http):

- POST .../communicationServices/{name}/listKeys and .../regenerateKey ("listKeys", "regenerateKey");
- GET and PATCH .../communicationServices/{name}, for linkedDomains ("getService", "updateService");
- GET .../emailServices/{service}/domains/{domain} with its verificationStates and
  verificationRecords ("getDomain");
- POST .../domains/{domain}/initiateVerification ("initiateVerification") as the spec's example
  answers it: 202, no body, `Location: .../providers/Microsoft.Communication/locations/westus/
  operationStatuses/{id}` and `Retry-After: 60`;
- GET on that Location ("operationStatus").

It keeps the keys, linked domains and verification states of each resource, counts the calls per
endpoint (by the names in brackets), and fails on request. Time is the test's clock (a FakeClock
unless given): a record's check ends a set number of virtual seconds after its initiation.

What the spec (Microsoft.Communication stable 2025-09-01, `tests/specs/...`) describes, the fake
does as described; what it does not describe is marked ASSUMPTION where the fake does it.
"""

import base64
import datetime as dt
import functools
import hashlib
import ipaddress
import json
import re
import secrets
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.fake_clock import FakeClock
from tests.https_fake import Answer, HttpsFake
from tests.rest_spec import COMMUNICATION_SERVICES_SPEC, DOMAINS_SPEC, RestSpec, SpecSet

_PATH = re.compile(
    r"/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<resource_group>[^/]+)"
    r"/providers/Microsoft\.Communication/communicationServices/(?P<name>[^/]+)/(?P<action>listKeys|regenerateKey)",
    re.IGNORECASE,
)
_SERVICE_PATH = re.compile(
    r"/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<resource_group>[^/]+)"
    r"/providers/Microsoft\.Communication/communicationServices/(?P<name>[^/]+)",
    re.IGNORECASE,
)
_DOMAIN_PATH = re.compile(
    r"/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<resource_group>[^/]+)"
    r"/providers/Microsoft\.Communication/emailServices/(?P<email_service>[^/]+)/domains/(?P<domain>[^/]+)"
    r"(?P<initiate>/initiateVerification)?",
    re.IGNORECASE,
)
# The spec's example Location: no subscription in the path, no api-version in the query.
_OPERATION_PATH = re.compile(
    r"/providers/Microsoft\.Communication/locations/(?P<location>[^/]+)/operationStatuses/(?P<operation>[^/]+)",
    re.IGNORECASE,
)
OPERATION_LOCATION = "westus"  # as in the spec's example
INITIATION_RETRY_AFTER = 60  # as in the spec's example
# ASSUMPTION: how long ARM takes to check a record is not in the spec; a check ends this many
# seconds after its initiation unless `script_verification` says otherwise.
CHECK_SECONDS = 30
KEY_TYPES = ("Primary", "Secondary")
RECORD_TYPES = ("Domain", "SPF", "DKIM", "DKIM2", "DMARC")


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
class _Record:
    """One record type's verification: its state, and what the next check it is asked for ends in."""

    status: str = "NotStarted"
    error_code: str = ""
    outcome: str = "Verified"
    outcome_error: str = ""
    seconds: float = CHECK_SECONDS  # how long the next check takes, from its initiation
    ends_at: float | None = None  # on the fake's clock, while a check runs

    def body(self) -> dict[str, str]:
        # The spec has errorCode "only present if the status is UnableToVerify" (a state it does not list);
        # a real GET has `"errorCode": ""` (FACTS.md).
        return {"status": self.status, "errorCode": self.error_code}

    def settle(self, now: float) -> None:
        """The check's outcome, once its time has come.

        ASSUMPTION: a check shows VerificationRequested until it ends (the spec does not say when ARM
        moves a record through VerificationInProgress)."""
        if self.ends_at is not None and now >= self.ends_at:
            self.status, self.error_code, self.ends_at = self.outcome, self.outcome_error, None


def _dns_records(domain: str, token: str) -> dict[str, dict[str, Any]]:
    """The records ARM asks a custom domain to publish."""

    def record(kind: str, name: str, value: str) -> dict[str, Any]:
        return {"type": kind, "name": name, "value": value, "ttl": 3600}

    return {
        "Domain": record("TXT", "@", f"ms-domain-verification={token}"),
        "SPF": record("TXT", "@", "v=spf1 include:spf.protection.outlook.com -all"),
        "DKIM": record(
            "CNAME", "selector1-azurecomm-prod-net._domainkey", "selector1-azurecomm-prod-net._domainkey.azurecomm.net"
        ),
        "DKIM2": record(
            "CNAME", "selector2-azurecomm-prod-net._domainkey", "selector2-azurecomm-prod-net._domainkey.azurecomm.net"
        ),
        "DMARC": record("TXT", "_dmarc", "v=DMARC1; p=none;"),
    }


@dataclass
class _Failure:
    action: str
    status: int
    retry_after: str | None
    apply: bool  # carry the request out before failing: the change is made, the answer is lost


class FakeArm(HttpsFake):
    """Start with `with FakeArm(cert, key) as arm:`; the server stops when the block ends."""

    def __init__(self, cert: Path, key: Path, clock: FakeClock | None = None):
        # Every request it takes and every answer it gives is checked against the published specs.
        super().__init__(cert, key, spec=_specs())
        self.clock = clock or FakeClock()
        self._lock = threading.Lock()
        self._keys: dict[tuple[str, str, str], dict[str, str]] = {}
        self._failures: list[_Failure] = []
        self.calls: Counter[str] = Counter()  # by endpoint: "listKeys", "regenerateKey", "getDomain", ...
        self.regenerated: list[str] = []  # the key types regenerated, in order, failed answers included
        self._linked: dict[tuple[str, str, str], list[str]] = {}
        self._domains: dict[tuple[str, str, str, str], dict[str, _Record]] = {}
        self._operations: dict[str, _Record] = {}  # operation id -> the record whose check it started
        self.initiated: list[tuple[str, str]] = []  # (domain, record type), in order
        # endpoint -> [answers left without the header, Retry-After seconds] on successful answers
        self._retry_after: dict[str, list[float]] = {"initiateVerification": [0, INITIATION_RETRY_AFTER]}

    def add_service(self, subscription: str, resource_group: str, name: str) -> str:
        """Adds an ACS resource with fresh keys and returns its resource id."""
        with self._lock:
            self._keys[_ident(subscription, resource_group, name)] = {key_type: new_key() for key_type in KEY_TYPES}
        return (
            f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.Communication/communicationServices/{name}"
        )

    def add_domain(
        self,
        subscription: str,
        resource_group: str,
        email_service: str,
        domain: str,
        states: dict[str, str] | None = None,
    ) -> str:
        """Adds a custom email domain, every record NotStarted unless `states` says otherwise
        ({"DKIM": "Verified"}), and returns its resource id."""
        records = {record_type: _Record() for record_type in RECORD_TYPES}
        for record_type, status in (states or {}).items():
            records[record_type].status = status
        with self._lock:
            self._domains[_ident(subscription, resource_group, email_service, domain)] = records
        return (
            f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.Communication/emailServices/{email_service}/domains/{domain}"
        )

    def script_verification(
        self, domain_id: str, record_type: str, seconds: float = CHECK_SECONDS, error_code: str | None = None
    ) -> None:
        """The next check of `record_type` shows VerificationRequested, then, `seconds` after its
        initiation on the fake's clock, Verified, or VerificationFailed with `error_code` when given."""
        with self._lock:
            record = self._domains[_domain_ident(domain_id)][record_type]
            record.seconds = seconds
            record.outcome, record.outcome_error = (
                ("Verified", "") if error_code is None else ("VerificationFailed", error_code)
            )

    def set_verification_state(self, domain_id: str, record_type: str, status: str, error_code: str = "") -> None:
        """Changes a record's state as ARM might on its own, without a call (a DNS record deleted since)."""
        with self._lock:
            record = self._domains[_domain_ident(domain_id)][record_type]
            record.status, record.error_code, record.ends_at = status, error_code, None

    def verification_states(self, domain_id: str) -> dict[str, str]:
        with self._lock:
            records = self._domains[_domain_ident(domain_id)]
            for record in records.values():
                record.settle(self.clock.monotonic())
            return {t: r.status for t, r in records.items()}

    def retry_after(self, endpoint: str, seconds: float, after: int = 0) -> None:
        """Successful answers of `endpoint` carry `Retry-After: seconds`, all but the next `after` of them.
        ASSUMPTION for "getDomain": the spec does not say a GET may carry one."""
        with self._lock:
            self._retry_after[endpoint] = [after, seconds]

    def linked_domains(self, service_id: str) -> list[str]:
        _, _, subscription, _, resource_group, *_, name = service_id.split("/")
        with self._lock:
            return list(self._linked.get(_ident(subscription, resource_group, name), []))

    def link(self, service_id: str, domain_ids: list[str]) -> None:
        """Links domains as if someone had, without a call."""
        _, _, subscription, _, resource_group, *_, name = service_id.split("/")
        with self._lock:
            self._linked[_ident(subscription, resource_group, name)] = list(domain_ids)

    def key(self, resource_id: str, key_type: str) -> str:
        """The key the resource holds now."""
        _, _, subscription, _, resource_group, *_, name = resource_id.split("/")
        with self._lock:
            return self._keys[_ident(subscription, resource_group, name)][key_type]

    def fail_next(self, path_suffix: str, status: int, times: int = 1, retry_after: float | None = None) -> None:
        """The next `times` calls of the endpoint `path_suffix` ("listKeys", "regenerateKey",
        "getDomain", "initiateVerification", "operationStatus", "getService", "updateService") answer
        `status`, with Retry-After (seconds) when given, and change nothing."""
        self._script(path_suffix, status, times, retry_after, apply=False)

    def apply_then_fail(self, status: int = 500, times: int = 1, endpoint: str = "regenerateKey") -> None:
        """The next `times` calls of `endpoint` ("regenerateKey", "updateService") make their change,
        then answer `status`: the answer is lost."""
        self._script(endpoint, status, times, None, apply=True)

    def _script(self, action: str, status: int, times: int, retry_after: float | None, apply: bool) -> None:
        header = None if retry_after is None else f"{retry_after:g}"
        with self._lock:
            self._failures.extend(_Failure(action, status, header, apply) for _ in range(times))

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Answer:
        """(status, JSON body or None for none, extra headers) for one request."""
        url = urlsplit(target)
        action, match = _route(method, url.path)
        with self._lock:
            self.calls[action or url.path.rsplit("/", 1)[-1]] += 1
            if not headers.get("Authorization", "").startswith("Bearer "):
                return _error(
                    401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
                )
            # The operation's Location comes from ARM as it is, without an api-version (the spec's example).
            if action != "operationStatus" and not parse_qs(url.query).get("api-version"):
                return _error(400, "MissingApiVersionParameter", "The api-version query parameter is required.")
            if match is None:
                return _error(404, "NotFound", f"No route for {method} {url.path}.")
            if action == "operationStatus":
                answer = self._operation(match)
            elif action in ("getDomain", "initiateVerification"):
                answer = self._domain(action, match, body)
            else:
                answer = self._service(action, match, body)
            return self._with_retry_after(action, answer)

    def _with_retry_after(self, action: str, answer: Answer) -> Answer:
        status, payload, headers = answer
        scripted = self._retry_after.get(action)
        if scripted is None or status >= 300:
            return answer
        if scripted[0] > 0:
            scripted[0] -= 1
            return answer
        return status, payload, {**headers, "Retry-After": f"{scripted[1]:g}"}

    def _take_failure(self, action: str) -> _Failure | None:
        failure = next((f for f in self._failures if f.action == action), None)
        if failure is not None:
            self._failures.remove(failure)
        return failure

    def _service(
        self, action: str, match: re.Match[str], body: bytes
    ) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        ident = _ident(match["subscription"], match["resource_group"], match["name"])
        keys = self._keys.get(ident)
        if keys is None:
            return _error(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.Communication/communicationServices/{match['name']}' under resource "
                f"group '{match['resource_group']}' was not found.",
            )
        failure = self._take_failure(action)
        if failure is not None and not failure.apply:
            return _error(failure.status, "Scripted", "A failure the test asked for.", failure.retry_after)
        if action == "getService":
            return 200, self._service_body(match, ident), {}
        if action == "updateService":
            # The body is a CommunicationServiceResourceUpdate: a PATCH changes only what it holds.
            properties = (json.loads(body or b"{}") or {}).get("properties") or {}
            if "linkedDomains" in properties:
                linked = list(properties["linkedDomains"] or [])
                unverified = [d for d in linked if not self._verified(d)]
                if unverified:
                    return _error(
                        400, "InvalidLinkedDomains", f"The domains {unverified} are not verified or do not exist."
                    )
                self._linked[ident] = linked
            if failure is not None:
                return _error(failure.status, "InternalServerError", "The update was made; the answer is lost.")
            return 200, self._service_body(match, ident), {}
        if action == "listKeys":
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

    def _service_body(self, match: re.Match[str], ident: tuple[str, ...]) -> dict[str, Any]:
        return {
            "id": match.group(0),
            "name": match["name"],
            "type": "Microsoft.Communication/CommunicationServices",
            "location": "global",
            "properties": {
                "provisioningState": "Succeeded",
                "hostName": f"{match['name']}.communication.azure.com",
                "dataLocation": "Europe",
                "linkedDomains": list(self._linked.get(ident, [])),
            },
        }

    def _verified(self, domain_id: str) -> bool:
        records = self._domains.get(_domain_ident(domain_id)) if _DOMAIN_PATH.fullmatch(domain_id) else None
        if records is None:
            return False
        for record in records.values():
            record.settle(self.clock.monotonic())
        return all(r.status == "Verified" for r in records.values())

    def _domain(
        self, action: str, match: re.Match[str], body: bytes
    ) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        records = self._domains.get(
            _ident(match["subscription"], match["resource_group"], match["email_service"], match["domain"])
        )
        if records is None:
            return _error(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.Communication/emailServices/{match['email_service']}/domains/"
                f"{match['domain']}' under resource group '{match['resource_group']}' was not found.",
            )
        failure = self._take_failure(action)
        if failure is not None:
            return _error(failure.status, "Scripted", "A failure the test asked for.", failure.retry_after)
        if action == "initiateVerification":
            record_type = _verification_type(body)
            if record_type is None:
                return _error(400, "InvalidVerificationType", f"verificationType must be one of {RECORD_TYPES}.")
            record = records[record_type]
            record.status, record.error_code = "VerificationRequested", ""
            record.ends_at = self.clock.monotonic() + record.seconds
            self.initiated.append((match["domain"], record_type))
            operation = secrets.token_hex(8)
            self._operations[operation] = record
            # The spec's example: no body, the operation's status at Location; Retry-After is added by
            # `_with_retry_after`, 60 as in the example unless a test says otherwise.
            return 202, None, {"Location": self._operation_url(operation)}
        for record in records.values():
            record.settle(self.clock.monotonic())
        return 200, self._domain_body(match, records), {}

    def _domain_body(self, match: re.Match[str], records: dict[str, _Record]) -> dict[str, Any]:
        domain = match["domain"]
        return {
            "id": match.group(0),
            "name": domain,
            "type": "Microsoft.Communication/emailServices/domains",
            "location": "global",
            "properties": {
                "provisioningState": "Succeeded",
                "dataLocation": "Europe",
                "fromSenderDomain": domain,
                "mailFromSenderDomain": domain,
                "domainManagement": "CustomerManaged",
                "userEngagementTracking": "Disabled",
                "verificationStates": {t: r.body() for t, r in records.items()},
                "verificationRecords": _dns_records(domain, hashlib.sha256(domain.encode()).hexdigest()[:32]),
            },
        }

    def _operation_url(self, operation: str) -> str:
        # The spec's example, on the fake's host.
        return (
            f"{self.url}/providers/Microsoft.Communication/locations/{OPERATION_LOCATION}/operationStatuses/{operation}"
        )

    def _operation(self, match: re.Match[str]) -> Answer:
        """ASSUMPTION: the spec says only that the Location is "URL to query for status of the
        operation" (final-state-via: location) and gives no example of it. The fake answers as ARM's
        asynchronous operations generally do at a Location: 202 with the Location again and
        Retry-After while the operation runs, then 200 without a body (the operation has no result).
        It also assumes the operation runs as long as the check it started."""
        operation = self._operations.get(match["operation"])
        if operation is None:
            return _error(404, "OperationNotFound", f"The operation {match['operation']} was not found.")
        failure = self._take_failure("operationStatus")
        if failure is not None:
            return _error(failure.status, "Scripted", "A failure the test asked for.", failure.retry_after)
        operation.settle(self.clock.monotonic())
        if operation.ends_at is not None:
            headers = {"Location": self._operation_url(match["operation"]), "Retry-After": f"{INITIATION_RETRY_AFTER}"}
            return 202, None, headers
        return 200, None, {}


@functools.cache
def _specs() -> SpecSet:
    return SpecSet(
        [RestSpec.load(COMMUNICATION_SERVICES_SPEC), RestSpec.load(DOMAINS_SPEC)],
        undescribed={
            _OPERATION_PATH.pattern: "ASSUMPTION: the Location of initiateVerification's 202 (the spec's example) "
            "points here, and no Microsoft.Communication spec describes this path or its answer",
        },
    )


def _route(method: str, path: str) -> tuple[str | None, re.Match[str] | None]:
    """(endpoint name, match) of a request; (None, None) for no route."""
    method = method.upper()
    if method == "POST" and (match := _PATH.fullmatch(path)):
        return match["action"], match
    if (match := _DOMAIN_PATH.fullmatch(path)) is not None:
        if method == "POST" and match["initiate"]:
            return "initiateVerification", match
        if method == "GET" and not match["initiate"]:
            return "getDomain", match
    if method in ("GET", "PATCH") and (match := _SERVICE_PATH.fullmatch(path)):
        return ("getService" if method == "GET" else "updateService"), match
    if method == "GET" and (match := _OPERATION_PATH.fullmatch(path)):
        return "operationStatus", match
    return None, None


def _domain_ident(domain_id: str) -> tuple[str, ...]:
    match = _DOMAIN_PATH.fullmatch(domain_id)
    assert match is not None, domain_id
    return _ident(match["subscription"], match["resource_group"], match["email_service"], match["domain"])


def _verification_type(body: bytes) -> str | None:
    try:
        requested = json.loads(body or b"{}").get("verificationType", "")
    except (ValueError, AttributeError):
        return None
    return next((t for t in RECORD_TYPES if t.lower() == str(requested).lower()), None)


def _ident(*parts: str) -> tuple[str, ...]:
    # ARM resource ids are case-insensitive.
    return tuple(part.lower() for part in parts)


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
