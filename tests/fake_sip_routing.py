"""A local fake of the ACS SIP routing data plane (Direct Routing), over HTTPS, for the real SipRoutingClient.

It answers what azure-communication-phonenumbers 1.4.0 sends (API version 2023-03-01), on 127.0.0.1 with a
certificate the tests create and trust:

- GET /sip ("GET"): 200 with the configuration, `{"trunks": {fqdn: {"sipSignalingPort": n}}, "routes": [...]}`,
  routes in priority order, as in examples/GetSipConfiguration.json;
- PATCH /sip ("PATCH", `application/merge-patch+json`): trunks merged by FQDN, a null removing one; `routes`,
  when given, replaces the whole list (a merge patch replaces arrays whole); 200 with the configuration as
  the PATCH leaves it, as in examples/UpdateSipConfiguration.json. Another content type is refused with 415.

Requests need a Bearer token or an HMAC-SHA256 signature (checked against `access_key` when the fake has
one), and api-version 2023-03-01. Every request and answer is checked against the vendored spec. Error
bodies are CommunicationErrorResponse, the 415, 422 and 500 ones shaped as examples/PatchSipConfiguration.json
gives them (its error examples: the spec's own x-ms-examples name none).

It records every request (method and JSON body) and counts them by method, and can be scripted: the next
GETs or PATCHes answering an error (with Retry-After), the Nth PATCH failing, a PATCH carried out whose
answer is lost, and the configuration changed behind Pulumi's back (`configure`, as in the portal).

What the spec does not describe, and the fake assumes. Where marked "recorded", the service was seen doing so
in azure-sdk-for-js's recorded tests (sdk/communication/communication-phone-numbers/recordings/node/
acs_siproutingclient_functional_tests/, against API versions 2021-05-01-preview and 2022-09-01-preview):
- ASSUMPTION (recorded, cannot_set_a_route_without_referenced_trunk): a PATCH that would leave a route naming
  a trunk the configuration does not have is refused whole: 422, innererror MissingTrunk, nothing applied.
- ASSUMPTION (recorded, cannot_set_trunks_without_trunk_used_in_route): so is the removal of a trunk a route
  still names, and the GET after it shows nothing applied: a PATCH is all or nothing.
- ASSUMPTION (not recorded, nor described): one PATCH that removes a trunk and gives routes that no longer
  name it is accepted: references are checked against the configuration the whole PATCH leaves. Set
  `removals_checked_against_current_routes` for the other way a service could check: each removed trunk
  against the routes as they were before the PATCH (422 MissingTrunk, nothing applied).
- ASSUMPTION (recorded, can_delete_an_existing_trunk): removing a trunk that is not there answers 200.
- ASSUMPTION (recorded, cannot_delete_a_trunk_referenced_from_a_route): a PATCH that changes nothing
  (`{}`, `{"trunks": {}}`) is refused: 422 EmptyPatch.
- ASSUMPTION (recorded, cannot_set_duplicated_routes, cannot_set_a_route_with_duplicated_routing_trunks): two
  routes of one name, or a route naming a trunk twice, are refused with 400 (DuplicatedRoute,
  RouteWithDuplicatedTrunk).
- ASSUMPTION: a new trunk without a port is refused with 422: the spec's Trunk requires sipSignalingPort,
  which only its TrunkUpdate leaves out.
- ASSUMPTION: a 429's body is `{"error": {"code": "TooManyRequests", ...}}`; no example has one.
- ASSUMPTION: the outer code of a 422 is the example's UnprocessableEntity (the recordings show
  UnprocessableConfiguration), with the recorded innererror codes.
"""

import base64
import copy
import functools
import json
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.acs_data_plane_auth import DataPlaneAuth
from tests.https_fake import Answer, HttpsFake
from tests.rest_spec import SIP_ROUTING_SPEC, RestSpec

API_VERSION = "2023-03-01"
EXAMPLES = SIP_ROUTING_SPEC.parent / "examples"
MERGE_PATCH = "application/merge-patch+json"


@dataclass(frozen=True)
class Request:
    method: str
    body: Any  # the JSON body, None where there is none


@dataclass
class _Failure:
    method: str
    status: int
    retry_after: str | None
    apply: bool = False  # carry the request out before failing: the change is made, the answer is lost


class FakeSipRouting(DataPlaneAuth, HttpsFake):
    """Start with `with FakeSipRouting(cert, key) as fake:`; the server stops when the block ends."""

    def __init__(self, cert: Path, key: Path, access_key: str | None = None):
        super().__init__(cert, key, spec=_spec())
        self.access_key = access_key  # when set, HMAC signatures are checked against it
        self.removals_checked_against_current_routes = False  # see the module's ASSUMPTIONs
        self.requests: list[Request] = []  # in order
        self.calls: Counter[str] = Counter()  # by method: "GET", "PATCH"
        self.auth: Counter[str] = Counter()  # "Bearer", "HMAC-SHA256"
        self._trunks: dict[str, dict[str, Any]] = {}  # fqdn -> {"sipSignalingPort": n}
        self._routes: list[dict[str, Any]] = []
        self._failures: list[_Failure] = []
        self._numbered: dict[int, int] = {}  # PATCH number (1 = the first the fake receives) -> status
        self._lock = threading.Lock()

    def connection_string(self) -> str:
        """The connection string of this "resource", with its access key (made on first use)."""
        if self.access_key is None:
            self.access_key = base64.b64encode(b"sip-routing-fake-access-key-0123").decode()
        return f"endpoint={self.url}/;accesskey={self.access_key}"

    # The configuration and the scripts

    def configure(self, trunks: dict[str, int] | None = None, routes: list[dict[str, Any]] | None = None) -> None:
        """Sets the configuration as someone in the portal would: no call through the API, no check."""
        with self._lock:
            if trunks is not None:
                self._trunks = {fqdn: {"sipSignalingPort": port} for fqdn, port in trunks.items()}
            if routes is not None:
                self._routes = copy.deepcopy(routes)

    @property
    def trunks(self) -> dict[str, int]:
        with self._lock:
            return {fqdn: trunk["sipSignalingPort"] for fqdn, trunk in self._trunks.items()}

    @property
    def routes(self) -> list[dict[str, Any]]:
        """The routes in priority order, as GET answers them."""
        with self._lock:
            return self._configuration()["routes"]

    @property
    def patches(self) -> list[Any]:
        """The bodies of the PATCHes received, in order."""
        return [r.body for r in self.requests if r.method == "PATCH"]

    def fail_next(self, method: str, status: int, times: int = 1, retry_after: float | None = None) -> None:
        """The next `times` requests of `method` answer `status`, with Retry-After (seconds) when given, and
        change nothing."""
        header = None if retry_after is None else f"{retry_after:g}"
        with self._lock:
            self._failures.extend(_Failure(method, status, header) for _ in range(times))

    def lose_answer_of_next(self, method: str = "PATCH", status: int = 503) -> None:
        """The next request of `method` is carried out, then answers `status`: the answer is lost."""
        with self._lock:
            self._failures.append(_Failure(method, status, None, apply=True))

    def fail_patch(self, number: int, status: int = 500, times: int = 1) -> None:
        """PATCHes number `number` to `number + times - 1` (counting every PATCH the fake receives, retries
        too, from 1) answer `status` and change nothing."""
        with self._lock:
            self._numbered.update(dict.fromkeys(range(number, number + times), status))

    # The API

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Answer:
        url = urlsplit(target)
        with self._lock:
            payload = json.loads(body) if body else None
            self.requests.append(Request(method, payload))
            self.calls[method] += 1
            refused = self._authenticate(method, target, headers, body)
            if refused is not None:
                return refused
            if parse_qs(url.query).get("api-version") != [API_VERSION]:
                return _error(400, "InvalidApiVersion", f"api-version must be {API_VERSION}.")
            if url.path != "/sip" or method not in ("GET", "PATCH"):
                return _error(404, "NotFound", f"No route for {method} {url.path}.")
            if method == "PATCH" and self.calls["PATCH"] in self._numbered:
                return _example_error(self._numbered.pop(self.calls["PATCH"]))
            failure = next((f for f in self._failures if f.method == method), None)
            if failure is not None:
                self._failures.remove(failure)
                if not failure.apply:
                    return _scripted(failure.status, failure.retry_after)
            if method == "GET":
                answer: Answer = (200, self._configuration(), {})
            elif (headers.get("Content-Type") or "").split(";")[0].strip() != MERGE_PATCH:
                answer = _example_error(415)
            else:
                answer = self._patch(payload)
            if failure is not None:
                return _scripted(failure.status, None, "Carried out, but the answer is lost.")
            return answer

    def _configuration(self) -> dict[str, Any]:
        routes = []
        for route in self._routes:
            shown: dict[str, Any] = {"name": route["name"]}
            if route.get("description"):
                shown["description"] = route["description"]
            shown["numberPattern"] = route["numberPattern"]
            shown["trunks"] = list(route.get("trunks") or [])
            routes.append(shown)
        return {"trunks": copy.deepcopy(self._trunks), "routes": routes}

    def _patch(self, patch: Any) -> Answer:
        if not isinstance(patch, dict) or (not patch.get("trunks") and "routes" not in patch):
            return _unprocessable("EmptyPatch", "Patch with no data provided.")
        trunks = copy.deepcopy(self._trunks)
        removed = []
        for fqdn, change in (patch.get("trunks") or {}).items():
            if change is None:
                trunks.pop(fqdn, None)
                removed.append(fqdn)
                continue
            merged = {**trunks.get(fqdn, {}), **{k: v for k, v in change.items() if v is not None}}
            if "sipSignalingPort" not in merged:
                return _unprocessable("InvalidTrunk", f"Trunk {fqdn} has no SIP signaling port.")
            trunks[fqdn] = merged
        routes = copy.deepcopy(patch["routes"]) if patch.get("routes") is not None else copy.deepcopy(self._routes)
        names = [route.get("name") for route in routes]
        if len(set(names)) != len(names):
            return _bad_request("DuplicatedRoute", "There is a duplicated route.")
        if any(len(set(route.get("trunks") or [])) != len(route.get("trunks") or []) for route in routes):
            return _bad_request("RouteWithDuplicatedTrunk", "There is a duplicated trunk in a route.")
        named = {fqdn for route in routes for fqdn in route.get("trunks") or []}
        if self.removals_checked_against_current_routes:
            named |= {fqdn for route in self._routes for fqdn in route.get("trunks") or [] if fqdn in removed}
        if any(fqdn not in trunks for fqdn in named):
            return _unprocessable("MissingTrunk", "Route targeting a missing trunk.")
        self._trunks, self._routes = trunks, routes
        return 200, self._configuration(), {}

    def _authenticate(self, method: str, target: str, headers: Any, body: bytes) -> Answer | None:
        refusal = self._refusal(method, target, headers, body)
        return None if refusal is None else _error(401, "Denied", refusal)


@functools.cache
def _spec() -> RestSpec:
    return RestSpec.load(SIP_ROUTING_SPEC)


@functools.cache
def _error_examples() -> dict[int, dict[str, Any]]:
    """The error bodies of examples/PatchSipConfiguration.json, by status."""
    example = json.loads((EXAMPLES / "PatchSipConfiguration.json").read_text(encoding="utf-8"))
    return {int(status): answer["body"] for status, answer in example["responses"].items() if status != "200"}


def _example_error(status: int) -> Answer:
    """The example's error body for `status` (415, 422 or 500); another status, as a 500's."""
    body = copy.deepcopy(_error_examples().get(status) or _error_examples()[500])
    return status, body, {"x-ms-error-code": body["error"]["code"]}


def _unprocessable(code: str, message: str) -> Answer:
    status, body, headers = _example_error(422)
    body["error"]["innererror"] = {"code": code, "message": message}
    return status, body, headers


def _bad_request(code: str, message: str) -> Answer:
    status, body, headers = _unprocessable(code, message)
    return 400, body, headers


def _scripted(status: int, retry_after: str | None, message: str = "A failure the test asked for.") -> Answer:
    if status == 429:
        answer = _error(429, "TooManyRequests", message)
    else:
        code, body, headers = _example_error(status)
        answer = (code, {"error": {**body["error"], "message": message}}, headers)
    if retry_after is not None:
        answer[2]["Retry-After"] = retry_after
    return answer


def _error(status: int, code: str, message: str) -> Answer:
    return status, {"error": {"code": code, "message": message}}, {"x-ms-error-code": code}
