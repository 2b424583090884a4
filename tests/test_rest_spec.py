"""The REST spec validator (tests/rest_spec.py) against the vendored phone numbers spec and its
examples, and the opt-in spec check of the shared HTTPS fake server."""

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fake_arm import make_certificate
from tests.https_fake import Answer, HttpsFake
from tests.rest_spec import PHONE_NUMBERS_SPEC, SUBSTITUTES, Example, RestSpec

VENDORED_EXAMPLES = {
    "SearchPhoneNumbers.json",
    "GetPhoneNumberSearchResult.json",
    "PurchasePhoneNumbers.json",
    "GetOperation.json",
    "ReleasePhoneNumber.json",
    "UpdatePhoneNumberCapabilities.json",
    "GetPhoneNumber.json",
    "GetPhoneNumbers.json",
    "GetOfferings.json",
}
OPERATION = "/phoneNumbers/operations/search_1?api-version=2025-06-01"


@pytest.fixture(scope="module")
def spec() -> RestSpec:
    return RestSpec.load(PHONE_NUMBERS_SPEC)


def _examples() -> list[Example]:
    return RestSpec.load(PHONE_NUMBERS_SPEC).examples()


def _operation_body(**changes: Any) -> bytes:
    body = {
        "operationType": "search",
        "status": "running",
        "createdDateTime": "2025-06-01T10:00:00.000Z",
        "id": "search_1",
    }
    body.update(changes)
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


def test_every_listed_example_is_vendored_and_found_through_the_spec():
    assert {example.file.name for example in _examples()} == VENDORED_EXAMPLES


@pytest.mark.parametrize("example", _examples(), ids=lambda example: example.file.stem)
def test_an_example_request_meets_the_spec(spec, example):
    assert spec.request_problems(example.method, example.target, example.headers, example.body) == []


@pytest.mark.parametrize("example", _examples(), ids=lambda example: example.file.stem)
def test_an_example_response_meets_the_spec(spec, example):
    assert example.responses
    for status, response in example.responses.items():
        problems = spec.response_problems(
            example.method, example.target, status, response.headers, response.body_bytes()
        )
        assert problems == [], f"{example.file.name} {status}"
        # The headers the example shows are those the spec declares for that answer.
        declared = {name.lower() for name in spec.declared_headers(example.method, example.target, status)}
        assert {name.lower() for name in response.headers} <= declared


def test_the_common_error_file_missing_from_the_copy_is_read_from_its_nearest_version(spec):
    # Common 2021-03-07/common.json is not in the copy the files were taken from: 2022-07-13 stands in.
    assert spec.missing_files == []
    error = {"error": {"code": "NotFound", "message": "x"}}
    assert spec.response_problems("GET", OPERATION, 404, {}, json.dumps(error).encode()) == []
    problems = spec.response_problems("GET", OPERATION, 404, {}, b'{"error": {"code": "NotFound"}}')
    assert problems == ["PhoneNumbers_GetOperation 404 (as default): $.error: 'message' is a required property"]


def test_the_stand_in_error_definition_is_the_one_the_sdk_was_generated_from():
    from azure.communication.phonenumbers._generated.models import CommunicationError

    stand_in = json.loads(next(iter(SUBSTITUTES.values())).read_text())["definitions"]["CommunicationError"]
    generated = {entry["key"] for entry in CommunicationError._attribute_map.values()}
    assert set(stand_in["properties"]) == generated
    assert set(stand_in["required"]) == {k for k, v in CommunicationError._validation.items() if v.get("required")}


def test_a_response_without_a_required_property_is_off_spec(spec):
    problems = spec.response_problems("GET", OPERATION, 200, {}, _operation_body(createdDateTime=None))
    assert problems == ["PhoneNumbers_GetOperation 200: $: 'createdDateTime' is a required property"]


def test_an_enum_value_of_the_wrong_case_is_off_spec(spec):
    problems = spec.response_problems("GET", OPERATION, 200, {}, _operation_body(status="Running"))
    assert problems == [
        "PhoneNumbers_GetOperation 200: $.status: "
        "'Running' is not one of ['notStarted', 'running', 'succeeded', 'failed']"
    ]


def test_a_date_time_that_is_not_rfc_3339_is_off_spec(spec):
    problems = spec.response_problems("GET", OPERATION, 200, {}, _operation_body(createdDateTime="2025-06-01 10:00"))
    assert problems == ["PhoneNumbers_GetOperation 200: $.createdDateTime: '2025-06-01 10:00' is not a 'date-time'"]


def test_an_undeclared_path_is_off_spec(spec):
    target = "/phoneNumbers/%2B14255550123/assignments?api-version=2025-06-01"
    expected = ["no operation in the spec for GET /phoneNumbers/%2B14255550123/assignments"]
    assert spec.request_problems("GET", target, {}, b"") == expected
    assert spec.response_problems("GET", target, 200, {}, b"{}") == expected


def test_an_undeclared_method_is_off_spec(spec):
    assert spec.request_problems("PUT", "/phoneNumbers/%2B14255550123?api-version=2025-06-01", {}, b"") == [
        "no operation in the spec for PUT /phoneNumbers/%2B14255550123 (its path allows DELETE, GET)"
    ]


def test_a_status_not_declared_where_there_is_no_default_is_off_spec():
    # Every operation of the phone numbers spec has a default response: take one away.
    spec = RestSpec.load(PHONE_NUMBERS_SPEC)
    del spec.document["paths"]["/phoneNumbers/operations/{operationId}"]["get"]["responses"]["default"]
    assert spec.response_problems("GET", OPERATION, 201, {}, _operation_body()) == [
        "PhoneNumbers_GetOperation 201: status not declared (the spec declares 200)"
    ]


def test_a_body_where_the_spec_declares_none_is_off_spec(spec):
    target = "/phoneNumbers/%2B14255550123?api-version=2025-06-01"
    assert spec.response_problems("DELETE", target, 202, {}, b"{}") == [
        "PhoneNumbers_ReleasePhoneNumber 202: a body where the spec declares none"
    ]


def test_an_empty_body_is_off_spec_only_where_the_schema_requires_properties_and_the_status_is_not_202(spec):
    assert spec.response_problems("GET", OPERATION, 200, {}, b"") == [
        "PhoneNumbers_GetOperation 200: the body is missing"
    ]
    # The search's 202 declares PhoneNumberSearchResult, yet Azure answers it without a body.
    search = "/availablePhoneNumbers/countries/US/:search?api-version=2025-06-01"
    assert spec.response_problems("POST", search, 202, {"operation-id": "search_1"}, b"") == []


def test_a_request_without_api_version_is_off_spec(spec):
    assert spec.request_problems("GET", "/phoneNumbers/operations/search_1", {}, b"") == [
        "PhoneNumbers_GetOperation request: required query parameter 'api-version' is missing"
    ]


def test_a_request_with_another_api_version_is_off_spec(spec):
    assert spec.request_problems("GET", "/phoneNumbers/operations/search_1?api-version=2022-12-01", {}, b"") == [
        "PhoneNumbers_GetOperation request: api-version '2022-12-01' is not the spec's '2025-06-01'"
    ]


def test_a_request_body_off_its_schema_is_off_spec(spec):
    target = "/availablePhoneNumbers/countries/US/:search?api-version=2025-06-01"
    body = json.dumps({"phoneNumberType": "tollFree", "assignmentType": "application", "quantity": 0}).encode()
    assert spec.request_problems("POST", target, {}, body) == [
        "PhoneNumbers_SearchAvailablePhoneNumbers request: $: 'capabilities' is a required property",
        "PhoneNumbers_SearchAvailablePhoneNumbers request: $.quantity: 0 is less than the minimum of 1",
    ]
    assert spec.request_problems("POST", target, {}, b"") == [
        "PhoneNumbers_SearchAvailablePhoneNumbers request: the required body is missing"
    ]


def test_read_only_properties_in_a_request_are_ignored_and_x_nullable_allows_null(spec):
    target = "/availablePhoneNumbers/reservations/6f2a9c1e-0b7d-4d8e-9a55-3c1f0e2b7a10?api-version=2025-06-01"
    # id and status are readOnly (and id is no uuid here); a number set to null is removed from the reservation.
    body = json.dumps({"id": 5, "status": "Unknown", "phoneNumbers": {"14255550123": None}}).encode()
    assert spec.request_problems("PATCH", target, {}, body) == []
    answer = json.dumps({"id": 5, "phoneNumbers": {"14255550123": None}}).encode()
    assert spec.response_problems("PATCH", target, 200, {}, answer) == [
        "PhoneNumbers_CreateOrUpdateReservation 200: $.id: 5 is not of type 'string'"
    ]


def test_path_parameters_are_matched_url_decoded_and_checked(spec):
    target = "/availablePhoneNumbers/reservations/not-a-uuid?api-version=2025-06-01"
    assert spec.request_problems("GET", target, {}, b"") == [
        "PhoneNumbers_GetReservation request: path parameter 'reservationId': $: 'not-a-uuid' is not a 'uuid'"
    ]
    assert spec.request_problems("GET", "/phoneNumbers/%2B14255550123?api-version=2025-06-01", {}, b"") == []


# The opt-in check of the shared fake server


class _Fake(HttpsFake):
    """Answers every request with the one answer it is given, checked against the phone numbers spec."""

    def __init__(self, cert: Path, key: Path, answer: Answer):
        super().__init__(cert, key, spec=RestSpec.load(PHONE_NUMBERS_SPEC))
        self.answer = answer

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Answer:
        return self.answer


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("rest-spec"))


def _operation(status: str) -> dict[str, str]:
    return json.loads(_operation_body(status=status))


def test_a_fake_that_answers_off_spec_fails_when_its_block_ends(certificate):
    fake = _Fake(*certificate, (200, _operation("Running"), {}))
    with pytest.raises(AssertionError) as raised, fake:
        answer = requests.get(fake.url + OPERATION, verify=str(certificate[0]), timeout=5)
        assert answer.json()["status"] == "Running"  # the answer is served all the same
    assert "GET /phoneNumbers/operations/search_1?api-version=2025-06-01: PhoneNumbers_GetOperation 200: $.status:" in (
        str(raised.value)
    )
    assert len(fake.spec_violations) == 1


def test_a_fake_that_is_asked_off_spec_fails_when_its_block_ends(certificate):
    fake = _Fake(*certificate, (200, _operation("running"), {}))
    with pytest.raises(AssertionError, match="required query parameter 'api-version' is missing"), fake:
        requests.get(fake.url + "/phoneNumbers/operations/search_1", verify=str(certificate[0]), timeout=5)


def test_a_fake_that_answers_on_spec_ends_cleanly(certificate):
    with _Fake(*certificate, (200, _operation("succeeded"), {"Location": "/phoneNumbers/%2B14255550123"})) as fake:
        answer = requests.get(fake.url + OPERATION, verify=str(certificate[0]), timeout=5)
    assert answer.status_code == 200
    assert fake.spec_violations == []


def test_an_exception_leaving_the_block_is_not_hidden_by_the_violations(certificate):
    with pytest.raises(KeyError), _Fake(*certificate, (200, _operation("Running"), {})) as fake:
        requests.get(fake.url + OPERATION, verify=str(certificate[0]), timeout=5)
        raise KeyError("the test's own failure")
    assert fake.spec_violations


def test_a_fake_without_a_spec_checks_nothing(certificate):
    class Plain(HttpsFake):
        def handle(self, method: str, target: str, headers: Any, body: bytes) -> Answer:
            return 200, {"status": "Running"}, {}

    with Plain(*certificate) as fake:
        requests.get(fake.url + "/anything", verify=str(certificate[0]), timeout=5)
    assert fake.spec_violations == []
