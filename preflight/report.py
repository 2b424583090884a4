"""A policy check as a person reads it in a terminal, and as JSON for tools."""

import json
from typing import Any

from .analyzer import CheckResult, Violation

MARKS = {"mandatory": "✗", "advisory": "!", "remediate": "~", "disabled": " "}


def summary(result: CheckResult) -> dict[str, int]:
    return {"mandatory": 0, "advisory": 0, **result.counts}


def render_text(result: CheckResult) -> str:
    plan = result.plan
    policies = {p.name: p for p in result.policies}
    lines = [
        f"Policy check of stack {plan.stack!r} ({plan.project}) with {result.pack_name} {result.pack_version}, "
        "offline: the pack's own analyzer, no Azure calls",
        "",
    ]
    by_resource: dict[str | None, list[Violation]] = {}
    for violation in result.violations:
        by_resource.setdefault(violation.urn, []).append(violation)
    for urn, violations in sorted(by_resource.items(), key=lambda item: item[0] or ""):
        first = violations[0]
        lines.append(f"{first.resource_name} ({first.resource_type})" if urn else "the stack")
        for v in violations:
            lines.append(f"  {MARKS.get(v.enforcement_level, '?')} {v.enforcement_level}  {v.policy} [{v.severity}]")
            lines.append(f"      {v.message}")
            policy = policies.get(v.policy)
            if policy and policy.remediation:
                lines.append(f"      fix: {policy.remediation}")
                lines.append(f"      see: {policy.url}")
        lines.append("")
    for remediation in result.remediations:
        lines.append(f"~ remediated  {remediation.policy}: {remediation.resource_name} ({remediation.urn})")
    if result.remediations:
        lines.append("")
    counts = summary(result)
    verdict = "FAILED" if counts["mandatory"] else "passed"
    lines.append(
        f"{verdict}: {counts['mandatory']} mandatory, {counts['advisory']} advisory violations; "
        f"{len(result.policies)} policies on {len(plan.resources)} resources."
    )
    return "\n".join(lines) + "\n"


def _violation_json(v: Violation) -> dict[str, Any]:
    return {
        "policy": v.policy,
        "enforcementLevel": v.enforcement_level,
        "severity": v.severity,
        "message": v.message,
        "urn": v.urn,
        "resourceType": v.resource_type,
        "resourceName": v.resource_name,
    }


def render_json(result: CheckResult) -> str:
    document = {
        "project": result.plan.project,
        "stack": result.plan.stack,
        "policyPack": {"name": result.pack_name, "version": result.pack_version},
        "summary": summary(result),
        "violations": [_violation_json(v) for v in result.violations],
        "remediations": [
            {"policy": r.policy, "urn": r.urn, "resourceName": r.resource_name} for r in result.remediations
        ],
        "policies": [
            {
                "name": p.name,
                "description": p.description,
                "severity": p.severity,
                "enforcementLevel": p.enforcement_level,
                "remediation": p.remediation,
                "url": p.url,
                "azurePolicy": p.framework_reference or None,
            }
            for p in result.policies
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
