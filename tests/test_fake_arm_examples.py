"""FakeArm's listings for `python -m preflight adopt` against the examples Azure publishes for them
(tests/specs/SOURCES.md lists the vendored files).

Three of the listings have no vendored spec: the resource group GET (Microsoft.Resources resources.json) and the
Event Grid system topics and their event subscriptions (Microsoft.EventGrid EventGrid.json) are single files too
big to copy exactly through the file index, so FakeArm marks their paths undescribed and nothing checks their
traffic against a schema. What is checked here instead is that FakeArm's answers have the shape of the published
examples' 200 bodies:

- every property that every example item has is present (a property only some example items have is optional),
  under the same name, and every property both have holds the same JSON type (object, array, string, number,
  boolean; an example's null says nothing of the type and is skipped), recursively, array items against all of the
  example's items;
- an object with an `endpointType` (Event Grid's polymorphic destinations) is compared only with example objects
  of the same `endpointType`, else only its `endpointType`;
- each item's `type` is the example's (ARM resource types are case-insensitive).

This is weaker than a schema: a property the examples do not show is not checked at all, and the examples show
no value constraints (enums, formats). ResourceGroups_Get has no example of its own in resources.json 2025-04-01;
CreateResourceGroup.json, the example of ResourceGroups_CreateOrUpdate, is used since its 200 answers the same
ResourceGroup definition.

Some properties are there or not as the test seeds them, not as FakeArm decides (LENIENT): an event
subscription's properties other than `topic` and `provisioningState` (seeded as ARM answers a GET,
tests/adoption_tenant.py; the tenant's Service Bus subscription is delivered with `deliveryWithResourceIdentity`,
which the spec allows in place of `destination`), a suppressed address's names and notes and a sender's display
name (optional in their specs). Their types are compared where the examples show them; their absence is not
reported, since the examples cannot say ARM always returns them.

The Communication listings (sender usernames, suppression lists and their addresses) are checked against their
vendored specs by FakeArm itself; they are compared with their examples here too, and those examples with the
specs.
"""

import json
import ssl
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.rest_spec import ARM_SPEC_DIR, SENDER_USERNAMES_SPEC, SPECS, SUPPRESSION_LISTS_SPEC, RestSpec

EVENT_GRID_EXAMPLES = SPECS / "eventgrid/resource-manager/Microsoft.EventGrid"
SYSTEM_TOPICS_EXAMPLE = EVENT_GRID_EXAMPLES / "stable/2025-02-15/examples/SystemTopics_ListByResourceGroup.json"
# Stored only under the TypeSpec layout's copy of the 2025-02-15 examples (see tests/specs/SOURCES.md).
EVENT_SUBSCRIPTIONS_EXAMPLE = (
    EVENT_GRID_EXAMPLES / "EventGrid/stable/2025-02-15/examples/SystemTopicEventSubscriptions_ListBySystemTopic.json"
)
RESOURCE_GROUP_EXAMPLE = (
    SPECS / "resources/resource-manager/Microsoft.Resources/stable/2025-04-01/examples/CreateResourceGroup.json"
)
SENDERS_EXAMPLE = ARM_SPEC_DIR / "examples/senderUsernames/listByDomain.json"
SUPPRESSION_LISTS_EXAMPLE = ARM_SPEC_DIR / "examples/suppressionLists/getSuppressionLists.json"
ADDRESSES_EXAMPLE = ARM_SPEC_DIR / "examples/suppressionLists/getAddresses.json"

# The api-versions azure-mgmt-resource 26.0.0, azure-mgmt-eventgrid 10.4.0 and azure-mgmt-communication 3.0.0 send.
RESOURCES_VERSION, EVENT_GRID_VERSION, COMMUNICATION_VERSION = "2025-04-01", "2025-02-15", "2025-09-01"
# Properties whose presence the test decides, not FakeArm (each optional in its spec): an event subscription's
# properties as seeded, an address's names and notes, a sender's display name. Their types are still compared.
LENIENT = {
    "SystemTopicEventSubscriptions_ListBySystemTopic": frozenset({"value[].properties"}),
    "SenderUsernames_ListByDomains": frozenset({"value[].properties.displayName"}),
    "SuppressionListAddresses_List": frozenset(
        f"value[].properties.{name}" for name in ("firstName", "lastName", "notes")
    ),
}


def _example_body(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))["responses"]["200"]["body"]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array", str: "string"}.get(type(value), type(value).__name__)


def shape_problems(
    samples: list[Any], actual: Any, where: str = "$", path: str = "", lenient: frozenset[str] = frozenset()
) -> list[str]:
    """How `actual` differs in shape from the example values `samples` (one, or all of an array's items).
    A missing property whose path (array indices written `[]`) is or lies under one in `lenient` is not reported;
    nor is one the examples give as null."""
    samples = [sample for sample in samples if sample is not None]
    if not samples:
        return []
    kinds = {_kind(sample) for sample in samples}
    if _kind(actual) not in kinds:
        return [f"{where}: {_kind(actual)} where the example has {' or '.join(sorted(kinds))}"]
    if isinstance(actual, list):
        items = [item for sample in samples for item in sample]
        return [
            problem
            for i, item in enumerate(actual)
            for problem in shape_problems(items, item, f"{where}[{i}]", f"{path}[]", lenient)
        ]
    if not isinstance(actual, dict):
        return []
    objects: list[dict[str, Any]] = samples
    if "endpointType" in actual:
        same = [o for o in objects if o.get("endpointType") == actual["endpointType"]]
        objects = same or [{"endpointType": o["endpointType"]} for o in objects if "endpointType" in o]
        if not objects:
            return []
    problems: list[str] = []
    always = set.intersection(*({key for key, value in o.items() if value is not None} for o in objects))
    for key in sorted(always - set(actual)):
        missing = f"{path}.{key}".lstrip(".")
        if not any(missing == exempt or missing.startswith(exempt + ".") for exempt in lenient):
            problems.append(f"{where}: no {key!r}, which the example has")
    for key, value in actual.items():
        shown = [o[key] for o in objects if key in o]
        if shown:
            problems.extend(shape_problems(shown, value, f"{where}.{key}", f"{path}.{key}".lstrip("."), lenient))
    return problems


def _types(body: dict[str, Any]) -> set[str]:
    items = body.get("value", [body])
    return {item["type"].lower() for item in items if "type" in item}


def _get(fakes: Any, resource_path: str, api_version: str) -> dict[str, Any]:
    context = ssl.create_default_context(cafile=str(fakes.certificate[0]))
    request = urllib.request.Request(
        f"{fakes.arm.url}{resource_path}?api-version={api_version}", headers={"Authorization": "Bearer fake-token"}
    )
    with urllib.request.urlopen(request, context=context, timeout=10) as answer:
        assert answer.status == 200
        return json.loads(answer.read())


def _listings(tenant: Any) -> dict[str, tuple[str, str, Path]]:
    group = f"/subscriptions/{tenant.subscription}/resourceGroups/{tenant.resource_group}"
    domain = tenant.custom_domain_id
    return {
        "ResourceGroups_Get": (group, RESOURCES_VERSION, RESOURCE_GROUP_EXAMPLE),
        "SystemTopics_ListByResourceGroup": (
            f"{group}/providers/Microsoft.EventGrid/systemTopics",
            EVENT_GRID_VERSION,
            SYSTEM_TOPICS_EXAMPLE,
        ),
        "SystemTopicEventSubscriptions_ListBySystemTopic": (
            f"{tenant.topic_id}/eventSubscriptions",
            EVENT_GRID_VERSION,
            EVENT_SUBSCRIPTIONS_EXAMPLE,
        ),
        "SenderUsernames_ListByDomains": (f"{domain}/senderUsernames", COMMUNICATION_VERSION, SENDERS_EXAMPLE),
        "SuppressionLists_ListByDomain": (
            f"{domain}/suppressionLists",
            COMMUNICATION_VERSION,
            SUPPRESSION_LISTS_EXAMPLE,
        ),
        "SuppressionListAddresses_List": (
            f"{tenant.suppression_list_id}/suppressionListAddresses",
            COMMUNICATION_VERSION,
            ADDRESSES_EXAMPLE,
        ),
    }


OPERATIONS = (
    "ResourceGroups_Get",
    "SystemTopics_ListByResourceGroup",
    "SystemTopicEventSubscriptions_ListBySystemTopic",
    "SenderUsernames_ListByDomains",
    "SuppressionLists_ListByDomain",
    "SuppressionListAddresses_List",
)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_fakes_answer_has_the_published_examples_shape(tenant_fakes, operation):
    resource_path, api_version, example_file = _listings(tenant_fakes.tenant)[operation]
    example = _example_body(example_file)
    answer = _get(tenant_fakes, resource_path, api_version)
    if "value" in example:
        assert answer["value"], "the tenant seeds at least one of each"
    assert shape_problems([example], answer, lenient=LENIENT.get(operation, frozenset())) == []
    assert _types(answer) <= _types(example) or not _types(example)


def test_the_fakes_event_subscriptions_carry_what_arm_adds(tenant_fakes):
    tenant = tenant_fakes.tenant
    answer = _get(tenant_fakes, f"{tenant.topic_id}/eventSubscriptions", EVENT_GRID_VERSION)
    for item in answer["value"]:
        assert item["properties"]["topic"].lower() == tenant.topic_id.lower()
        assert item["properties"]["provisioningState"] == "Succeeded"


def test_shape_problems_says_what_differs():
    example = {
        "value": [{"name": "a", "tags": None, "properties": {"n": 1, "s": "x"}}, {"name": "b", "properties": {}}]
    }
    assert shape_problems([example], {"value": [{"name": "c", "tags": {}, "properties": {"n": 2}}]}) == []
    assert shape_problems([example], {"value": [{"properties": {"n": "2"}}]}) == [
        "$.value[0]: no 'name', which the example has",
        "$.value[0].properties.n: string where the example has number",
    ]
    destination = {"endpointType": "StorageQueue", "properties": {"queueName": "q"}}
    webhook = {"endpointType": "WebHook", "properties": {"endpointBaseUrl": "https://x"}}
    assert shape_problems([destination], webhook) == []
    assert shape_problems([destination], {"endpointType": "StorageQueue", "properties": {}}) == [
        "$.properties: no 'queueName', which the example has"
    ]


@pytest.mark.parametrize(
    ("spec_path", "vendored"),
    [
        (SENDER_USERNAMES_SPEC, {"listByDomain.json"}),
        (SUPPRESSION_LISTS_SPEC, {"getSuppressionLists.json", "getAddresses.json"}),
    ],
    ids=lambda value: value.stem if isinstance(value, Path) else "",
)
def test_the_vendored_list_examples_meet_their_specs(spec_path, vendored):
    """The list examples vendored, as requests and 200 answers of their operations (the api-version they send,
    2025-09-01, is the one SenderUsernames.json is checked with: VERSION_OVERRIDES)."""
    spec = RestSpec.load(spec_path)
    assert spec.missing_files == []
    examples = {example.file.name: example for example in spec.examples()}
    assert set(examples) == vendored
    for example in examples.values():
        assert spec.request_problems(example.method, example.target, example.headers, example.body) == []
        body = dict(example.responses[200].body)
        if example.file.name == "getSuppressionLists.json":
            # It answers "nextLink": null, which its schema (a string, not x-nullable) does not allow: the example
            # is off its own spec there. FakeArm leaves nextLink out on the last page, as the spec allows.
            assert body.pop("nextLink") is None
        assert spec.response_problems(example.method, example.target, 200, {}, json.dumps(body).encode()) == []
