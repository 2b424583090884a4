"""Runs the project's real Pulumi program under mocks and returns its plan.

The program goes through `run_in_stack`, the entry point the Pulumi language host uses for
`pulumi preview`, with dry_run set: components, invokes and outputs behave as in a preview.
Each run gets a fresh context, so several stacks can be planned in one process.

Two things make the run cheaper without changing what it registers (see `record_preview`): the
cyclic garbage collector runs rarely while the program runs, and the provider SDK's aliases of
older type tokens (API versions, renamed modules) are left out: they only match resources in an
existing state, and a plan has none.
"""

import contextvars
import gc
import logging
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pulumi
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import mocks
from pulumi.runtime import resource as pulumi_resource_runtime
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.settings import configure
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from .mocks import PreviewMocks, RecordingMonitor
from .plan import Plan, PlannedResource, in_tree_order, plain_text_placeholders, redact, root_urn
from .stacks import SECRET_PLACEHOLDER, Project, StackSettings, load_stack_settings

log = logging.getLogger("preflight")

# While the program runs: a young collection every 100,000 new objects instead of 700, and almost
# never an older one. Pulumi keeps every output's task alive until the program ends, so the default
# thresholds make each collection walk ever larger sets of live tasks (asyncio.wait's, the SDK's):
# at 300 ACS instances, more than half of the run. Cycles are still collected, memory stays the same.
PROGRAM_GC_THRESHOLDS = (100_000, 50, 1_000)


@contextmanager
def _rare_collections() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(*PROGRAM_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextmanager
def _no_stack_traces() -> Iterator[None]:
    """The SDK walks and converts the whole Python stack at each registration, for the engine to
    show where a resource was declared. The mocks drop it and a plan never shows it; at 300
    instances it is a fifth of the program's time. Restored when the program ends."""
    capture = pulumi_resource_runtime._get_stack_trace
    pulumi_resource_runtime._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        pulumi_resource_runtime._get_stack_trace = capture


def _is_type_alias(alias: Any, type_: str) -> bool:
    """An alias a provider SDK gives each of its resources for each older token of the resource's
    type: `azure-native:communication/v20230331:CommunicationService` (an older API version) for
    `azure-native:communication:CommunicationService`, or `azure-native:insights:DiagnosticSetting`
    (a renamed module) for `azure-native:monitor:DiagnosticSetting`. Only a type is given, of the
    same package and the same resource, so only state written by an older SDK could match it."""
    if not isinstance(alias, pulumi.Alias) or not isinstance(alias.type_, str) or alias.type_ == type_:
        return False
    if any(value is not ... for value in (alias.name, alias.parent, alias.stack, alias.project)):
        return False
    package, _, kind = (type_.split(":") + ["", ""])[:3]
    alias_package, _, alias_kind = (alias.type_.split(":") + ["", ""])[:3]
    return (alias_package, alias_kind) == (package, kind)


def _without_type_aliases(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    """The resource's options without the provider's aliases of older type tokens; the program's
    own aliases are kept.

    Aliases only match resources of an existing state, and a plan is a first preview with none: the
    engine would match nothing, and the mocks ignore them. Yet the SDK makes several outputs for
    each alias of each resource (4 to 15 type aliases per azure-native resource): two thirds of the
    event loop's work for a plan, for nothing it shows."""
    aliases = args.opts.aliases
    if not aliases:
        return None
    kept = [alias for alias in aliases if not _is_type_alias(alias, args.type_)]
    if len(kept) == len(aliases):
        return None
    opts = args.opts._copy()
    opts.aliases = kept or None
    return pulumi.ResourceTransformationResult(args.props, opts)


class PlainSecretError(Exception):
    """The program writes a secure config value in plain text: a bug of the program, not a plan."""


def record_preview(
    program: Callable[[], object],
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
    on_register: Callable[[str, Any], None] | None = None,
) -> RecordingMonitor:
    """Runs `program` as `pulumi preview` would, under the recording mocks, in a fresh context.
    `on_register(urn, request)` is called with each registration as the program makes it."""

    def program_without_type_aliases() -> object:
        pulumi.runtime.register_stack_transformation(_without_type_aliases)
        return program()

    def run() -> RecordingMonitor:
        pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys))
        monitor = RecordingMonitor(PreviewMocks(), on_register)
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
        with _rare_collections(), _no_stack_traces():
            _sync_await(run_in_stack(program_without_type_aliases))
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
        import_id=request.importId or None,
        ignore_changes=list(request.ignoreChanges),
        wire_inputs=wire_inputs,
    )


def plan_stack(
    project: Project,
    stack: str,
    settings: StackSettings | None = None,
    on_resource: Callable[[PlannedResource], None] | None = None,
) -> Plan:
    """The plan of `stack`. Raises StackFileError, ConfigError, or what the program raised.

    `settings`: the stack's, when already read (load_stack_settings). `on_resource` is called with
    each resource as the program registers it, from the SDK's worker threads, before the plan is
    complete: a policy pack can judge it while the program runs on."""
    root = str(project.root)
    if root not in sys.path:
        sys.path.insert(0, root)  # the program imports its own packages, as under the CLI
    if settings is None:
        settings = load_stack_settings(project, stack)
    program = str(project.root / "__main__.py")
    planned: list[PlannedResource] = []  # as registered: in tree order below

    def registered(urn: str, request: Any) -> None:
        resource = _planned(urn, request)
        planned.append(resource)
        if on_resource is not None:
            on_resource(resource)

    monitor = record_preview(
        lambda: runpy.run_path(program, run_name="__main__"),
        project.name,
        stack,
        settings.values,
        settings.secret_keys,
        on_register=registered,
    )
    resources = in_tree_order(planned)
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
