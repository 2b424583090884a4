"""Runs the project's real Pulumi program under mocks and returns its plan.

The program goes through `run_in_stack`, the entry point the Pulumi language host uses for
`pulumi preview`, with dry_run set: components, invokes and outputs behave as in a preview.
Each run gets a fresh context, so several stacks can be planned in one process.
"""

import contextvars
import logging
import runpy
import sys
from collections.abc import Callable, Mapping, Sequence

import pulumi
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import mocks
from pulumi.runtime.settings import configure
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from .mocks import PreviewMocks, RecordingMonitor
from .plan import Plan, PlannedResource, in_tree_order, plain_text_placeholders, redact, root_urn
from .stacks import SECRET_PLACEHOLDER, Project, load_stack_settings

log = logging.getLogger("preflight")


class PlainSecretError(Exception):
    """The program writes a secure config value in plain text: a bug of the program, not a plan."""


def record_preview(
    program: Callable[[], object],
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
) -> RecordingMonitor:
    """Runs `program` as `pulumi preview` would, under the recording mocks, in a fresh context."""

    def run() -> RecordingMonitor:
        pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys))
        monitor = RecordingMonitor(PreviewMocks())
        configure(
            mocks.MockSettings(
                monitor=monitor,
                monitor_features=set(monitor.GetDeploymentInfo(empty_pb2.Empty()).supportedFeatures),
                engine=mocks.MockEngine(log),
                project=project,
                stack=stack,
                dry_run=True,
                organization="organization",
                callbacks=None,
            )
        )
        _sync_await(run_in_stack(program))
        return monitor

    return contextvars.Context().run(run)


def _visible(struct: struct_pb2.Struct) -> dict:
    """Values as sent, with each secret and unknown marked where it is: Pulumi's own deserializer
    would mark a whole object secret for one secret field, hiding what is not secret."""
    return redact(json_format.MessageToDict(struct))


def _without_internal_keys(struct: struct_pb2.Struct) -> struct_pb2.Struct:
    """The inputs as the engine sends them to a policy pack: internal keys, like a dynamic
    provider's code, left out; secrets and unknowns kept."""
    inputs = struct_pb2.Struct()
    for key, value in struct.fields.items():
        if not key.startswith("__"):
            inputs.fields[key].CopyFrom(value)
    return inputs


def _planned(urn: str, request) -> PlannedResource:
    wire_inputs = _without_internal_keys(request.object)
    return PlannedResource(
        urn=urn,
        type=request.type,
        name=request.name,
        parent=request.parent or None,
        custom=request.custom,
        inputs=_visible(wire_inputs),
        # The SDK gathers dependencies in sets: sorted, the same stack gives the same plan.
        dependencies=sorted(request.dependencies),
        protect=request.protect,
        replace_on_changes=list(request.replaceOnChanges),
        provider=request.provider or None,
        retain_on_delete=request.retainOnDelete,
        property_dependencies={k: sorted(v.urns) for k, v in sorted(request.propertyDependencies.items()) if v.urns},
        wire_inputs=wire_inputs,
    )


def plan_stack(project: Project, stack: str) -> Plan:
    """The plan of `stack`. Raises StackFileError, ConfigError, or what the program raised."""
    root = str(project.root)
    if root not in sys.path:
        sys.path.insert(0, root)  # the program imports its own packages, as under the CLI
    settings = load_stack_settings(project, stack)
    program = str(project.root / "__main__.py")
    monitor = record_preview(
        lambda: runpy.run_path(program, run_name="__main__"), project.name, stack, settings.values, settings.secret_keys
    )
    resources = in_tree_order([_planned(urn, request) for urn, request in monitor.registrations])
    stack_urn = root_urn(resources)
    if settings.secret_keys:
        _no_plain_secrets(monitor, stack_urn)
    return Plan(
        project=project.name,
        stack=stack,
        resources=resources,
        outputs=_visible(monitor.outputs[stack_urn]) if stack_urn in monitor.outputs else {},
    )


def _no_plain_secrets(monitor: RecordingMonitor, stack_urn: str | None) -> None:
    """Every `[secret]` of a plan is one the program sent as a Pulumi secret. A secure config
    value (the placeholder, offline) found in plain text would be in the clear under `pulumi up`."""
    found = [
        f"{request.type} {request.name}: input {where}"
        for _, request in monitor.registrations
        for where in plain_text_placeholders(json_format.MessageToDict(request.object), SECRET_PLACEHOLDER)
    ]
    if stack_urn in monitor.outputs:
        outputs = json_format.MessageToDict(monitor.outputs[stack_urn])
        found += [f"stack output {where}" for where in plain_text_placeholders(outputs, SECRET_PLACEHOLDER)]
    if found:
        raise PlainSecretError(
            "the program writes a secure config value in plain text, where `pulumi up` would put the decrypted "
            "value in the clear (keep it a Pulumi secret, or refuse it as config): " + "; ".join(found)
        )
