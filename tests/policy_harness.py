"""Resources written by hand, judged by the real policy pack through its gRPC service.

A fixture is a resource as the engine would hand it to the pack: a type, a name and inputs, with
secrets and unknowns marked. `judge` puts the fixtures in one plan and runs `preflight`'s
analyzer over it, so every test goes through pulumi_policy exactly as `pulumi preview` does.
"""

from pathlib import Path
from typing import Any

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime import rpc

from preflight.analyzer import CheckResult, Violation, analyze
from preflight.plan import ROOT_STACK_TYPE, Plan, PlannedResource
from preflight.policy_config import parse_policy_config

UNKNOWN = rpc.UNKNOWN  # a value Azure assigns on creation: unknown in a preview
STACK_URN = "urn:pulumi:test::fixture::pulumi:pulumi:Stack::fixture-test"


def secret(value: Any) -> dict[str, Any]:
    """A value the program marked as a Pulumi secret, as it travels to the pack."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:test::fixture::{type_token}::{name}"


def fixture(
    type_token: str,
    name: str,
    inputs: dict[str, Any],
    *,
    property_dependencies: dict[str, list[str]] | None = None,
    protect: bool = False,
) -> PlannedResource:
    """A resource under the stack. `property_dependencies` maps an input to the URNs it comes from."""
    wire = struct_pb2.Struct()
    wire.update(inputs)
    deps = property_dependencies or {}
    return PlannedResource(
        urn=urn(type_token, name),
        type=type_token,
        name=name,
        parent=STACK_URN,
        custom=True,
        inputs={},
        dependencies=sorted({u for urns in deps.values() for u in urns}),
        protect=protect,
        property_dependencies=deps,
        wire_inputs=wire,
    )


def judge(resources: list[PlannedResource], config: dict[str, Any] | None = None) -> CheckResult:
    """The pack's verdicts on `resources`, with `config` in the policy config file's format."""
    stack = PlannedResource(STACK_URN, ROOT_STACK_TYPE, "fixture-test", None, False, {}, [], False)
    plan = Plan(project="fixture", stack="test", resources=[stack, *resources], outputs={})
    path = Path("fixture-policy-config.json")
    return analyze(plan, parse_policy_config(config or {"all": "mandatory"}, path), path)


def violations_of(result: CheckResult, policy: str, resource_name: str | None = None) -> list[Violation]:
    return [
        v
        for v in result.violations
        if v.policy == policy and (resource_name is None or v.resource_name == resource_name)
    ]


def verdict_tests(fails, passes):
    """The checks each policy module makes of its `result` fixture: every (policy, resource,
    message) of `fails` is a violation whose message starts so, every (policy, resource) of
    `passes` is none, and no rule failed to run on unknown values. A module takes them as
    `test_violation, test_no_violation, test_no_rule_fails_to_run_on_unknown_values = verdict_tests(...)`."""

    @pytest.mark.parametrize(("policy", "resource", "message"), fails)
    def test_violation(result, policy, resource, message):
        found = [v.message for v in violations_of(result, policy, resource)]
        assert any(m.startswith(message) for m in found), found

    @pytest.mark.parametrize(("policy", "resource"), sorted(passes))
    def test_no_violation(result, policy, resource):
        assert violations_of(result, policy, resource) == []

    def test_no_rule_fails_to_run_on_unknown_values(result):
        assert not [v for v in result.violations if "can't run policy" in v.message]

    return test_violation, test_no_violation, test_no_rule_fails_to_run_on_unknown_values
