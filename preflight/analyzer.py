"""Drives the policy pack through pulumi_policy's own Analyzer gRPC service, as the engine does
for `pulumi preview --policy-pack`: GetAnalyzerInfo, Configure, ConfigureStack, then Remediate
and Analyze for each resource, then AnalyzeStack with every resource and its dependencies.

`python -m preflight check` starts the pack before it runs the program and has it judge each
resource as the program registers it (`Analysis`), as the engine does during a preview: the pack's
start and most of its work overlap the plan. `analyze` judges a finished plan the same way.
"""

import os
import queue
import subprocess
import sys
import threading
import time
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
JOIN_SECONDS = 10  # for the thread that talks to a pack just killed
# Resources judged per round of calls in flight at once: as many as the pack's server has workers
# (pulumi-policy's has 4) keeps it busy; more only queue there.
BATCH = 16
# How long the program may hold the interpreter while the judging thread waits for it (Python's
# default is 5 ms). That thread needs it for a moment after each answer of the pack; at the default,
# the program's registrations keep it waiting so long that the pack idles until the program ends.
HANDOFF_SECONDS = 0.0005


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


class PackProcess:
    """The pack's process, started as the CLI starts it: `python -u policies/__main__.py` from the
    pack's folder, printing the port of its gRPC server. Started before the program runs, its
    interpreter starts and its modules load while the plan is made; `close` ends it on every path."""

    def __init__(self, pack_dir: Path, project: str, stack: str):
        self.pack_dir, self.project, self.stack = pack_dir, project, stack
        env = {**os.environ, "PULUMI_PROJECT": project, "PULUMI_STACK": stack, "PULUMI_DRY_RUN": "true"}
        self._channel: grpc.Channel | None = None
        self._lock = threading.Lock()
        self._stderr: str | None = None  # once ended
        self._process = subprocess.Popen(
            [sys.executable, "-u", str(pack_dir / "__main__.py")],
            cwd=pack_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def connect(self) -> analyzer_pb2_grpc.AnalyzerStub:
        """Its analyzer, once its server answers. Raises PolicyPackError when it did not start."""
        process = self._process
        line = process.stdout.readline().strip() if process.stdout else ""
        if not line.isdigit():
            raise PolicyPackError(f"the policy pack in {self.pack_dir} did not start:\n{self._end()}")
        self._channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        ready, deadline = grpc.channel_ready_future(self._channel), time.monotonic() + PACK_START_SECONDS
        while True:
            try:
                ready.result(timeout=0.1)
                return analyzer_pb2_grpc.AnalyzerStub(self._channel)
            except grpc.FutureTimeoutError:
                if process.poll() is not None:  # it failed, or it was killed: no need to wait on
                    raise PolicyPackError(
                        f"the policy pack in {self.pack_dir} ended before it answered:\n{self._end()}"
                    ) from None
                if time.monotonic() > deadline:
                    raise

    def kill(self) -> None:
        """Stops it at once: calls in flight fail, a `connect` still waiting for the port returns."""
        self._process.kill()

    def _end(self) -> str:
        """Ends the process and waits for it, once, whichever thread asks: what it wrote to stderr."""
        with self._lock:
            if self._stderr is None:
                self._process.kill()
                self._stderr = self._process.communicate()[1] or ""
            return self._stderr

    def close(self) -> None:
        """Ends the process, whatever state it is in, and waits for it."""
        self._end()
        if self._channel is not None:
            self._channel.close()


@contextmanager
def running_pack(pack_dir: Path, plan: Plan) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack as the CLI runs it, for the length of the `with`."""
    pack = PackProcess(pack_dir, plan.project, plan.stack)
    try:
        yield pack.connect()
    finally:
        pack.close()


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


@dataclass
class _Judged:
    """What the pack made of one resource: the properties it analyzed (remediated or not), its
    diagnostics, and the policies that rewrote its inputs."""

    properties: struct_pb2.Struct
    diagnostics: list[analyzer_pb2.AnalyzeDiagnostic]
    remediations: list[Remediation]


_END = object()  # no more resources


class Analysis:
    """The pack judging a plan as the engine has it judge a preview: GetAnalyzerInfo, Configure and
    ConfigureStack once, Remediate and Analyze for each resource as it is registered, AnalyzeStack
    with all of them once the program is done.

    The per-resource calls run on a thread of their own, in the order resources are submitted,
    one at a time, while the program runs on: the pack works on the other core. Errors (the pack
    did not start, the policy config does not suit it, a failed call) are raised by `finish`."""

    def __init__(self, pack: PackProcess, policy_config: dict[str, PolicySetting], config_path: Path):
        self._pack = pack
        self._policy_config = policy_config
        self._config_path = config_path
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._judged: dict[int, _Judged] = {}  # by id() of the submitted resource
        self._error: BaseException | None = None
        self._info: analyzer_pb2.AnalyzerInfo | None = None
        self._settings: dict[str, PolicySetting] = {}
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._thread = threading.Thread(target=self._judge_each, name="policy-pack", daemon=True)
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(HANDOFF_SECONDS)
        self._thread.start()

    def submit(self, resource: PlannedResource) -> None:
        """A resource to judge: callable from any thread, never blocks, never raises."""
        self._queue.put(resource)

    def _judge_each(self) -> None:
        try:
            pack = self._stub = self._pack.connect()
            info = self._info = pack.GetAnalyzerInfo(empty_pb2.Empty())
            settings = self._settings = reconcile(info, self._policy_config, self._config_path)
            pack.Configure(configure_request(settings))
            pack.ConfigureStack(
                analyzer_pb2.AnalyzerStackConfigureRequest(
                    stack=self._pack.stack, project=self._pack.project, organization="organization", dry_run=True
                )
            )
            remediating = any(s.enforcement_level == "remediate" for s in settings.values())
            while batch := self._next_batch():
                self._judge(pack, batch, remediating)
        except BaseException as exc:  # noqa: BLE001 raised again by finish, on the caller's thread
            self._error = exc

    def _next_batch(self) -> list[PlannedResource]:
        """The resources submitted since the last batch (waiting for one), up to BATCH; [] at the end."""
        batch = []
        item = self._queue.get()
        while item is not _END:
            batch.append(item)
            if len(batch) == BATCH or self._queue.empty():
                return batch
            item = self._queue.get()
        self._queue.put(_END)  # seen again by the next call, once this batch is judged
        return batch

    def _judge(self, pack: analyzer_pb2_grpc.AnalyzerStub, batch: list[PlannedResource], remediating: bool) -> None:
        """Judges a batch: its Remediate calls all in flight at once, then its Analyze calls. One
        call at a time would wait for each answer in turn, and each wait, while the program holds
        the interpreter, for the thread's turn to take the answer."""
        properties = [resource.wire_inputs for resource in batch]
        remediations: list[list[Remediation]] = [[] for _ in batch]
        if remediating:
            calls = [pack.Remediate.future(_request(r, p)) for r, p in zip(batch, properties, strict=True)]
            for i, (resource, call) in enumerate(zip(batch, calls, strict=True)):
                for remediation in call.result().remediations:
                    if remediation.HasField("properties"):
                        properties[i] = remediation.properties
                        remediations[i].append(Remediation(remediation.policyName, resource.urn, resource.name))
        calls = [pack.Analyze.future(_request(r, p)) for r, p in zip(batch, properties, strict=True)]
        for resource, call, judged_properties, fixed in zip(batch, calls, properties, remediations, strict=True):
            diagnostics = []
            for diagnostic in call.result().diagnostics:
                # The engine files what a resource policy reports under the resource analyzed.
                diagnostic.urn = diagnostic.urn or resource.urn
                diagnostics.append(diagnostic)
            self._judged[id(resource)] = _Judged(judged_properties, diagnostics, fixed)

    def finish(self, plan: Plan) -> CheckResult:
        """The verdict on `plan`, whose every resource was submitted; raises what went wrong."""
        self._queue.put(_END)
        self._thread.join()
        if self._error is not None:
            raise self._error
        pack, info, settings = self._stub, self._info, self._settings
        assert pack is not None and info is not None
        judged = [(r, self._judged[id(r)]) for r in plan.resources]
        diagnostics = [d for _, j in judged for d in j.diagnostics]
        stack = pack.AnalyzeStack(
            analyzer_pb2.AnalyzeStackRequest(
                resources=[
                    analyzer_pb2.AnalyzerResource(
                        type=r.type,
                        urn=r.urn,
                        name=r.name,
                        properties=j.properties,
                        options=analyzer_pb2.AnalyzerResourceOptions(protect=r.protect, parent=r.parent or ""),
                        parent=r.parent or "",
                        dependencies=r.dependencies,
                        propertyDependencies={
                            k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v)
                            for k, v in r.property_dependencies.items()
                        },
                    )
                    for r, j in judged
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
        remediations = [r for _, j in judged for r in j.remediations]
        pack_dir = self._pack.pack_dir
        return CheckResult(plan, info.name, _pack_version(pack_dir) or info.version, policies, violations, remediations)

    def close(self) -> None:
        """Stops judging and the pack, finished or not (a failed plan, an error): nothing left running."""
        self._queue.put(_END)
        self._pack.kill()
        self._thread.join(timeout=JOIN_SECONDS)
        sys.setswitchinterval(self._switch_interval)


def analyze(
    plan: Plan, policy_config: dict[str, PolicySetting], config_path: Path, pack_dir: Path = PACK_DIR
) -> CheckResult:
    """The verdict of the pack on a finished plan."""
    pack = PackProcess(pack_dir, plan.project, plan.stack)
    try:
        analysis = Analysis(pack, policy_config, config_path)
        try:
            for resource in plan.resources:
                analysis.submit(resource)
            return analysis.finish(plan)
        finally:
            analysis.close()
    finally:
        pack.close()


def _pack_version(pack_dir: Path) -> str | None:
    """The CLI takes the version from PulumiPolicy.yaml over the one the pack reports."""
    manifest = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text(encoding="utf-8")) or {}
    return str(manifest["version"]) if "version" in manifest else None
