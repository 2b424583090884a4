"""Drives the policy pack through pulumi_policy's own Analyzer gRPC service, as the engine does
for `pulumi preview --policy-pack`: GetAnalyzerInfo, Configure, ConfigureStack, then Remediate
and Analyze for each resource, then AnalyzeStack with every resource and its dependencies.
"""

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from .plan import Plan, PlannedResource
from .policy_config import LEVEL_NAMES, PolicySetting, configure_request, reconcile

PACK_DIR = Path(__file__).resolve().parent.parent / "policies"
SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "unspecified",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
PACK_START_SECONDS = 60


class PolicyPackError(Exception):
    """The policy pack did not start or answer."""


@dataclass(frozen=True)
class PolicyMeta:
    name: str
    description: str
    severity: str
    enforcement_level: str  # as configured for this stack
    remediation: str
    url: str
    framework_reference: str  # the Azure Policy built-in it agrees with, or ""


@dataclass(frozen=True)
class Violation:
    policy: str
    enforcement_level: str
    severity: str
    message: str
    urn: str | None  # None: the stack as a whole
    resource_type: str | None
    resource_name: str | None


@dataclass(frozen=True)
class Remediation:
    policy: str
    urn: str
    resource_name: str


@dataclass(frozen=True)
class CheckResult:
    plan: Plan
    pack_name: str
    pack_version: str
    policies: list[PolicyMeta]
    violations: list[Violation]
    remediations: list[Remediation] = field(default_factory=list)  # inputs a policy rewrote

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement_level == "mandatory"]

    @property
    def counts(self) -> Counter[str]:
        """Violations per enforcement level."""
        return Counter(v.enforcement_level for v in self.violations)


@contextmanager
def running_pack(pack_dir: Path, plan: Plan) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack as the CLI runs it: its own process, printing the port of its gRPC server."""
    env = {**os.environ, "PULUMI_PROJECT": plan.project, "PULUMI_STACK": plan.stack, "PULUMI_DRY_RUN": "true"}
    process = subprocess.Popen(
        [sys.executable, "-u", str(pack_dir / "__main__.py")],
        cwd=pack_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline().strip() if process.stdout else ""
        if not line.isdigit():
            process.kill()
            raise PolicyPackError(f"the policy pack in {pack_dir} did not start:\n{process.communicate()[1]}")
        with grpc.insecure_channel(f"127.0.0.1:{line}") as channel:
            grpc.channel_ready_future(channel).result(timeout=PACK_START_SECONDS)
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.communicate()


def _request(resource: PlannedResource, properties: struct_pb2.Struct) -> analyzer_pb2.AnalyzeRequest:
    return analyzer_pb2.AnalyzeRequest(
        type=resource.type,
        urn=resource.urn,
        name=resource.name,
        properties=properties,
        options=analyzer_pb2.AnalyzerResourceOptions(protect=resource.protect, parent=resource.parent or ""),
    )


def _violation(diagnostic: analyzer_pb2.AnalyzeDiagnostic, resources: dict[str, PlannedResource]) -> Violation:
    resource = resources.get(diagnostic.urn)
    # pulumi_policy prefixes the policy's description to every message.
    message = diagnostic.message.removeprefix(diagnostic.description).strip() or diagnostic.description
    return Violation(
        policy=diagnostic.policyName,
        enforcement_level=LEVEL_NAMES[diagnostic.enforcementLevel],
        severity=SEVERITIES[diagnostic.severity],
        message=message,
        urn=diagnostic.urn or None,
        resource_type=resource.type if resource else None,
        resource_name=resource.name if resource else None,
    )


def analyze(
    plan: Plan, policy_config: dict[str, PolicySetting], config_path: Path, pack_dir: Path = PACK_DIR
) -> CheckResult:
    with running_pack(pack_dir, plan) as pack:
        info = pack.GetAnalyzerInfo(empty_pb2.Empty())
        settings = reconcile(info, policy_config, config_path)
        pack.Configure(configure_request(settings))
        pack.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=plan.stack, project=plan.project, organization="organization", dry_run=True
            )
        )
        remediating = any(s.enforcement_level == "remediate" for s in settings.values())
        diagnostics: list[analyzer_pb2.AnalyzeDiagnostic] = []
        analyzed: list[tuple[PlannedResource, struct_pb2.Struct]] = []
        remediations: list[Remediation] = []
        for resource in plan.resources:
            properties = resource.wire_inputs
            if remediating:
                for remediation in pack.Remediate(_request(resource, properties)).remediations:
                    if remediation.HasField("properties"):
                        properties = remediation.properties
                        remediations.append(Remediation(remediation.policyName, resource.urn, resource.name))
            for diagnostic in pack.Analyze(_request(resource, properties)).diagnostics:
                # The engine files what a resource policy reports under the resource analyzed.
                diagnostic.urn = diagnostic.urn or resource.urn
                diagnostics.append(diagnostic)
            analyzed.append((resource, properties))
        stack = pack.AnalyzeStack(
            analyzer_pb2.AnalyzeStackRequest(
                resources=[
                    analyzer_pb2.AnalyzerResource(
                        type=r.type,
                        urn=r.urn,
                        name=r.name,
                        properties=properties,
                        options=analyzer_pb2.AnalyzerResourceOptions(protect=r.protect, parent=r.parent or ""),
                        parent=r.parent or "",
                        dependencies=r.dependencies,
                        propertyDependencies={
                            k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v)
                            for k, v in r.property_dependencies.items()
                        },
                    )
                    for r, properties in analyzed
                ]
            )
        )
        diagnostics.extend(stack.diagnostics)
    policies = [
        PolicyMeta(
            name=p.name,
            description=p.description,
            severity=SEVERITIES[p.severity],
            enforcement_level=settings[p.name].enforcement_level,
            remediation=p.remediation_steps,
            url=p.url,
            framework_reference=p.framework.reference,
        )
        for p in sorted(info.policies, key=lambda p: p.name)
    ]
    resources = plan.by_urn
    violations = sorted(
        (_violation(d, resources) for d in diagnostics),
        key=lambda v: (v.enforcement_level != "mandatory", v.policy, v.urn or "", v.message),
    )
    return CheckResult(plan, info.name, _pack_version(pack_dir) or info.version, policies, violations, remediations)


def _pack_version(pack_dir: Path) -> str | None:
    """The CLI takes the version from PulumiPolicy.yaml over the one the pack reports."""
    manifest = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text(encoding="utf-8")) or {}
    return str(manifest["version"]) if "version" in manifest else None
