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
- GET on that Location ("operationStatus");
- a seedable tenant for `python -m preflight adopt` (`add_resource_group`, `add_acs`, `add_email_service`,
  `add_domain`, `add_sender`, `add_suppression_list`, `add_suppressed_address`, `add_system_topic`,
  `add_event_subscription`), read with GETs: the resource group ("getResourceGroup"), and the listings
  "listServices", "listEmailServices", "listDomains", "listSenders", "listSuppressionLists",
  "listSuppressedAddresses", "listSystemTopics", "listEventSubscriptions", each paged as the specs'
  x-ms-pageable says (`value` and `nextLink`) at `page_size` items a page, in the order seeded.

Calls are also counted by HTTP method (`methods`), so a test can prove a reader only GETs.

ASSUMPTIONS of the tenant's listings: ARM's `nextLink` carries the api-version and a `$skipToken` (the specs
say only that the next page is at nextLink); a listing keeps the order resources were created in (the specs
say nothing of order). The resource group (Microsoft.Resources 2025-04-01 resources.json, 237,551 chars) and
Event Grid (Microsoft.EventGrid 2025-02-15 EventGrid.json, 539,703 chars) specs are not vendored (see
tests/specs/SOURCES.md): their paths are undescribed in `_specs()`, and the bodies follow the shapes of those
specs' ResourceGroup, SystemTopic and EventSubscription definitions as azure-mgmt-resource 26.0.0 and
azure-mgmt-eventgrid 10.4.0 deserialize them.

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
from tests.rest_spec import (
    COMMUNICATION_SERVICES_SPEC,
    DOMAINS_SPEC,
    EMAIL_SERVICES_SPEC,
    SENDER_USERNAMES_SPEC,
    SUPPRESSION_LISTS_SPEC,
    RestSpec,
    SpecSet,
)

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
_RG = r"/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<resource_group>[^/]+)"
_COMMUNICATION = _RG + r"/providers/Microsoft\.Communication"
_DOMAIN = _COMMUNICATION + r"/emailServices/(?P<email_service>[^/]+)/domains/(?P<domain>[^/]+)"
_TOPIC = _RG + r"/providers/Microsoft\.EventGrid/systemTopics/(?P<topic>[^/]+)"
# GET-only endpoints of the tenant: name -> path (case-insensitive, as ARM's)
_TENANT_ROUTES = {
    "getResourceGroup": re.compile(_RG, re.IGNORECASE),
    "listServices": re.compile(_COMMUNICATION + r"/communicationServices", re.IGNORECASE),
    "listEmailServices": re.compile(_COMMUNICATION + r"/emailServices", re.IGNORECASE),
    "listDomains": re.compile(_COMMUNICATION + r"/emailServices/(?P<email_service>[^/]+)/domains", re.IGNORECASE),
    "listSenders": re.compile(_DOMAIN + r"/senderUsernames", re.IGNORECASE),
    "listSuppressionLists": re.compile(_DOMAIN + r"/suppressionLists", re.IGNORECASE),
    "listSuppressedAddresses": re.compile(
        _DOMAIN + r"/suppressionLists/(?P<list>[^/]+)/suppressionListAddresses", re.IGNORECASE
    ),
    "listSystemTopics": re.compile(_RG + r"/providers/Microsoft\.EventGrid/systemTopics", re.IGNORECASE),
    "listEventSubscriptions": re.compile(_TOPIC + r"/eventSubscriptions", re.IGNORECASE),
}
OPERATION_LOCATION = "westus"  # as in the spec's example
INITIATION_RETRY_AFTER = 60  # as in the spec's example
# ASSUMPTION: how long ARM takes to check a record is not in the spec; a check ends this many
# seconds after its initiation unless `script_verification` says otherwise.
CHECK_SECONDS = 30
KEY_TYPES = ("Primary", "Secondary")
RECORD_TYPES = ("Domain", "SPF", "DKIM", "DKIM2", "DMARC")
ALL_VERIFIED = dict.fromkeys(RECORD_TYPES, "Verified")  # a domain ready to send from
SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"  # the subscription the tests' resources are in


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
        self.methods: Counter[str] = Counter()  # by HTTP method: "GET", "POST", "PATCH", ...
        self.page_size = 100  # at most this many items a page of a tenant listing
        self._groups: dict[tuple[str, ...], dict[str, Any]] = {}  # (subscription, group) -> its body
        self._service_props: dict[tuple[str, ...], dict[str, Any]] = {}  # ACS ident -> what add_acs set
        self._domain_props: dict[tuple[str, ...], dict[str, Any]] = {}  # domain ident -> what add_domain set
        # collection path (lower-case) -> {child name (lower-case): its body}, in the order created
        self._children: dict[str, dict[str, dict[str, Any]]] = {}

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
        *,
        domain_management: str = "CustomerManaged",
        user_engagement_tracking: bool = False,
        tags: dict[str, str] | None = None,
    ) -> str:
        """Adds an email domain, every record NotStarted unless `states` says otherwise
        ({"DKIM": "Verified"}), and returns its resource id. It is listed under its email service too
        ("listDomains"); an "AzureManagedDomain" takes `domain_management="AzureManaged"`."""
        records = {record_type: _Record() for record_type in RECORD_TYPES}
        for record_type, status in (states or {}).items():
            records[record_type].status = status
        domain_id = (
            f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.Communication/emailServices/{email_service}/domains/{domain}"
        )
        ident = _ident(subscription, resource_group, email_service, domain)
        email_id = domain_id.rsplit("/domains/", 1)[0]
        with self._lock:
            self._domains[ident] = records
            email = self._children.get(_collection(email_id), {}).get(email_service.lower())
            self._domain_props[ident] = {
                "id": domain_id,
                "name": domain,
                "tags": dict(tags or {}),
                "properties": {
                    "dataLocation": email()["properties"]["dataLocation"] if email is not None else "Europe",
                    "domainManagement": domain_management,
                    "userEngagementTracking": "Enabled" if user_engagement_tracking else "Disabled",
                },
            }
            match = _DOMAIN_PATH.fullmatch(domain_id)
            assert match is not None
            self._children.setdefault(f"{email_id}/domains".lower(), {})[domain.lower()] = lambda: self._domain_body(
                match, self._settled(records)
            )
        return domain_id

    def _settled(self, records: dict[str, "_Record"]) -> dict[str, "_Record"]:
        for record in records.values():
            record.settle(self.clock.monotonic())
        return records

    # The tenant `python -m preflight adopt` reads

    def add_resource_group(
        self, subscription: str, name: str, location: str = "westeurope", tags: dict[str, str] | None = None
    ) -> str:
        """Adds a resource group and returns its id."""
        group_id = f"/subscriptions/{subscription}/resourceGroups/{name}"
        body = {
            "id": group_id,
            "name": name,
            "type": "Microsoft.Resources/resourceGroups",
            "location": location,
            "properties": {"provisioningState": "Succeeded"},
            "tags": dict(tags or {}),
        }
        with self._lock:
            self._groups[_ident(subscription, name)] = body
        return group_id

    def add_acs(
        self,
        subscription: str,
        resource_group: str,
        name: str,
        *,
        data_location: str = "Europe",
        disable_local_auth: bool = False,
        public_network_access: str = "Enabled",
        identity: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        linked_domains: list[str] | None = None,
    ) -> str:
        """Adds an ACS resource as `add_service` does, with these properties (`identity` as ARM writes it:
        {"type": "SystemAssigned", "principalId": ..., "tenantId": ...}), listed under its group
        ("listServices"); its hostName is `<name>.communication.azure.com`. Returns its id."""
        service_id = self.add_service(subscription, resource_group, name)
        ident = _ident(subscription, resource_group, name)
        extra: dict[str, Any] = {
            "tags": dict(tags or {}),
            "properties": {
                "dataLocation": data_location,
                "disableLocalAuth": disable_local_auth,
                "publicNetworkAccess": public_network_access,
            },
        }
        if identity is not None:
            extra["identity"] = dict(identity)
        match = _SERVICE_PATH.fullmatch(service_id)
        assert match is not None
        with self._lock:
            self._service_props[ident] = extra
            self._linked[ident] = list(linked_domains or [])
            self._children.setdefault(_collection(service_id), {})[name.lower()] = lambda: self._service_body(
                match, ident
            )
        return service_id

    def add_email_service(
        self,
        subscription: str,
        resource_group: str,
        name: str,
        data_location: str = "Europe",
        tags: dict[str, str] | None = None,
    ) -> str:
        """Adds an email service (its domains come with `add_domain`) and returns its id."""
        service_id = (
            f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.Communication/emailServices/{name}"
        )
        body = {
            "id": service_id,
            "name": name,
            "type": "Microsoft.Communication/EmailServices",
            "location": "global",
            "tags": dict(tags or {}),
            "properties": {"provisioningState": "Succeeded", "dataLocation": data_location},
        }
        self._add_child(service_id, body)
        return service_id

    def add_sender(self, domain_id: str, username: str, display_name: str | None = None) -> str:
        """Adds a sender username (resource name = username) to a domain and returns its id."""
        sender_id = f"{domain_id}/senderUsernames/{username}"
        properties: dict[str, Any] = {"provisioningState": "Succeeded", "username": username}
        if display_name is not None:
            properties["displayName"] = display_name
        properties["dataLocation"] = self._data_location(domain_id)
        body = {
            "id": sender_id,
            "name": username,
            "type": "Microsoft.Communication/emailServices/domains/senderUsernames",
            "properties": properties,
        }
        self._add_child(sender_id, body)
        return sender_id

    def add_suppression_list(self, domain_id: str, name: str, list_name: str | None = None) -> str:
        """Adds a suppression list to a domain and returns its id."""
        list_id = f"{domain_id}/suppressionLists/{name}"
        properties: dict[str, Any] = {
            "lastUpdatedTimeStamp": "2026-11-01T08:00:00Z",
            "createdTimeStamp": "2026-11-01T08:00:00Z",
            "dataLocation": self._data_location(domain_id),
        }
        if list_name is not None:
            properties["listName"] = list_name
        body = {
            "id": list_id,
            "name": name,
            "type": "Microsoft.Communication/emailServices/domains/suppressionLists",
            "properties": properties,
        }
        self._add_child(list_id, body)
        return list_id

    def add_suppressed_address(
        self,
        list_id: str,
        address_id: str,
        email: str,
        first_name: str | None = None,
        last_name: str | None = None,
        notes: str | None = None,
    ) -> str:
        """Adds an address (resource name `address_id`) to a suppression list and returns its id."""
        resource_id = f"{list_id}/suppressionListAddresses/{address_id}"
        properties: dict[str, Any] = {"email": email}
        for key, value in (("firstName", first_name), ("lastName", last_name), ("notes", notes)):
            if value is not None:
                properties[key] = value
        properties["lastModified"] = "2026-11-01T08:00:00Z"
        properties["dataLocation"] = self._data_location(list_id)
        body = {
            "id": resource_id,
            "name": address_id,
            "type": "Microsoft.Communication/emailServices/domains/suppressionLists/suppressionListAddresses",
            "properties": properties,
        }
        self._add_child(resource_id, body)
        return resource_id

    def add_system_topic(
        self,
        subscription: str,
        resource_group: str,
        name: str,
        source: str,
        topic_type: str = "Microsoft.Communication.CommunicationServices",
        identity: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        """Adds an Event Grid system topic of `source` (location global) and returns its id."""
        topic_id = (
            f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.EventGrid/systemTopics/{name}"
        )
        body: dict[str, Any] = {
            "id": topic_id,
            "name": name,
            "type": "Microsoft.EventGrid/systemTopics",
            "location": "global",
            "tags": dict(tags or {}),
            "properties": {
                "provisioningState": "Succeeded",
                "source": source,
                "topicType": topic_type,
                "metricResourceId": "183c0fb4-1b6f-4bd4-a6e2-7e4d8e1f0a11",
            },
        }
        if identity is not None:
            body["identity"] = dict(identity)
        self._add_child(topic_id, body)
        return topic_id

    def add_event_subscription(self, topic_id: str, name: str, properties: dict[str, Any]) -> str:
        """Adds an event subscription to a system topic, its `properties` as ARM answers a GET (a webhook's
        destination with endpointBaseUrl only), and returns its id."""
        subscription_id = f"{topic_id}/eventSubscriptions/{name}"
        body = {
            "id": subscription_id,
            "name": name,
            "type": "Microsoft.EventGrid/systemTopics/eventSubscriptions",  # as the published example
            "properties": {"provisioningState": "Succeeded", "topic": topic_id, **properties},
        }
        self._add_child(subscription_id, body)
        return subscription_id

    def _add_child(self, resource_id: str, body: dict[str, Any]) -> None:
        with self._lock:
            self._children.setdefault(_collection(resource_id), {})[body["name"].lower()] = lambda: body

    def _data_location(self, resource_id: str) -> str:
        """The data location of the email service `resource_id` is under."""
        email_id = resource_id.lower().split("/domains/", 1)[0]
        with self._lock:
            email = self._children.get(_collection(email_id), {}).get(email_id.rsplit("/", 1)[-1])
        return email()["properties"]["dataLocation"] if email is not None else "Europe"

    def _tenant(self, action: str, match: re.Match[str], path: str, query: dict[str, list[str]]) -> Answer:
        failure = self._take_failure(action)
        if failure is not None:
            return _error(failure.status, "Scripted", "A failure the test asked for.", failure.retry_after)
        if action == "getResourceGroup":
            group = self._groups.get(_ident(match["subscription"], match["resource_group"]))
            if group is None:
                return _error(
                    404, "ResourceGroupNotFound", f"Resource group '{match['resource_group']}' could not be found."
                )
            return 200, dict(group), {}
        if _ident(match["subscription"], match["resource_group"]) not in self._groups:
            return _error(
                404, "ResourceGroupNotFound", f"Resource group '{match['resource_group']}' could not be found."
            )
        items = [body() for body in self._children.get(path.lower(), {}).values()]
        skip = int(query.get("$skipToken", ["0"])[0])
        page: dict[str, Any] = {"value": items[skip : skip + self.page_size]}
        if skip + self.page_size < len(items):
            version = query.get("api-version", [""])[0]
            page["nextLink"] = f"{self.url}{path}?api-version={version}&$skipToken={skip + self.page_size}"
        return 200, page, {}

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
            self.methods[method.upper()] += 1
            if not headers.get("Authorization", "").startswith("Bearer "):
                return _error(
                    401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
                )
            # The operation's Location comes from ARM as it is, without an api-version (the spec's example).
            if action != "operationStatus" and not parse_qs(url.query).get("api-version"):
                return _error(400, "MissingApiVersionParameter", "The api-version query parameter is required.")
            if match is None:
                return _error(404, "NotFound", f"No route for {method} {url.path}.")
            if action in _TENANT_ROUTES:
                answer = self._tenant(action, match, url.path, parse_qs(url.query))
            elif action == "operationStatus":
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
        body: dict[str, Any] = {
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
        extra = self._service_props.get(ident)
        if extra is not None:
            body["properties"].update(extra["properties"])
            body.update({k: v for k, v in extra.items() if k != "properties"})
        return body

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
        extra = self._domain_props.get(
            _ident(match["subscription"], match["resource_group"], match["email_service"], domain), {}
        )
        body: dict[str, Any] = {
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
        if extra:
            body["name"] = extra["name"]
            body["id"] = extra["id"]
            body["tags"] = dict(extra["tags"])
            body["properties"].update(extra["properties"])
            if extra["properties"]["domainManagement"] == "AzureManaged":
                del body["properties"]["verificationRecords"]  # ASSUMPTION: ARM publishes no records for it
        return body

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
        [
            RestSpec.load(COMMUNICATION_SERVICES_SPEC),
            RestSpec.load(DOMAINS_SPEC),
            RestSpec.load(EMAIL_SERVICES_SPEC),
            RestSpec.load(SENDER_USERNAMES_SPEC),  # api-version override: see VERSION_OVERRIDES
            RestSpec.load(SUPPRESSION_LISTS_SPEC),
        ],
        undescribed={
            _RG: "ASSUMPTION: Microsoft.Resources resources.json (ResourceGroups_Get) is not vendored: too big "
            "(see tests/specs/SOURCES.md); tests/test_fake_arm_examples.py checks the body's shape against the "
            "published CreateResourceGroup.json example (ResourceGroups_Get has none; both answer a ResourceGroup)",
            _RG + r"/providers/Microsoft\.EventGrid/systemTopics(/[^/]+/eventSubscriptions)?": "ASSUMPTION: "
            "Microsoft.EventGrid EventGrid.json (SystemTopics_ListByResourceGroup, "
            "SystemTopicEventSubscriptions_ListBySystemTopic) is not vendored: too big (see tests/specs/SOURCES.md); "
            "tests/test_fake_arm_examples.py checks the bodies' shapes against those operations' published examples",
            _OPERATION_PATH.pattern: "ASSUMPTION: the Location of initiateVerification's 202 (the spec's example) "
            "points here, and no Microsoft.Communication spec describes this path or its answer",
        },
    )


def _route(method: str, path: str) -> tuple[str | None, re.Match[str] | None]:
    """(endpoint name, match) of a request; (None, None) for no route."""
    method = method.upper()
    if method == "GET":
        for name, pattern in _TENANT_ROUTES.items():
            if (match := pattern.fullmatch(path)) is not None:
                return name, match
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


def _collection(resource_id: str) -> str:
    """The listing path (lower-case) a resource is listed under: its id without its name."""
    return resource_id.rsplit("/", 1)[0].lower()


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
