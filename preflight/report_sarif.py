"""A policy check as SARIF 2.1.0, for GitHub code scanning: one alert per violation, at the line of
the stack file that sets the offending value.

Code scanning reads a relative `uri` as relative to the root of the repository analyzed, so each
location names the stack file relative to the repository root (`%SRCROOT%`), wherever the Pulumi
project is in the repository; the log holds no absolute path. Each result carries a fingerprint of
what identifies the finding, so an alert outlives a reworded message or a changed value.

A violation is traced back to the stack file through the plan: the resource it was reported on,
the instance that resource belongs to (an ACS resource's `communicationServiceName` is its
instance's `name`), and TRACES, which names the config keys that set what each policy judges.
Line numbers come from `yaml.compose`, so they are the file's own, comments and all.
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from .analyzer import CheckResult, PolicyMeta, Violation
from .plan import ROOT_STACK_TYPE, PlannedResource

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_NAME = "acs-platform-policies"
SRCROOT = "%SRCROOT%"
FINGERPRINT = "acsPlatform/v1"
ACS = "azure-native:communication:CommunicationService"
INSTANCES = "acs-platform:instances"

# GitHub ranks security alerts by this score (0.0 to 10.0).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
LEVELS = {"mandatory": "error", "advisory": "warning"}  # anything else: "note"

# Tags the components set from their own stack keys; any other required tag comes from `tags`.
STANDARD_TAG_KEYS = {
    "owner": "acs-platform:owner",
    "cost-center": "acs-platform:costCenter",
    "environment": "acs-platform:environment",
}


def _tag_keys(resource: PlannedResource | None) -> tuple[str, ...]:
    """The keys of the standard tags the resource lacks, else the stack's own tags."""
    tags = resource.inputs.get("tags") if resource else None
    tags = tags if isinstance(tags, dict) else {}
    missing = tuple(key for tag, key in STANDARD_TAG_KEYS.items() if not tags.get(tag))
    return (*missing, "acs-platform:tags", "acs-platform:owner", "acs-platform:costCenter")


def _region_keys(resource: PlannedResource | None) -> tuple[str, ...]:
    """A regional resource is placed by azure-native:location; a global one's location is the program's."""
    location = resource.inputs.get("location") if resource else None
    return ("azure-native:location",) if isinstance(location, str) and location != "global" else ()


# policy -> the config keys that set the value it judges, in key_path's notation; `[*]` is the
# instance of the violating resource. The first key whose stack key is in the file wins; a key the
# file leaves out (a default applies) points at its nearest parent in the file. A policy without a
# row, or whose keys are all absent, points at the resource's instance entry, else at line 1.
Keys = tuple[str, ...] | Callable[[PlannedResource | None], tuple[str, ...]]
TRACES: dict[str, Keys] = {
    "acs-data-location-allowed": (f"{INSTANCES}[*].dataLocation",),
    "acs-local-auth-disabled": (f"{INSTANCES}[*].disableLocalAuth",),
    "acs-managed-identity": (f"{INSTANCES}[*].managedIdentities",),
    "acs-public-network-access": (f"{INSTANCES}[*].publicNetworkAccess",),
    # Without `protection` in the file, the lock is the tier's default.
    "acs-delete-lock": ("acs-platform:protection.lock", "acs-platform:tier"),
    "required-tags": _tag_keys,
    "resource-location-allowed": _region_keys,
}

_PART = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*)\]")


def _parse(path: str) -> tuple[str, list[str | int]]:
    """'acs-platform:instances[*].dataLocation' -> ('acs-platform:instances', ['*', 'dataLocation'])."""
    head = re.match(r"[^.\[]+", path)
    if head is None:
        raise ValueError(f"not a config key path: {path!r}")
    parts: list[str | int] = []
    rest = path[head.end() :]
    while rest:
        match = _PART.match(rest)
        if match is None:
            raise ValueError(f"not a config key path: {path!r}")
        field, index = match.groups()
        parts.append(field if field is not None else index if index == "*" else int(index))
        rest = rest[match.end() :]
    return head.group(), parts


def _format(stack_key: str, parts: list[str | int]) -> str:
    return stack_key + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


@dataclass(frozen=True)
class Traced:
    line: int  # 1-based
    column: int  # 1-based
    key: str  # the key pointed at, present in the file
    exact: bool  # False: the key that sets the value is absent and a default applies
    path: str  # the key that sets the value, as TRACES names it: the instance as `[*]`


def _mapping(node: yaml.Node | None) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """A mapping node's entries by key; a repeated key counts once, last, as yaml.safe_load reads it."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}


class StackFile:
    """The config of a stack file as YAML nodes, which know their lines."""

    def __init__(self, path: Path, project: str):
        try:
            document = yaml.compose(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            document = None  # nothing to trace: every violation points at line 1
        config = _mapping(document).get("config", (None, None))[1]
        # A key without a namespace belongs to the project, as in the CLI.
        self.keys = {(k if ":" in k else f"{project}:{k}"): entry for k, entry in _mapping(config).items()}

    def instance(self, name: str) -> int | None:
        """The index of the instance called `name` in acs-platform:instances."""
        instances = self.keys.get(INSTANCES, (None, None))[1]
        if not isinstance(instances, yaml.SequenceNode):
            return None
        for index, item in enumerate(instances.value):
            entry = _mapping(item).get("name")
            if entry and isinstance(entry[1], yaml.ScalarNode) and entry[1].value == name:
                return index
        return None

    def locate(self, path: str, instance: int | None) -> Traced | None:
        """The node of `path`, or of its nearest parent in the file; None without its stack key."""
        stack_key, parts = _parse(path)
        if stack_key not in self.keys or ("*" in parts and instance is None):
            return None
        key_node, value = self.keys[stack_key]
        mark, found = key_node.start_mark, []
        for part in parts:
            part = instance if part == "*" else part
            if isinstance(part, int):
                if not isinstance(value, yaml.SequenceNode) or part >= len(value.value):
                    break
                value = value.value[part]
                mark = value.start_mark
            else:
                entry = _mapping(value).get(part)
                if entry is None:
                    break
                mark, value = entry[0].start_mark, entry[1]
            found.append(part)
        return Traced(mark.line + 1, mark.column + 1, _format(stack_key, found), len(found) == len(parts), path)


def _instance_name(resource: PlannedResource | None, resources: dict[str, PlannedResource]) -> str | None:
    """The ACS instance a resource is, or is about (a lock's scope, a diagnostic setting's target)."""
    if resource is None:
        return None
    related = [resource] + [
        resources[u] for urns in resource.property_dependencies.values() for u in urns if u in resources
    ]
    for candidate in related:
        name = candidate.inputs.get("communicationServiceName")
        if candidate.type == ACS and isinstance(name, str):
            return name
    return None


def trace(violation: Violation, result: CheckResult, stack: StackFile) -> Traced | None:
    """Where in the stack file the violation's offending value is set, as near as can be told."""
    resources = result.plan.by_urn
    resource = resources.get(violation.urn) if violation.urn else None
    name = _instance_name(resource, resources)
    instance = stack.instance(name) if name is not None else None
    keys = TRACES.get(violation.policy, ())
    for path in keys(resource) if callable(keys) else keys:
        traced = stack.locate(path, instance)
        if traced is not None:
            return traced
    if instance is not None:
        return stack.locate(f"{INSTANCES}[*]", instance)
    return None


def _level(enforcement_level: str) -> str:
    return LEVELS.get(enforcement_level, "note")


def _rule(policy: PolicyMeta) -> dict[str, Any]:
    tags = ["security", "acs-platform"]
    full = policy.description
    if policy.framework_reference:
        tags.append(policy.framework_reference)
        full += f" Agrees with the Azure Policy built-in {policy.framework_reference}."
    properties: dict[str, Any] = {
        "severity": policy.severity,
        "enforcementLevel": policy.enforcement_level,
        "tags": tags,
    }
    if policy.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[policy.severity]
    if policy.framework_reference:
        properties["azurePolicyDefinitionId"] = policy.framework_reference
    rule: dict[str, Any] = {
        "id": policy.name,
        "name": policy.name,
        "shortDescription": {"text": policy.description},
        "fullDescription": {"text": full},
        "help": {
            "text": f"{policy.remediation}\n\nSee {policy.url}" if policy.url else policy.remediation,
            "markdown": f"**Remediation:** {policy.remediation}"
            + (f"\n\n[Documentation]({policy.url})" if policy.url else ""),
        },
        "defaultConfiguration": {
            "enabled": policy.enforcement_level != "disabled",
            "level": _level(policy.enforcement_level),
        },
        "properties": properties,
    }
    if policy.url:
        rule["helpUri"] = policy.url
    return rule


def fingerprint(violation: Violation, stack: str, traced: Traced | None) -> str:
    """What identifies the finding: the policy, the stack, the resource (its URN, else its type and
    name) and the config key that sets the value judged, with the instance as `[*]` (the URN names
    it). Not the message nor the offending value: rewording a message, changing the value or moving
    its line keeps the alert; another policy or another resource is another finding."""
    resource = violation.urn or f"{violation.resource_type or ''}::{violation.resource_name or ''}"
    identity = [violation.policy, stack, resource, traced.path if traced else ""]
    return hashlib.sha256(json.dumps(identity).encode("utf-8")).hexdigest()[:32]


class SarifLocationError(ValueError):
    """The stack file cannot be named relative to the repository root."""


def repository_root(start: Path) -> Path:
    """The git top-level of `start`: the nearest directory, `start` or above, with a `.git` entry
    (a directory, or the file of a worktree or submodule); `start` itself when there is none."""
    start = start.resolve()
    return next((d for d in (start, *start.parents) if (d / ".git").exists()), start)


def artifact_uri(stack_file: Path, repo_root: Path) -> str:
    """The stack file as a URI relative to the repository root: forward slashes, percent-encoded."""
    try:
        relative = stack_file.resolve().relative_to(repo_root.resolve())
    except ValueError:
        raise SarifLocationError(
            f"{stack_file} is outside the repository root {repo_root}: code scanning places results only "
            "in the repository (--repo-root names its root)"
        ) from None
    return quote(relative.as_posix())


def _result(
    violation: Violation, result: CheckResult, stack: StackFile, artifact: dict[str, str], rule_index: int | None
) -> dict[str, Any]:
    traced = trace(violation, result, stack)
    plan = result.plan
    subject = f"resource {violation.resource_name}" if violation.resource_name else f"stack {plan.stack}"
    logical: dict[str, Any] = {
        "name": violation.resource_name or f"{plan.project}-{plan.stack}",
        "kind": "resource" if violation.urn else "stack",
        "properties": {"type": violation.resource_type or ROOT_STACK_TYPE},
    }
    if violation.urn or plan.stack_urn:
        logical["fullyQualifiedName"] = violation.urn or plan.stack_urn
    properties: dict[str, Any] = {"severity": violation.severity, "enforcementLevel": violation.enforcement_level}
    if traced is not None:
        properties["configKey"] = traced.key
        properties["configKeySetsValue"] = traced.exact
    sarif: dict[str, Any] = {
        "ruleId": violation.policy,
        "level": _level(violation.enforcement_level),
        "message": {"text": f"{violation.message} ({subject})"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact,
                    "region": {
                        "startLine": traced.line if traced else 1,
                        "startColumn": traced.column if traced else 1,
                    },
                },
                "logicalLocations": [logical],
            }
        ],
        "partialFingerprints": {FINGERPRINT: fingerprint(violation, plan.stack, traced)},
        "properties": properties,
    }
    if rule_index is not None:
        sarif["ruleIndex"] = rule_index
    return sarif


def render_sarif(result: CheckResult, stack_file: Path, repo_root: Path) -> str:
    """The check as a SARIF log; raises SarifLocationError for a stack file outside `repo_root`."""
    plan = result.plan
    stack = StackFile(stack_file, plan.project)
    artifact = {"uri": artifact_uri(stack_file, repo_root), "uriBaseId": SRCROOT}
    index = {p.name: i for i, p in enumerate(result.policies)}
    run = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": result.pack_version,
                "rules": [_rule(p) for p in result.policies],
            }
        },
        # One category per stack: code scanning keeps each stack's alerts apart.
        "automationDetails": {"id": f"{plan.project}/{plan.stack}/"},
        "invocations": [{"executionSuccessful": True}],
        # Where %SRCROOT% is on this machine stays out of the log (SARIF lets its uri be omitted):
        # code scanning resolves it to the repository's checkout.
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The root of the repository; every uri is relative to it."}}
        },
        "columnKind": "unicodeCodePoints",
        "results": [_result(v, result, stack, artifact, index.get(v.policy)) for v in result.violations],
        "properties": {"project": plan.project, "stack": plan.stack, "policyPack": result.pack_name},
    }
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2) + "\n"
