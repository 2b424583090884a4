"""The component package (component_package/): its schema as Pulumi's own analyzer infers it, the
plugin entry as Pulumi's Python language host runs it, the YAML example against the schema (and
through the plugin's `construct`), and the settings types against the config models they mirror.

Offline, without the Pulumi CLI: the schema comes from the code path `component_provider_host`
takes (`ComponentProvider`, then the gRPC `GetSchema` the CLI calls for `pulumi package add` and
`pulumi package get-schema`); the plugin is started as the language host starts it
(`python <plugin folder> <engine address>`, from another working directory).
"""

import asyncio
import copy
import importlib
import inspect
import json
import re
import runpy
import subprocess
import sys
import threading
import typing
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import grpc
import pulumi
import pytest
from google.protobuf import empty_pb2
from pulumi.provider.experimental import host
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.server import ProviderServicer
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

import component_package
from preflight.runner import record_preview
from preflight.stack_yaml import read_yaml
from tests.package_schema import any_typed, example_problems, package_resources

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "component_package"
EXAMPLE = ROOT / "examples" / "yaml" / "Pulumi.yaml"
TOKENS = {
    "AcsInstance": "acs-platform:index:AcsInstance",
    "SharedInfrastructure": "acs-platform:index:SharedInfrastructure",
}

# Where the schema says Any on purpose, and why. Anything else typed Any (or untyped) fails.
INTENDED_ANY = {
    "types.acs-platform:index:AdvancedFilterSettings.properties.value: Any": (
        "an advanced filter compares with a number, a boolean or a string, by operator: a union, "
        "which the analyzer does not express"
    ),
    "types.acs-platform:index:AdvancedFilterSettings.properties.values: Any": (
        "a list of numbers or of strings, by operator: a union as well"
    ),
}


# --- the real components ----------------------------------------------------------------------


def hosted_components() -> list[type[pulumi.ComponentResource]]:
    # >>> REAL COMPONENTS: the list the plugin hosts (component_package.components(), which imports
    # components/acs_instance.py and components/shared.py).
    return component_package.components()


@pytest.fixture(scope="module")
def hosted_provider() -> ComponentProvider:
    """The provider `component_provider_host` builds, caught where it would start serving."""
    return provider_built_by_host(hosted_components())


@pytest.fixture(scope="module")
def schema(hosted_provider) -> dict[str, Any]:
    return served_schema(hosted_provider)


def provider_built_by_host(components: list[type[pulumi.ComponentResource]]) -> ComponentProvider:
    """`component_package.serve` as the plugin runs it, with `pulumi.provider.main` (which would serve
    gRPC until stopped) replaced by a catch of the provider it is given."""
    caught: list[ComponentProvider] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(host, "is_hosting", False)
        patch.setattr(host, "main", lambda provider, _args: caught.append(provider))
        component_package.serve(components)
    assert len(caught) == 1
    return caught[0]


def served_schema(provider: ComponentProvider) -> dict[str, Any]:
    """The schema as the plugin's gRPC GetSchema answers the CLI."""
    servicer = ProviderServicer(provider, [], engine_address="")
    response = asyncio.run(servicer.GetSchema(provider_pb2.GetSchemaRequest(version=0), None))
    return json.loads(response.schema)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def expected_inputs(component: type) -> tuple[set[str], set[str]]:
    """The component's inputs and required inputs, from its `args` TypedDict."""
    args_type = inspect.get_annotations(component.__init__)["args"]
    assert typing.is_typeddict(args_type), f"{component.__name__}'s args must be a TypedDict"
    keys = {camel(k) for k in args_type.__annotations__ if not k.startswith("_")}
    return keys, {camel(k) for k in args_type.__required_keys__ if not k.startswith("_")}


def expected_outputs(component: type) -> tuple[set[str], set[str]]:
    """The component's outputs (annotated public attributes) and those never None."""
    hints = {
        k: v
        for cls in reversed(component.__mro__)
        if cls not in (object, pulumi.Resource, pulumi.ComponentResource)
        for k, v in inspect.get_annotations(cls).items()
        if not k.startswith("_")
    }
    required = {camel(k) for k, v in hints.items() if type(None) not in typing.get_args(v)}
    return {camel(k) for k in hints}, required


def test_the_plugin_hosts_both_components_under_their_type_tokens(schema):
    assert {c.__name__ for c in hosted_components()} == set(TOKENS)
    assert schema["name"] == component_package.NAME == "acs-platform"
    assert schema["namespace"] == component_package.NAMESPACE
    assert schema["version"] == component_package.VERSION
    assert set(schema["resources"]) == set(TOKENS.values())
    assert all(resource["isComponent"] for resource in schema["resources"].values())


@pytest.mark.parametrize("component_name", sorted(TOKENS))
def test_each_component_lists_every_typed_input_and_output(schema, component_name):
    component = next(c for c in hosted_components() if c.__name__ == component_name)
    resource = schema["resources"][TOKENS[component_name]]
    inputs, required_inputs = expected_inputs(component)
    outputs, required_outputs = expected_outputs(component)
    assert set(resource["inputProperties"]) == inputs
    assert set(resource["requiredInputs"]) == required_inputs
    assert set(resource["properties"]) == outputs
    assert set(resource["required"]) == required_outputs
    assert inputs and outputs


def test_every_property_has_a_concrete_type_or_a_stated_reason(schema):
    found = set(any_typed(schema))
    assert found - set(INTENDED_ANY) == set(), "typed Any or untyped, where a concrete type is wanted"
    assert set(INTENDED_ANY) - found == set(), "INTENDED_ANY names a property that is typed now: remove it"


def test_the_offline_schema_command_prints_what_the_plugin_serves(schema, capsys):
    from component_package.schema import main

    assert main([]) == 0
    assert json.loads(capsys.readouterr().out) == schema


def test_the_version_is_semver_for_the_release_tag():
    assert re.fullmatch(r"\d+\.\d+\.\d+", component_package.VERSION)


def test_the_plugin_manifest_runs_python_in_the_programs_virtualenv():
    manifest = read_yaml(PLUGIN / "PulumiPlugin.yaml")
    assert manifest["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "../.venv"}}
    requirements = [line for line in (PLUGIN / "requirements.txt").read_text().splitlines() if not line.startswith("#")]
    assert requirements == ["-r ../requirements.txt"]
    # A buildable pyproject.toml here would make Pulumi `pip install` the folder as a package.
    assert not (PLUGIN / "pyproject.toml").exists()


def test_importing_the_entry_point_starts_nothing(monkeypatch):
    started: list[object] = []
    monkeypatch.setattr(component_package, "serve", lambda *a: started.append(a))
    runpy.run_path(str(PLUGIN / "__main__.py"), run_name="component_package_entry")
    assert started == []


def test_the_plugin_starts_as_the_language_host_runs_it_and_serves_its_schema(schema, tmp_path):
    """`python <plugin folder> <engine address>` from the consuming program's folder: the plugin
    prints its port, then answers GetPluginInfo and GetSchema over gRPC, as `pulumi package add` asks."""
    process = subprocess.Popen(
        [sys.executable, str(PLUGIN), "127.0.0.1:1"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Should the plugin hang before printing its port, kill it rather than the test run.
    watchdog = threading.Timer(120, process.kill)
    watchdog.start()
    try:
        port = process.stdout.readline().strip()
        assert port.isdigit(), f"no port printed; stderr: {process.stderr.read() if process.poll() is not None else ''}"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)
            served = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=30)
        assert info.version == component_package.VERSION
        assert json.loads(served.schema) == schema
    finally:
        watchdog.cancel()
        process.terminate()
        process.wait(timeout=30)


# --- the settings mirror the config's models -------------------------------------------------


def mirrored_settings() -> list[tuple[type, type]]:
    """Each settings TypedDict of components/settings.py with the config model it says it mirrors."""
    import components.settings as settings

    pairs = []
    for value in vars(settings).values():
        if isinstance(value, type) and typing.is_typeddict(value) and value.__module__ == settings.__name__:
            mirrored = re.search(r"Mirrors `([\w.]+)\.(\w+)`", value.__doc__ or "")
            assert mirrored, f"{value.__name__} names no model it mirrors"
            pairs.append((value, getattr(importlib.import_module(mirrored.group(1)), mirrored.group(2))))
    return pairs


@pytest.mark.parametrize(("settings", "model"), mirrored_settings(), ids=lambda t: t.__name__)
def test_each_settings_type_takes_the_keys_of_its_config_model(settings, model):
    """The package's input types and the stack config's models part ways nowhere: the same keys,
    required where the model requires them."""
    assert set(settings.__annotations__) == set(model.model_fields)
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    assert set(settings.__required_keys__) == required


# --- the analyzer on stand-ins: the Any check can fail ----------------------------------------


class LooseArgs(TypedDict):
    name: str
    anything: Any
    labels: dict[str, Any]
    sizes: NotRequired[list[Any]]


class Loose(pulumi.ComponentResource):
    """A stand-in whose args and outputs are partly untyped."""

    endpoint: pulumi.Output[str]
    details: pulumi.Output[Any]

    def __init__(self, name: str, args: LooseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("acs-platform:index:Loose", name, None, opts)


def test_the_any_check_names_each_property_the_analyzer_could_not_type():
    stand_in = served_schema(provider_built_by_host([Loose]))
    assert sorted(any_typed(stand_in)) == [
        "resources.acs-platform:index:Loose.inputProperties.anything: Any",
        "resources.acs-platform:index:Loose.inputProperties.labels.additionalProperties: Any",
        "resources.acs-platform:index:Loose.inputProperties.sizes.items: Any",
        "resources.acs-platform:index:Loose.properties.details: Any",
    ]


def test_the_any_check_also_names_a_property_without_any_type():
    assert any_typed({"types": {"p:index:T": {"properties": {"x": {"description": "?"}}}}}) == [
        "types.p:index:T.properties.x: no type"
    ]


# --- the YAML example -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    return read_yaml(EXAMPLE)


def test_the_example_is_a_yaml_program_using_this_package(example):
    assert example["runtime"] == "yaml"
    # What `pulumi package add ../../component_package` writes, run from examples/yaml.
    assert example["packages"] == {"acs-platform": "../../component_package"}
    assert (EXAMPLE.parent / example["packages"]["acs-platform"]).resolve() == PLUGIN
    assert set(package_resources(example, "acs-platform").values()) == set(TOKENS.values())


def test_the_example_sets_only_inputs_of_the_schema_with_values_of_their_kind(example, schema):
    assert example_problems(example, schema) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda p: p["resources"]["sms"].update(type="acs-platform:index:AcsInstances"), "is not a resource of"),
        (lambda p: p["resources"]["sms"]["properties"].update(region="westeurope"), "'region' is not one of"),
        (lambda p: p["resources"]["sms"]["properties"].pop("lock"), "required 'lock' is missing"),
        (lambda p: p["resources"]["sms"]["properties"]["instance"].pop("dataLocation"), "required 'dataLocation'"),
        (lambda p: p["resources"]["sms"]["properties"].update(protect="yes"), "'yes' is not a boolean"),
        (
            lambda p: p["resources"]["shared"]["properties"]["monitoring"].update(logRetentionDays=30.5),
            "not an integer",
        ),
        (lambda p: p["resources"]["shared"]["properties"].update(tags=["dev"]), "is not a mapping"),
        (
            lambda p: p["resources"]["sms"]["properties"].update(lock="${shared.workspaceName}"),
            "is plain (a value known up front) but gets an output",
        ),
        (
            lambda p: p["resources"]["sms"]["properties"].update(keyVaultName="${shared.vaultName}"),
            "no output 'vaultName'",
        ),
        (lambda p: p["resources"]["sms"]["properties"].update(protect="${shared.keyVaultName}"), "a string where"),
        (lambda p: p["resources"]["sms"]["properties"].update(keyVaultName="${nowhere.name}"), "names no resource"),
    ],
)
def test_the_example_check_fails_on_what_pulumi_would_refuse(example, schema, change, problem):
    broken = copy.deepcopy(example)
    change(broken)
    problems = example_problems(broken, schema)
    assert any(problem in p for p in problems), problems


def _resolve(value: Any, states: dict[str, dict[str, Any]], variables: dict[str, Any], config: dict[str, Any]) -> Any:
    """A value of the example as Pulumi YAML gives it to the component: references resolved."""
    if isinstance(value, dict):
        return {k: _resolve(v, states, variables, config) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, states, variables, config) for v in value]
    if isinstance(value, str) and (whole := re.fullmatch(r"\$\{([^}]*)\}", value)):
        root, _, rest = whole.group(1).partition(".")
        if root in states:
            return states[root][rest]
        if root in variables:
            return _resolve(variables[root], states, variables, config)
        return config[root]
    assert "${" not in str(value), f"the example check does not resolve {value!r}"
    return value


def test_the_example_constructs_both_components_through_the_plugin_in_a_preview(example, hosted_provider, schema):
    """Each resource of the example goes to the plugin's `construct`, as the engine sends it for
    Pulumi YAML: camelCase inputs, mapped by the provider to the components' args, under preview mocks."""
    config = {"tenantId": "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"}
    states: dict[str, dict[str, Any]] = {}

    def program() -> None:
        for name, resource in example["resources"].items():
            inputs = _resolve(resource.get("properties", {}), states, example.get("variables", {}), config)
            result = hosted_provider.construct(name, resource["type"], inputs, pulumi.ResourceOptions())
            states[name] = result.state

    monitor = record_preview(program, "acs-platform-yaml-example", "dev")
    registered = {request.name: request.type for _, request in monitor.registrations}
    assert registered["shared"] == "acs-platform:index:SharedInfrastructure"
    assert registered["sms"] == "acs-platform:index:AcsInstance"
    assert "azure-native:communication:CommunicationService" in registered.values()
    # From another language, the plugin cannot run Python dynamic providers (pulumi/pulumi#5455).
    assert not [n for n, t in registered.items() if t.startswith("pulumi-python:dynamic")]
    for name, token in package_resources(example, "acs-platform").items():
        assert set(states[name]) <= set(schema["resources"][token]["properties"])


def test_an_instance_with_local_auth_and_no_vault_is_refused_with_the_input_named():
    from components.acs_instance import AcsInstance
    from preflight.runner import record_preview

    def program():
        AcsInstance(
            "acs-x",
            {
                "instance": {"name": "acs-x", "data_location": "Europe", "disable_local_auth": False},
                "resource_group_name": "rg",
                "log_analytics_workspace_id": "/subscriptions/0/x",
                "log_analytics_workspace_name": "log",
                "tags": {},
                "lock": "None",
                "protect": False,
                "protect_phone_numbers": False,
            },
        )

    with pytest.raises(pulumi.RunError, match="keyVaultName is required"):
        record_preview(program, "p", "s")
