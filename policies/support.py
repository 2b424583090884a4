"""How a rule is declared: metadata every policy carries, and reads that survive a preview.

During a preview, what Azure assigns on creation (ids, host names) is unknown, and reading it
from `args.props` raises. `known()` reads a value or says it is unknown, so a rule judges what
it can and never fails on what only a deployment can tell. References between resources are
judged through `property_dependencies`, which are known in every preview.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from .resource_types import NAME_KEYS


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()  # a value only known once the resource is deployed


def known(props: Mapping[str, Any], *path: str) -> Any:
    """The value at `path`, None when absent, or UNKNOWN when a preview cannot know it yet."""
    value: Any = props
    try:
        for key in path:
            if not isinstance(value, Mapping) or key not in value:
                return None
            value = value[key]
    except UnknownValueError:
        return UNKNOWN
    return value


def off(props: Mapping[str, Any], expected: bool, *path: str) -> str | None:
    """How a boolean setting at `path` reads when it is known and not `expected`: "not set" or its
    value; None when it is as expected, or not known yet (a preview judges only what it knows)."""
    value = known(props, *path)
    if value is expected or value is UNKNOWN:
        return None
    return "not set" if value is None else repr(value)


def azure_policy(definition_id: str) -> PolicyComplianceFramework:
    """The Azure Policy built-in that the rule agrees with."""
    return PolicyComplianceFramework(
        name="Azure Policy built-in",
        reference=f"/providers/Microsoft.Authorization/policyDefinitions/{definition_id}",
    )


def metadata(
    name: str,
    description: str,
    severity: Severity,
    remediation: str,
    url: str,
    builtin: str | None,
    config_schema: PolicyConfigSchema | None = None,
) -> dict[str, Any]:
    """What every policy of the pack declares, as pulumi_policy's policy classes take it."""
    return {
        "name": name,
        "description": description,
        "severity": severity,
        "remediation_steps": remediation,
        "url": url,
        "framework": azure_policy(builtin) if builtin else None,
        "config_schema": config_schema,
        # The pack's default; each stack's policy config file sets the level it needs.
        "enforcement_level": EnforcementLevel.MANDATORY,
    }


def declare_types(policy: Policy, types: Iterable[str] | None) -> Policy:
    """Record on `policy` the resource types it judges (None: every resource, as the generic rules
    on tags, regions and API versions do). The coverage test reads it through `judged_types`."""
    policy.judged_types = frozenset(types) if types is not None else None  # type: ignore[attr-defined]
    return policy


def judged_types(policy: Policy) -> frozenset[str] | None:
    """The resource types `policy` declares it judges; None for a rule of every resource."""
    return getattr(policy, "judged_types", None)


def resource_rule(
    *,
    name: str,
    description: str,
    types: Iterable[str] | None,
    severity: Severity,
    remediation: str,
    url: str,
    builtin: str | None = None,
    config_schema: PolicyConfigSchema | None = None,
) -> Callable[[Callable[[ResourceValidationArgs, ReportViolation], None]], ResourceValidationPolicy]:
    """A resource policy whose check runs for resources of `types` (None: every resource)."""
    wanted = frozenset(types) if types is not None else None

    def declare(check: Callable[[ResourceValidationArgs, ReportViolation], None]) -> ResourceValidationPolicy:
        def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
            if wanted is None or args.resource_type in wanted:
                check(args, report)

        policy = ResourceValidationPolicy(
            validate=validate,
            **metadata(name, description, severity, remediation, url, builtin, config_schema),
        )
        return declare_types(policy, wanted)

    return declare


def stack_rule(
    *,
    name: str,
    description: str,
    types: Iterable[str] | None,
    severity: Severity,
    remediation: str,
    url: str,
    builtin: str | None = None,
    config_schema: PolicyConfigSchema | None = None,
) -> Callable[[Callable[[StackValidationArgs, ReportViolation], None]], StackValidationPolicy]:
    """A stack policy: it sees the resources of `types` (None: every resource) with their parents and
    dependencies. `types` lists every type it reads, those it judges and those it looks at beside
    them, in the list or through a property dependency (the vault a private endpoint connects to):
    the pack hands it only those (`fast_analysis`), and its tests see what the pack sees."""

    def declare(check: Callable[[StackValidationArgs, ReportViolation], None]) -> StackValidationPolicy:
        policy = StackValidationPolicy(
            validate=check if types is None else _seeing_only(check, frozenset(types)),
            **metadata(name, description, severity, remediation, url, builtin, config_schema),
        )
        return declare_types(policy, types)

    return declare


def _seeing_only(
    check: Callable[[StackValidationArgs, ReportViolation], None], types: frozenset[str]
) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def judge(args: StackValidationArgs, report: ReportViolation) -> None:
        args.resources = [r for r in args.resources if r.resource_type in types]  # this policy's own copy
        check(args, report)

    return judge


def number(value: Any) -> float | None:
    """A JSON number (protobuf sends every number as a float); None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def out_of_range(value: Any, bounds: tuple[int, int]) -> bool:
    """True unless `value` is a number within `bounds`, both ends included."""
    low, high = bounds
    return (n := number(value)) is None or not low <= n <= high


def shown(value: Any) -> str:
    """A value for a message: 3.0 (as protobuf sends 3) shows as 3."""
    if (n := number(value)) is not None and n.is_integer():
        return str(int(n))
    return repr(value)


def of_type(resources: Iterable[PolicyResource], type_token: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type == type_token]


def sourced_from(resource: PolicyResource, key: str) -> list[PolicyResource]:
    """The resources the input `key` of `resource` is computed from."""
    return list(resource.property_dependencies.get(key, []))


def targeting(resources: Iterable[PolicyResource], type_token: str, key: str) -> dict[str, list[PolicyResource]]:
    """For each resource URN, the resources of `type_token` whose input `key` comes from it:
    the diagnostic settings watching it (resourceUri), the locks on it (scope)."""
    found: dict[str, list[PolicyResource]] = {}
    for resource in of_type(resources, type_token):
        for source in sourced_from(resource, key):
            found.setdefault(source.urn, []).append(resource)
    return found


def label(resource: ResourceValidationArgs | PolicyResource) -> str:
    """The Azure name of a resource (its type's input in NAME_KEYS) when known, else its Pulumi
    name: for messages."""
    name_key = NAME_KEYS.get(resource.resource_type)
    azure_name = known(resource.props, name_key) if name_key else None
    return azure_name if isinstance(azure_name, str) else resource.name
