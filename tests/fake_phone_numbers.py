"""A local fake of the ACS phone numbers data plane, over HTTPS, for the real PhoneNumbersClient.

It answers what azure-communication-phonenumbers 1.4.0 sends (API version 2025-06-01), as its generated
operations expect, on 127.0.0.1 with a certificate the tests create and trust:

- POST /availablePhoneNumbers/countries/{country}/:search ("search"): 202, no body, with Location (the
  search result), Operation-Location (the operation), operation-id and search-id headers;
- GET /availablePhoneNumbers/searchResults/{searchId} ("searchResult"): the numbers a search holds;
- POST /availablePhoneNumbers/:purchase ("purchase"): 202 with Operation-Location, operation-id,
  purchase-id; the body names the search id and the agreement not to resell;
- DELETE /phoneNumbers/{number} ("release"): 202 with Operation-Location, operation-id, release-id;
  404 for a number the resource does not hold;
- PATCH /phoneNumbers/{number}/capabilities ("capabilities", merge-patch): 202 with Location (the
  number), Operation-Location, operation-id, capabilities-id;
- GET /phoneNumbers/{number} ("get") and GET /phoneNumbers?skip=&top= ("list", paged with nextLink);
- GET /phoneNumbers/operations/{operationId} ("operation"): {"status": "running"} for `running_polls`
  polls, then succeeded or failed (with an error), and resourceLocation where there is one.

Numbers in paths come URL-encoded (%2B for +). Requests need a Bearer token or an HMAC-SHA256 signature
(checked against `access_key` when the fake has one), and api-version 2025-06-01.

It keeps the numbers available per (country, type, area code), the searches and the numbers purchased
(with their capabilities), counts the calls per endpoint (by the names in brackets) and the
authentication schemes used, and can be scripted: any endpoint answering an error (with Retry-After)
for its next calls, or carrying a call out and losing its answer; a purchase that buys only some
numbers and then fails; a purchase that takes time (on the test's clock) before its numbers are held;
operation polls answered with a Retry-After; a listing that writes numbers without their `+`; a
release that fails; a number released behind Pulumi's back.

What the published spec (2025-06-01) does not describe, and the fake assumes:
- a repeated purchase of a search that was already requested answers 409 PurchaseAlreadyRequested;
- a purchase may buy some of its numbers and then fail (the operation ends failed, the rest go back);
- a release of a number the resource does not hold answers 404 PhoneNumberNotFound;
- a search that finds nothing ends failed (NoNumbersAvailable) rather than succeeding with no numbers;
- a purchase's numbers show in the listing only once its operation has succeeded.
"""

import base64
import datetime as dt
import functools
import json
import re
import secrets
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from tests.acs_data_plane_auth import DataPlaneAuth
from tests.https_fake import Answer, HttpsFake
from tests.rest_spec import PHONE_NUMBERS_SPEC, RestSpec

API_VERSION = "2025-06-01"
_CALLING_CODES = {"US": "1", "CA": "1", "GB": "44", "FR": "33", "DE": "49", "NL": "31", "IE": "353"}

_ROUTES = (
    ("POST", re.compile(r"/availablePhoneNumbers/countries/(?P<country>[^/]+)/:search"), "search"),
    ("GET", re.compile(r"/availablePhoneNumbers/countries/(?P<country>[^/]+)/offerings"), "offerings"),
    ("GET", re.compile(r"/availablePhoneNumbers/searchResults/(?P<search>[^/]+)"), "searchResult"),
    ("POST", re.compile(r"/availablePhoneNumbers/:purchase"), "purchase"),
    ("GET", re.compile(r"/phoneNumbers/operations/(?P<operation>[^/]+)"), "operation"),
    ("GET", re.compile(r"/phoneNumbers"), "list"),
    ("GET", re.compile(r"/phoneNumbers/(?P<number>[^/]+)"), "get"),
    ("DELETE", re.compile(r"/phoneNumbers/(?P<number>[^/]+)"), "release"),
    ("PATCH", re.compile(r"/phoneNumbers/(?P<number>[^/]+)/capabilities"), "capabilities"),
)


def new_access_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass
class _Search:
    country: str
    number_type: str
    assignment_type: str
    capabilities: dict[str, str]
    numbers: list[str]
    keys: dict[str, tuple[str, str, str | None]]  # number -> its inventory key
    agreement_required: bool
    expires_by: str  # "A search result expires in less than 15min" (the spec's searchExpiresBy)
    purchased: bool = False


@dataclass
class Purchased:
    number: str
    country: str
    number_type: str
    assignment_type: str
    capabilities: dict[str, str]
    purchase_date: str

    def body(self) -> dict[str, Any]:
        return {
            "id": self.number.lstrip("+"),
            "phoneNumber": self.number,
            "countryCode": self.country,
            "phoneNumberType": self.number_type,
            "assignmentType": self.assignment_type,
            "capabilities": dict(self.capabilities),
            "purchaseDate": self.purchase_date,
            "cost": {"amount": 1.0, "currencyCode": "USD", "billingFrequency": "monthly"},
        }


@dataclass
class _Operation:
    kind: str  # search, purchase, releasePhoneNumber, updatePhoneNumberCapabilities
    outcome: str  # succeeded or failed
    resource_location: str | None = None
    error: dict[str, str] | None = None
    polls: int = 0
    created: str = field(default_factory=lambda: _now())


@dataclass
class _Failure:
    kind: str
    status: int
    retry_after: str | None
    apply: bool = False  # carry the request out before failing: the change is made, the answer is lost


def _now(clock: Any = None) -> str:
    """The time as the service writes it: the test's clock where there is one."""
    now = dt.datetime.fromtimestamp(clock.time(), dt.UTC) if clock is not None else dt.datetime.now(dt.UTC)
    return now.isoformat().replace("+00:00", "Z")


@dataclass
class _Commit:
    """A purchase under way: its numbers are held from `due` (the clock's time) on."""

    operation: str
    numbers: list["Purchased"]
    due: float


class FakePhoneNumbers(DataPlaneAuth, HttpsFake):
    """Start with `with FakePhoneNumbers(cert, key) as fake:`; the server stops when the block ends."""

    def __init__(self, cert: Path, key: Path, access_key: str | None = None, clock: Any = None):
        # Every request it takes and every answer it gives is checked against the published spec.
        super().__init__(cert, key, spec=_spec())
        self.clock = clock  # the test's FakeClock, for purchases that take time
        self.purchase_seconds = 0.0  # how long a purchase runs before its numbers are held
        self.operation_retry_after: str | None = None  # sent with every operation poll when set
        self.list_without_plus = False  # the listing writes +14255550123 as 14255550123
        self._commits: list[_Commit] = []
        self._lock = threading.Lock()
        self.access_key = access_key  # when set, HMAC signatures are checked against it
        self.running_polls = 1  # operation polls that answer "running" before the outcome
        self.page_size = 100  # at most this many numbers per page of the list, whatever `top` asks
        self.calls: Counter[str] = Counter()  # by endpoint: "search", "purchase", "release", ...
        self.methods: Counter[str] = Counter()  # by HTTP method: "GET", "POST", "PATCH", "DELETE"
        self.polls: Counter[str] = Counter()  # operation polls, by operation kind
        self.auth: Counter[str] = Counter()  # "Bearer", "HMAC-SHA256"
        self.searches: list[dict[str, Any]] = []  # the request bodies, in order
        self.released: list[str] = []  # numbers released through the API, in order
        self.capability_updates: list[tuple[str, dict[str, str]]] = []
        self.agreement_required: set[str] = set()  # countries whose numbers need agreeToNotResell
        self._available: dict[tuple[str, str, str | None], list[str]] = {}
        # (country) -> offerings: phoneNumberType, assignmentType, availableCapabilities {sms, calling}
        self.offerings: dict[str, list[dict[str, Any]]] = {}
        self._searches: dict[str, _Search] = {}
        self._purchased: dict[str, Purchased] = {}  # in purchase order
        self._operations: dict[str, _Operation] = {}
        self._failures: list[_Failure] = []
        self._partial_purchases: list[int] = []  # the next purchases buy this many, then fail
        self._failing_releases: set[str] = set()
        self._sequence = 0

    def connection_string(self) -> str:
        """The connection string of this "resource", with its access key (made on first use)."""
        if self.access_key is None:
            self.access_key = new_access_key()
        return f"endpoint={self.url}/;accesskey={self.access_key}"

    # The inventory and the scripts

    def add_numbers(self, country: str, number_type: str, count: int, area_code: str | None = None) -> list[str]:
        """Makes `count` numbers available for (country, type, area code) and returns them."""
        with self._lock:
            made = []
            for _ in range(count):
                self._sequence += 1
                made.append(f"+{_CALLING_CODES.get(country, '999')}{area_code or '800'}{5550000 + self._sequence}")
            self._available.setdefault((country, number_type, area_code), []).extend(made)
            return made

    def add_purchased(
        self,
        country: str,
        number_type: str,
        count: int,
        sms: str = "none",
        calling: str = "none",
        assignment_type: str = "application",
    ) -> list[str]:
        """Makes `count` numbers the resource already holds (bought before, in the portal) and returns them.
        `sms` and `calling` as the service writes capabilities: "none", "inbound", "outbound", "inbound+outbound"."""
        with self._lock:
            made = []
            for _ in range(count):
                self._sequence += 1
                number = f"+{_CALLING_CODES.get(country, '999')}800{5550000 + self._sequence}"
                self._purchased[number] = Purchased(
                    number, country, number_type, assignment_type, {"sms": sms, "calling": calling}, _now(self.clock)
                )
                made.append(number)
            return made

    def available(self, country: str, number_type: str, area_code: str | None = None) -> list[str]:
        with self._lock:
            return list(self._available.get((country, number_type, area_code), []))

    @property
    def purchased(self) -> dict[str, Purchased]:
        """The numbers the resource holds, in purchase order."""
        with self._lock:
            return dict(self._purchased)

    def fail_next(self, kind: str, status: int, times: int = 1, retry_after: float | None = None) -> None:
        """The next `times` calls of endpoint `kind` ("operation:purchase": the polls of purchases only)
        answer `status`, with Retry-After (seconds) when given, and change nothing."""
        header = None if retry_after is None else f"{retry_after:g}"
        with self._lock:
            self._failures.extend(_Failure(kind, status, header) for _ in range(times))

    def lose_answer_of_next(self, kind: str, status: int = 503) -> None:
        """The next call of endpoint `kind` is carried out, then answers `status`: the answer is lost."""
        with self._lock:
            self._failures.append(_Failure(kind, status, None, apply=True))

    def fail_purchase_after(self, bought: int) -> None:
        """The next purchase buys the first `bought` numbers of its search, then its operation fails."""
        with self._lock:
            self._partial_purchases.append(bought)

    def fail_release_of(self, number: str) -> None:
        """Each release of `number` starts, then its operation fails and the number stays held."""
        with self._lock:
            self._failing_releases.add(number)

    def release_outside(self, number: str) -> None:
        """Releases `number` as someone in the portal would: no call through the API."""
        with self._lock:
            del self._purchased[number]

    # The API

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Answer:
        url = urlsplit(target)
        kind, match = _route(method, url.path)
        with self._lock:
            self.calls[kind or f"{method} {url.path}"] += 1
            self.methods[method] += 1
            refused = self._authenticate(method, target, headers, body)
            if refused is not None:
                return refused
            if parse_qs(url.query).get("api-version") != [API_VERSION]:
                return _error(400, "InvalidApiVersion", f"api-version must be {API_VERSION}.")
            if kind is None or match is None:
                return _error(404, "NotFound", f"No route for {method} {url.path}.")
            self._commit_due()
            failure = next((f for f in self._failures if f.kind in self._kinds(kind, match)), None)
            if failure is not None:
                self._failures.remove(failure)
                if not failure.apply:
                    return _error(failure.status, "Scripted", "A failure the test asked for.", failure.retry_after)
            payload = json.loads(body) if body else {}
            endpoints = {
                "search": self._search,
                "searchResult": self._search_result,
                "purchase": self._purchase,
                "release": self._release,
                "capabilities": self._capabilities,
                "get": self._get,
                "list": self._list,
                "operation": self._operation_status,
                "offerings": self._offerings,
            }
            answer = endpoints[kind](match, payload, parse_qs(url.query))
            if failure is not None:
                return _error(failure.status, "Scripted", "Carried out, but the answer is lost.")
            return answer

    def _kinds(self, kind: str | None, match: re.Match[str] | None) -> tuple[str | None, ...]:
        """The names a failure can be scripted for: a poll of one kind of operation also answers to
        "operation:<its type>", as "operation:purchase"."""
        if kind == "operation" and match is not None and match["operation"] in self._operations:
            return kind, f"operation:{self._operations[match['operation']].kind}"
        return (kind,)

    def _authenticate(self, method: str, target: str, headers: Any, body: bytes) -> Answer | None:
        refusal = self._refusal(method, target, headers, body)
        return None if refusal is None else _error(401, "Denied", refusal)

    def _offerings(self, match: re.Match[str], _payload: dict[str, Any], query: Any) -> Answer:
        wanted = {k: query[k][0] for k in ("phoneNumberType", "assignmentType") if k in query}
        found = [o for o in self.offerings.get(match["country"], []) if all(o[k] == v for k, v in wanted.items())]
        cost = {"amount": 2.0, "currencyCode": "USD", "billingFrequency": "monthly"}
        return 200, {"phoneNumberOfferings": [{**o, "cost": cost} for o in found]}, {}

    def _search(self, match: re.Match[str], payload: dict[str, Any], _query: Any) -> Answer:
        country = match["country"]
        self.searches.append({"country": country, **payload})
        number_type, area_code = payload.get("phoneNumberType"), payload.get("areaCode")
        quantity = int(payload.get("quantity") or 1)
        keys = [k for k in self._available if k[:2] == (country, number_type) and area_code in (None, k[2])]
        search_id = str(uuid.uuid4())
        taken: dict[str, tuple[str, str, str | None]] = {}
        for key in keys:
            while self._available[key] and len(taken) < quantity:
                taken[self._available[key].pop(0)] = key
        search = _Search(
            country,
            str(number_type),
            str(payload.get("assignmentType")),
            dict(payload.get("capabilities") or {}),
            list(taken),
            taken,
            country in self.agreement_required,
            _in_minutes(self.clock, 14),
        )
        self._searches[search_id] = search
        result = self._url(f"/availablePhoneNumbers/searchResults/{search_id}")
        if taken:
            operation = self._operation("search", "succeeded", result, ident=search_id)
        else:  # as the service does when it has no number of the kind at all
            operation = self._operation(
                "search",
                "failed",
                error={"code": "NoNumbersAvailable", "message": "No numbers match the search."},
                ident=search_id,
            )
        # As in the example: the search result as a body, the ids in the headers.
        answer = self._search_body(search_id, search)
        return 202, answer, {**self._started(operation), "Location": result, "search-id": search_id}

    def _search_body(self, search_id: str, search: _Search) -> dict[str, Any]:
        return {
            "searchId": search_id,
            "phoneNumbers": list(search.numbers),
            "phoneNumberType": search.number_type,
            "assignmentType": search.assignment_type,
            "capabilities": search.capabilities,
            "cost": {"amount": 1.0, "currencyCode": "USD", "billingFrequency": "monthly"},
            "searchExpiresBy": search.expires_by,
            "isAgreementToNotResellRequired": search.agreement_required,
        }

    def _search_result(self, match: re.Match[str], _payload: Any, _query: Any) -> Answer:
        search = self._searches.get(match["search"])
        if search is None:
            return _error(404, "NotFound", "No such search.")
        return 200, self._search_body(match["search"], search), {}

    def _purchase(self, _match: re.Match[str], payload: dict[str, Any], _query: Any) -> Answer:
        search = self._searches.get(str(payload.get("searchId")))
        if search is None:
            return _error(404, "NotFound", "No such search, or it expired.")
        if search.purchased:
            return _error(409, "PurchaseAlreadyRequested", "A purchase of this search was requested already.")
        if search.agreement_required and not payload.get("agreeToNotResell"):
            return _error(400, "AgreementRequired", "These numbers need the agreement not to resell them.")
        search.purchased = True
        bought = self._partial_purchases.pop(0) if self._partial_purchases else len(search.numbers)
        held = [
            Purchased(
                number,
                search.country,
                search.number_type,
                search.assignment_type,
                dict(search.capabilities),
                _now(self.clock),
            )
            for number in search.numbers[:bought]
        ]
        for number in search.numbers[bought:]:  # back on the shelf
            self._available[search.keys[number]].append(number)
        if bought < len(search.numbers):
            operation = self._operation(
                "purchase", "failed", error={"code": "PurchaseFailed", "message": "The purchase failed part way."}
            )
        else:
            operation = self._operation("purchase", "succeeded")
        if self.purchase_seconds and self.clock is not None:
            self._commits.append(_Commit(operation, held, self.clock.monotonic() + self.purchase_seconds))
        else:
            self._purchased.update((p.number, p) for p in held)
        return 202, None, {**self._started(operation), "purchase-id": _id_of(operation)}

    def _commit_due(self) -> None:
        """Purchases under way whose time has come hold their numbers."""
        for commit in [c for c in self._commits if self.clock.monotonic() >= c.due]:
            self._purchased.update((p.number, p) for p in commit.numbers)
            self._commits.remove(commit)

    def _release(self, match: re.Match[str], _payload: Any, _query: Any) -> Answer:
        number = unquote(match["number"])
        if number not in self._purchased:
            return _error(404, "PhoneNumberNotFound", f"The phone number {number} is not held by this resource.")
        if number in self._failing_releases:
            operation = self._operation(
                "releasePhoneNumber", "failed", error={"code": "ReleaseFailed", "message": "The release failed."}
            )
        else:
            del self._purchased[number]
            self.released.append(number)
            operation = self._operation("releasePhoneNumber", "succeeded")
        return 202, None, {**self._started(operation), "release-id": _id_of(operation)}

    def _capabilities(self, match: re.Match[str], payload: dict[str, Any], _query: Any) -> Answer:
        number = unquote(match["number"])
        held = self._purchased.get(number)
        if held is None:
            return _error(404, "PhoneNumberNotFound", f"The phone number {number} is not held by this resource.")
        # Merge-patch: what is given changes, what is left out stays.
        change = {k: v for k, v in payload.items() if k in ("sms", "calling") and v is not None}
        held.capabilities.update(change)
        self.capability_updates.append((number, change))
        location = self._url(f"/phoneNumbers/{quote(number, safe='')}")
        operation = self._operation("updatePhoneNumberCapabilities", "succeeded", location)
        answer = held.body()  # as in the example: the number, as the update leaves it
        return 202, answer, {**self._started(operation), "Location": location, "capabilities-id": _id_of(operation)}

    def _get(self, match: re.Match[str], _payload: Any, _query: Any) -> Answer:
        held = self._purchased.get(unquote(match["number"]))
        if held is None:
            return _error(404, "PhoneNumberNotFound", "The phone number is not held by this resource.")
        return 200, held.body(), {}

    def _list(self, _match: re.Match[str], _payload: Any, query: dict[str, list[str]]) -> Answer:
        skip = int(query.get("skip", ["0"])[0])
        top = min(int(query.get("top", ["100"])[0]), self.page_size)
        held = list(self._purchased.values())
        page: dict[str, Any] = {"phoneNumbers": [p.body() for p in held[skip : skip + top]]}
        if self.list_without_plus:
            for body in page["phoneNumbers"]:
                body["phoneNumber"] = body["phoneNumber"].lstrip("+")
        if skip + top < len(held):
            page["nextLink"] = self._url(f"/phoneNumbers?skip={skip + top}&top={top}")
        return 200, page, {}

    def _operation_status(self, match: re.Match[str], _payload: Any, _query: Any) -> Answer:
        operation_id = match["operation"]
        operation = self._operations.get(operation_id)
        if operation is None:
            return _error(404, "NotFound", "No such operation.")
        operation.polls += 1
        self.polls[operation.kind] += 1
        under_way = any(c.operation == operation_id for c in self._commits)
        body: dict[str, Any] = {
            "operationType": operation.kind,
            "status": "running" if operation.polls <= self.running_polls or under_way else operation.outcome,
            "createdDateTime": operation.created,
            "id": operation_id,
            "lastActionDateTime": _now(),
        }
        headers = {"Retry-After": self.operation_retry_after} if self.operation_retry_after else {}
        if body["status"] == "succeeded" and operation.resource_location:
            body["resourceLocation"] = headers["Location"] = operation.resource_location
        if body["status"] == "failed":
            body["error"] = operation.error
        return 200, body, headers

    def _operation(
        self,
        kind: str,
        outcome: str,
        resource_location: str | None = None,
        error: dict[str, str] | None = None,
        ident: str | None = None,
    ) -> str:
        # As in the examples: "purchase_<id>", "release_<id>", "capabilities_<id>", "search_<search id>".
        operation_id = f"{_ID_PREFIXES[kind]}_{ident or uuid.uuid4()}"
        self._operations[operation_id] = _Operation(kind, outcome, resource_location, error)
        return operation_id

    def _started(self, operation_id: str) -> dict[str, str]:
        return {
            "Operation-Location": self._url(f"/phoneNumbers/operations/{operation_id}"),
            "operation-id": operation_id,
        }

    def _url(self, path: str) -> str:
        """A link as the spec's examples give them: relative to the endpoint. ASSUMPTION: with the
        api-version, which the examples' links leave out but every operation they lead to requires."""
        separator = "&" if "?" in path else "?"
        return f"{path}{separator}api-version={API_VERSION}"


@functools.cache
def _spec() -> RestSpec:
    return RestSpec.load(PHONE_NUMBERS_SPEC)


_ID_PREFIXES = {
    "search": "search",
    "purchase": "purchase",
    "releasePhoneNumber": "release",
    "updatePhoneNumberCapabilities": "capabilities",
}


def _id_of(operation_id: str) -> str:
    """The id in the operation's own header (purchase-id, release-id...): the operation id without its kind."""
    return operation_id.split("_", 1)[1]


def _in_minutes(clock: Any, minutes: int) -> str:
    then = dt.datetime.fromisoformat(_now(clock).replace("Z", "+00:00")) + dt.timedelta(minutes=minutes)
    return then.isoformat().replace("+00:00", "Z")


def _route(method: str, path: str) -> tuple[str | None, re.Match[str] | None]:
    for route_method, pattern, kind in _ROUTES:
        if method == route_method and (match := pattern.fullmatch(path)):
            return kind, match
    return None, None


def _error(status: int, code: str, message: str, retry_after: str | None = None) -> Answer:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    return status, {"error": {"code": code, "message": message}}, headers
