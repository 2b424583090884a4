"""The plan of a stack: what `pulumi preview` would register, with secrets and unknowns marked."""

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from google.protobuf import struct_pb2
from pulumi.output import Unknown
from pulumi.runtime import rpc

SECRET = "[secret]"
UNKNOWN = "[unknown]"  # a value Azure only knows once the resource exists, such as its id


def redact(value: Any) -> Any:
    """A JSON-ready copy with every secret replaced by SECRET and every unknown by UNKNOWN."""
    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, Unknown) or value == rpc.UNKNOWN:
        return UNKNOWN
    if isinstance(value, dict):
        return {k: redact(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire has only doubles; 365 was written, not 365.0
    return value


def plain_text_placeholders(value: Any, placeholder: str, path: str = "") -> list[str]:
    """Where `placeholder` is in plain text, not under a secret, in a wire value: the paths.

    Offline, a secure config value is a placeholder. A program that keeps it secret sends it
    under the secret marker; found in plain text, it is a secure value the program would write in
    the clear under `pulumi up`, and the plan must not pass it off as a secret."""
    if rpc.is_rpc_secret(value):
        return []
    if isinstance(value, str):
        return [path or "."] if placeholder in value else []
    if isinstance(value, dict):
        return [
            p
            for k, v in sorted(value.items())
            for p in plain_text_placeholders(v, placeholder, f"{path}.{k}".lstrip("."))
        ]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in plain_text_placeholders(v, placeholder, f"{path}[{i}]")]
    return []


@dataclass(frozen=True)
class PlannedResource:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]  # camelCase, as the provider receives them, redacted
    dependencies: list[str]  # URNs
    protect: bool
    replace_on_changes: list[str] = field(default_factory=list)  # inputs whose change replaces
    provider: str | None = None  # an explicit provider's reference ("urn::id"); None: the default one
    retain_on_delete: bool = False  # a delete leaves the cloud resource in place
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)  # input key -> URNs
    # The Azure id of the existing resource `pulumi up` imports instead of creating (`acs-platform:adopt`);
    # None: it is created. `ignore_changes`: the inputs left as Azure has them (at import, the tags).
    import_id: str | None = None
    ignore_changes: list[str] = field(default_factory=list)
    # The inputs as the SDK sent them, secrets and unknowns marked but not redacted: what the
    # engine hands a policy pack. Never printed.
    wire_inputs: struct_pb2.Struct = field(default_factory=struct_pb2.Struct, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "inputs": self.inputs,
            "dependencies": self.dependencies,
            "protect": self.protect,
            "replaceOnChanges": self.replace_on_changes,
            "provider": self.provider,
            "retainOnDelete": self.retain_on_delete,
            "propertyDependencies": self.property_dependencies,
            "import": self.import_id,
            "ignoreChanges": self.ignore_changes,
        }


def children_by_parent(resources: list[PlannedResource]) -> dict[str | None, list[PlannedResource]]:
    """Each resource under its parent's URN, in the order given; top-level ones under None."""
    urns = {r.urn for r in resources}
    children: dict[str | None, list[PlannedResource]] = {}
    for resource in resources:
        children.setdefault(resource.parent if resource.parent in urns else None, []).append(resource)
    return children


def in_tree_order(resources: list[PlannedResource]) -> list[PlannedResource]:
    """Parents before their children, siblings by type and name: the same plan reads the same."""
    children = children_by_parent(resources)
    ordered: list[PlannedResource] = []

    def visit(parent: str | None) -> None:
        for child in sorted(children.get(parent, []), key=lambda r: (r.type, r.name)):
            ordered.append(child)
            visit(child.urn)

    visit(None)
    return ordered


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def root_urn(resources: list[PlannedResource]) -> str | None:
    """The URN of the stack itself, the root of every plan."""
    return next((r.urn for r in resources if r.type == ROOT_STACK_TYPE), None)


@dataclass(frozen=True)
class Plan:
    project: str
    stack: str
    resources: list[PlannedResource]
    outputs: dict[str, Any]  # redacted

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [r.to_json() for r in self.resources],
            "outputs": self.outputs,
        }

    @cached_property
    def by_urn(self) -> dict[str, PlannedResource]:
        return {r.urn: r for r in self.resources}

    @cached_property
    def stack_urn(self) -> str | None:
        return root_urn(self.resources)

    def of_type(self, type_token: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_token]
