"""A policy check as a pull-request comment: the verdict, a table of violations, and how to fix each."""

import html
import re

from .analyzer import CheckResult, Violation

LEVEL_ORDER = {"mandatory": 0, "advisory": 1, "remediate": 2}
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
ICONS = {"mandatory": "❌", "advisory": "⚠️", "remediate": "🔧"}
MAX_ROWS = 200  # a GitHub comment holds at most 65,536 characters

_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def cell(text: str) -> str:
    """Text for one table cell: markdown inert, `|` escaped, on one line."""
    escaped = _SPECIAL.sub(r"\\\1", text)
    return re.sub(r"\r\n|\r|\n", "<br>", escaped)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def verdict(result: CheckResult) -> str:
    """'❌ 2 mandatory violations (1 advisory)', or '✅ no mandatory violations'."""
    mandatory = len(result.mandatory)
    line = f"❌ {_plural(mandatory, 'mandatory violation')}" if mandatory else "✅ no mandatory violations"
    others = result.counts
    del others["mandatory"]
    if others:
        levels = sorted(others, key=lambda level: LEVEL_ORDER.get(level, len(LEVEL_ORDER)))
        line += " (" + ", ".join(f"{others[level]} {level}" for level in levels) + ")"
    return line


def _order(violation: Violation) -> tuple:
    return (
        LEVEL_ORDER.get(violation.enforcement_level, len(LEVEL_ORDER)),
        SEVERITY_ORDER.get(violation.severity, len(SEVERITY_ORDER)),
        violation.policy,
        violation.resource_name or "",
        violation.message,
    )


def render_markdown(result: CheckResult) -> str:
    plan = result.plan
    policies = {p.name: p for p in result.policies}
    violations = sorted(result.violations, key=_order)
    lines = [
        f"### Policy check: stack `{plan.stack}` ({cell(plan.project)})",
        "",
        f"**{verdict(result)}**",
        "",
        f"Policy pack {cell(result.pack_name)} {cell(result.pack_version)}: {len(result.policies)} "
        f"{'policy' if len(result.policies) == 1 else 'policies'} on {_plural(len(plan.resources), 'resource')}, "
        "judged offline as `pulumi preview --policy-pack` judges them.",
        "",
    ]
    if not violations:
        lines.append("No policy violations.")
        return "\n".join(lines) + "\n"

    lines += ["| Enforcement | Severity | Policy | Resource | Message |", "|---|---|---|---|---|"]
    for v in violations[:MAX_ROWS]:
        icon = ICONS.get(v.enforcement_level, "")
        resource = v.resource_name or f"stack {plan.stack}"
        lines.append(
            f"| {icon} {cell(v.enforcement_level)} | {cell(v.severity)} | {cell(v.policy)} | {cell(resource)} "
            f"| {cell(v.message)} |"
        )
    if len(violations) > MAX_ROWS:
        lines.append(f"\n… and {len(violations) - MAX_ROWS} more violations: see the check's full output.")

    lines += ["", "#### How to fix", ""]
    for name in dict.fromkeys(v.policy for v in violations):
        policy = policies.get(name)
        count = sum(v.policy == name for v in violations)
        summary = f"<code>{html.escape(name)}</code> ({_plural(count, 'violation')})"
        if policy is not None:
            summary += f": {html.escape(policy.description)}"
        lines += ["<details>", f"<summary>{summary}</summary>", ""]
        if policy is not None:
            lines.append(f"**Remediation:** {html.escape(policy.remediation, quote=False)}")
            if policy.url:
                lines += ["", f"[Documentation]({policy.url})"]
            if policy.framework_reference:
                lines += ["", f"Azure Policy built-in: `{policy.framework_reference}`"]
        lines += ["", "</details>", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
