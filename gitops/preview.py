"""python -m gitops.preview --stack STACK --preview-json FILE [--event-log FILE] [--pulumi-exit-code N]
[--out FILE] [--fail-on-danger]

What a change does to a DEPLOYED stack, as a pull-request comment section: the counts per operation, a
table of the resources changed, and, loudly, every replacement or deletion of a resource that holds
data or is protected, with what it means.

Its input is what `pulumi preview --json` prints, the CLI's PreviewDigest, read by gitops.digest.
Policy violations are NOT in the digest (ShowPreviewDigest skips policy events), so they are read from
the engine's event log (`--event-log FILE`, one apitype.EngineEvent per line, `policyEvent` /
`policyRemediationEvent`), which the CLI writes when PULUMI_DEBUG_COMMANDS=true, as the Automation API
does.

Exit codes: 0 summarized; 1 with --fail-on-danger, when a danger was found; 2 the preview JSON (or
the event log) cannot be read: an error on stderr, and --out still gets a section saying so.
"""

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops.digest import DigestError, Preview, Step, parse_urn, plain, read_preview

EXIT_OK, EXIT_DANGER, EXIT_UNREADABLE = 0, 1, 2
MAX_ROWS = 200  # a GitHub comment holds at most 65,536 characters, for every stack together
MAX_PROPERTIES = 8  # per row of the table of changes
MARKER = "acs-platform:preview"  # the hidden line gitops.comment reads the verdict from

# Operations that remove the resource Azure holds now: a replacement deletes the old one (before or
# after creating the new one), a delete deletes it. `discard*` and `read*` are about resources the
# program only reads (`get`): nothing of Azure's is removed.
REPLACE_OPS = frozenset({"replace", "create-replacement", "delete-replaced", "import-replacement"})
DELETE_OPS = frozenset({"delete"})
# The order operations are listed in; anything else after them, `same` last.
OP_ORDER = (
    "create",
    "update",
    "replace",
    "create-replacement",
    "delete-replaced",
    "delete",
    "import",
    "import-replacement",
    "read",
    "read-replacement",
    "refresh",
    "discard",
    "discard-replaced",
    "remove-pending-replace",
)
OP_WORDS = {
    "create": "to create",
    "update": "to update",
    "replace": "to replace",
    "delete": "to delete",
    "same": "unchanged",
    "read": "to read",
    "import": "to import",
}
OP_ICONS = {
    "create": "🟢",
    "update": "🟡",
    "replace": "🔴",
    "create-replacement": "🔴",
    "delete-replaced": "🔴",
    "delete": "🔴",
}
# The serialized code of a dynamic provider is an input of each of its resources: it changes with the code.
INTERNAL_PROPERTIES = {"__provider": "(provider code)"}
_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


# ---------------------------------------------------------------------------------------------------
# The policy violations, from the event log


@dataclass(frozen=True)
class PolicyViolation:
    policy: str
    enforcement_level: str
    message: str
    urn: str = ""
    severity: str = ""
    pack: str = ""


@dataclass(frozen=True)
class PolicyLog:
    violations: tuple[PolicyViolation, ...] = ()
    remediations: Mapping[str, int] = field(default_factory=dict)  # policy -> count
    skipped_lines: int = 0


def parse_event_log(text: str) -> PolicyLog:
    """Policy violations and remediations from the engine's event log (JSON lines). A line that is not
    JSON (a log cut short) is counted and skipped: the preview's own verdict does not depend on it."""
    violations, remediations, skipped = [], Counter(), 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            skipped += 1
            continue
        if not isinstance(event, dict):
            skipped += 1
            continue
        policy = event.get("policyEvent")
        if isinstance(policy, dict):
            violations.append(
                PolicyViolation(
                    policy=str(policy.get("policyName", "")),
                    enforcement_level=str(policy.get("enforcementLevel", "")),
                    message=plain(str(policy.get("message", ""))),
                    urn=str(policy.get("resourceUrn", "")),
                    severity=str(policy.get("severity", "")),
                    pack=str(policy.get("policyPackName", "")),
                )
            )
        remediation = event.get("policyRemediationEvent")
        if isinstance(remediation, dict):
            remediations[str(remediation.get("policyName", ""))] += 1
    return PolicyLog(tuple(violations), dict(sorted(remediations.items())), skipped)


# ---------------------------------------------------------------------------------------------------
# What is dangerous, and why


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return None  # unknown during a preview, a secret, or absent
    return int(value)


def _pool_shrinks(step: Step) -> str | None:
    old, new = _whole(step.old_inputs.get("quantity")), _whole(step.new_inputs.get("quantity"))
    if old is None or new is None or new >= old:
        return None
    released = old - new
    return (
        f"the pool shrinks from {old} to {new}: {released} number{'s' if released != 1 else ''} released "
        "(newest first), and a released number cannot be got back."
    )


def _id_name(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def _links_drop(step: Step) -> str | None:
    def ids(inputs: Mapping[str, Any]) -> dict[str, str] | None:
        value = inputs.get("domainIds")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None  # unknown until the domains exist
        return {v.lower(): v for v in value}

    old, new = ids(step.old_inputs), ids(step.new_inputs)
    notes = []
    if old is not None and new is not None and old.keys() - new.keys():
        gone = sorted(_id_name(old[key]) for key in old.keys() - new.keys())
        notes.append(f"unlinks {', '.join(gone)} from the ACS resource: mail from there stops.")
    if step.old_inputs.get("exclusive") is False and step.new_inputs.get("exclusive") is True:
        notes.append("becomes exclusive: every domain linked outside the stack is unlinked.")
    return " ".join(notes) or None


def _routing_drops(step: Step) -> str | None:
    """What an update of an instance's Direct Routing takes away: routes and trunks no longer declared
    (calls they carried go elsewhere or nowhere), and everything made outside the stack once exclusive."""

    def names(inputs: Mapping[str, Any], key: str, field_name: str) -> set[str] | None:
        entries = inputs.get(key)
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            return None  # unknown in this preview
        return {str(e.get(field_name)) for e in entries}

    notes = []
    for key, field_name, what in (("routes", "name", "voice routes"), ("trunks", "fqdn", "SIP trunks")):
        old, new = names(step.old_inputs, key, field_name), names(step.new_inputs, key, field_name)
        if old is not None and new is not None and old - new:
            notes.append(f"removes the {what} {', '.join(sorted(old - new))}.")
    if step.old_inputs.get("exclusive") is False and step.new_inputs.get("exclusive") is True:
        notes.append("becomes exclusive: every trunk and route made outside the stack is removed.")
    return " ".join(notes) or None


@dataclass(frozen=True)
class Hazard:
    """Why losing a resource of this type matters, in a reviewer's words."""

    label: str
    on_replace: str
    on_delete: str
    # A replacement caused by one of these properties means more than a replacement in general.
    reasons: Mapping[str, str] = field(default_factory=dict)
    # Some updates remove data without replacing anything (a pool that shrinks releases numbers).
    on_update: Callable[[Step], str | None] | None = None


# The data-bearing (or protecting) resource types of this project, in one place. Each says what it
# holds, so what a replacement or a deletion loses. A protected resource of any other type is
# flagged too (its state's `protect`), since `pulumi up` refuses to replace or delete it.
HAZARDS: dict[str, Hazard] = {
    # Everything of the stack that lives in it is deleted with it, declared or not.
    "azure-native:resources:ResourceGroup": Hazard(
        "resource group",
        "a new resource group: Azure deletes the old one with every resource in it.",
        "Azure deletes every resource in it, whether the stack declares it or not.",
    ),
    # The endpoint, the access keys and managed identity apps and grants refer to, the phone numbers
    # bought on it, chat threads and messages, the linked email domains; its data location is fixed.
    "azure-native:communication:CommunicationService": Hazard(
        "ACS resource",
        "a new ACS resource (new endpoint, access keys and identity); the old one is deleted with its "
        "phone numbers, chat threads and linked domains.",
        "the ACS resource is deleted with its phone numbers, chat threads and linked domains; apps using "
        "its endpoint or keys stop working.",
        reasons={
            "dataLocation": "The data location cannot change in place: this is a new ACS resource in the new "
            "geography, not a move. To move an instance, add a new one and migrate.",
        },
    ),
    # The email domains, senders and suppression lists under it.
    "azure-native:communication:EmailService": Hazard(
        "email service",
        "a new email service: the old one is deleted with its domains, senders and suppression lists.",
        "deleted with its domains, senders and suppression lists: mail from its domains stops.",
        reasons={"dataLocation": "An email service's data location cannot change in place."},
    ),
    # A verified domain: its verification (DNS to check again), its link to the ACS resource, its
    # sending reputation.
    "azure-native:communication:Domain": Hazard(
        "email domain",
        "a new domain: verification starts over, and it is unlinked until then: mail from it fails.",
        "deleted: mail from it stops, and a custom domain must be verified again to come back.",
    ),
    # The addresses that must not be mailed (unsubscribed, bounced).
    "azure-native:communication:SuppressionList": Hazard(
        "suppression list",
        "a new, empty list: the suppressed addresses are lost, and mail may reach people who opted out.",
        "the suppressed addresses are lost: mail may reach people who opted out.",
    ),
    # The connection-string secrets. Soft delete keeps a deleted vault recoverable; purge protection
    # keeps its name taken until the retention ends.
    "azure-native:keyvault:Vault": Hazard(
        "Key Vault",
        "a new vault: the secrets are not carried over, and with purge protection the old name stays "
        "taken (soft-deleted) until its retention ends, so a same-name replacement fails.",
        "the vault and its secrets are soft-deleted (recoverable for the retention days); apps reading them fail.",
    ),
    # Events Event Grid could not deliver.
    "azure-native:storage:StorageAccount": Hazard(
        "storage account (dead letters)",
        "a new, empty account: the dead-lettered events in the old one are deleted.",
        "the dead-lettered events are deleted with it.",
    ),
    "azure-native:storage:BlobContainer": Hazard(
        "blob container (dead letters)",
        "a new, empty container: the dead-lettered events are deleted.",
        "the dead-lettered events are deleted with it.",
    ),
    # The resource logs and metrics kept (a year in prod).
    "azure-native:operationalinsights:Workspace": Hazard(
        "Log Analytics workspace",
        "a new, empty workspace: the logs kept so far stay in the old one, which is deleted (soft "
        "delete: recoverable for 14 days).",
        "the logs kept so far are deleted with it (soft delete: recoverable for 14 days).",
    ),
    # Domain verification (TXT), SPF, DKIM CNAMEs and DMARC of the custom email domains.
    "azure-native:dns:RecordSet": Hazard(
        "DNS record set",
        "deleted and created again: while it is gone, verification and SPF/DKIM checks of the domain can fail.",
        "the records are deleted: the domain can fail verification, and mail can bounce or land in spam.",
    ),
    # Numbers exist only in the ACS data plane; a released number is gone for good.
    "pulumi-python:dynamic/numberpools:PhoneNumberPool": Hazard(
        "phone number pool",
        "the pool's numbers are released and new (different) numbers bought.",
        "the pool's numbers are released: they cannot be got back, and whatever dials or texts them breaks.",
        on_update=_pool_shrinks,
    ),
    # A domain's verification: it feeds the link.
    "pulumi-python:dynamic/emaildomains:DomainVerification": Hazard(
        "domain verification",
        "verification runs again for the new domain; the link holds the domain back until it succeeds.",
        "Azure keeps the domain's states (nothing un-verifies), but the stack stops verifying the domain "
        "and the link, fed by verifications, stops linking it.",
    ),
    # The ACS resource's linked email domains.
    "pulumi-python:dynamic/emaildomains:LinkedDomains": Hazard(
        "domain link",
        "the stack's domains are unlinked from the old ACS resource and linked to the new one.",
        "the stack's domains (with exclusiveLinkedDomains, every domain) are unlinked: mail from them stops.",
        on_update=_links_drop,
    ),
    # Where the company's calls go through its own carrier: the SIP trunks and voice routes.
    "pulumi-python:dynamic/siprouting:SipRouting": Hazard(
        "Direct Routing (SIP trunks and voice routes)",
        "the trunks and routes are set on the new ACS resource and removed from the old one: calls to and "
        "from the old one have no route.",
        "the stack's trunks and routes are removed: calls through the company's carrier have no route.",
        on_update=_routing_drops,
    ),
    # Not data, but what keeps data from being deleted.
    "azure-native:authorization:ManagementLockByScope": Hazard(
        "CanNotDelete lock",
        "the lock is deleted and created again: for a moment nothing stops a delete.",
        "the lock is lifted: what it guarded can be deleted by any tool, the portal included.",
    ),
}


@dataclass(frozen=True)
class Danger:
    step: Step
    label: str
    meaning: str


def _meaning(step: Step, hazard: Hazard | None) -> str:
    replacing = step.op in REPLACE_OPS
    parts = []
    if hazard is not None:
        parts.append(hazard.on_replace if replacing else hazard.on_delete)
        parts += [hazard.reasons[r] for r in step.replace_reasons if r in hazard.reasons]
    if step.retain_on_delete:
        parts.append(
            "It is retained on delete: Azure keeps the old one, which Pulumi forgets (no longer managed, still billed)."
        )
    if step.protect:
        verb = "replace" if replacing else "delete"
        parts.append(
            f"It is protected: `pulumi up` refuses to {verb} it and fails. To do it on purpose, unprotect it "
            "first (`protection.protect: false`)."
        )
    return " ".join(parts)


def find_dangers(preview: Preview) -> list[Danger]:
    """Every replacement or deletion of a data-bearing or protected resource, and every update that
    removes data; one per resource."""
    dangers: dict[str, Danger] = {}
    for step in preview.steps:
        if step.urn in dangers:
            continue  # a replacement listed as replace, create-replacement and delete-replaced
        hazard = HAZARDS.get(step.type)
        if (step.op in REPLACE_OPS or step.op in DELETE_OPS) and (hazard is not None or step.protect):
            label = hazard.label if hazard is not None else "protected resource"
            dangers[step.urn] = Danger(step, label, _meaning(step, hazard))
        elif step.op == "update" and hazard is not None and hazard.on_update is not None:
            meaning = hazard.on_update(step)
            if meaning:
                dangers[step.urn] = Danger(step, hazard.label, meaning[0].upper() + meaning[1:])
    return list(dangers.values())


# ---------------------------------------------------------------------------------------------------
# The markdown


def _resource(urn: str) -> str:
    parsed = parse_urn(urn)
    return parsed.name if parsed else urn


def _changed_properties(step: Step) -> list[str]:
    """Property paths that change, replacing ones marked; from the detailed diff where there is one."""
    replacing = set(step.replace_reasons)
    if step.changes:
        items = [(c.path, c.replaces or c.path in replacing) for c in step.changes]
    else:
        items = [(key, key in replacing) for key in dict.fromkeys(step.diff_reasons + step.replace_reasons)]
    shown = []
    for path, replaces in sorted(items):
        label = INTERNAL_PROPERTIES.get(path, path)
        shown.append(f"{label} (replace)" if replaces else label)
    return shown


def cell(text: str) -> str:
    """Text for one table cell: markdown inert, `|` escaped, on one line."""
    return re.sub(r"\r\n|\r|\n", "<br>", _SPECIAL.sub(r"\\\1", text))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _ordered(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    rank = {op: i for i, op in enumerate(OP_ORDER)}
    return sorted(counts.items(), key=lambda item: (item[0] == "same", rank.get(item[0], len(rank)), item[0]))


@dataclass(frozen=True)
class Summary:
    stack: str
    preview: Preview
    dangers: tuple[Danger, ...]
    policies: PolicyLog = field(default_factory=PolicyLog)
    exit_code: int | None = None  # pulumi preview's, when the workflow passes it

    @property
    def mandatory(self) -> list[PolicyViolation]:
        return [v for v in self.policies.violations if v.enforcement_level == "mandatory"]


def summarize(stack: str, preview: Preview, policies: PolicyLog | None = None, exit_code: int | None = None) -> Summary:
    return Summary(stack, preview, tuple(find_dangers(preview)), policies or PolicyLog(), exit_code)


def verdict(summary: Summary) -> str:
    """'🚨 1 dangerous change (of 3)', '❌ 2 changes, none dangerous; 1 mandatory policy violation', '✅ no changes'."""
    changed = len(summary.preview.changed)
    if summary.dangers:
        line = f"{_plural(len(summary.dangers), 'dangerous change')} (of {changed})"
    elif changed:
        line = f"{_plural(changed, 'change')}, none dangerous"
    else:
        line = "no changes"
    if summary.exit_code:
        line += f"; `pulumi preview` failed (exit code {summary.exit_code})"
    if summary.mandatory:
        line += f"; {_plural(len(summary.mandatory), 'mandatory policy violation')}"
    icon = "🚨" if summary.dangers else "❌" if summary.exit_code or summary.mandatory else "✅"
    return f"{icon} {line}"


def _counts_line(preview: Preview) -> str:
    counts = preview.counts()
    if not counts:
        return "No resources."
    return ", ".join(f"{n} {OP_WORDS.get(op, op)}" for op, n in _ordered(counts)) + "."


def render_markdown(summary: Summary) -> str:
    preview = summary.preview
    mark = f"<!-- {MARKER} stack={summary.stack} dangers={len(summary.dangers)} changes={len(preview.changed)}"
    mark += f" exit={summary.exit_code if summary.exit_code is not None else '-'} -->"
    lines = [
        mark,
        f"### Preview: stack `{summary.stack}`, against what is deployed",
        "",
        f"**{verdict(summary)}**",
        "",
        f"`pulumi preview`: {_counts_line(preview)}",
        "",
    ]
    if summary.exit_code:
        lines += [
            f"`pulumi preview` exited with {summary.exit_code}: `pulumi up` would fail too. The errors are below "
            "and in the job log.",
            "",
        ]
    if summary.dangers:
        lines += [
            "> [!CAUTION]",
            "> **Data-bearing or protected resources would be replaced or deleted.** Check each is intended:",
        ]
        for d in summary.dangers:
            lines.append(f"> - **{d.step.op}** {cell(d.label)} `{d.step.name}` (`{d.step.type}`): {d.meaning}")
        lines.append("")

    changed = preview.changed
    if changed:
        lines += ["| | Operation | Type | Name | Changed properties |", "|---|---|---|---|---|"]
        for step in changed[:MAX_ROWS]:
            props = _changed_properties(step)
            shown = ", ".join(props[:MAX_PROPERTIES])
            if len(props) > MAX_PROPERTIES:
                shown += f", … {len(props) - MAX_PROPERTIES} more"
            lines.append(
                f"| {OP_ICONS.get(step.op, '')} | {cell(step.op)} | {cell(step.type)} | {cell(step.name)} "
                f"| {cell(shown) if shown else '—'} |"
            )
        if len(changed) > MAX_ROWS:
            lines.append(f"\n… and {len(changed) - MAX_ROWS} more changes: see the preview artifact.")
        lines.append("")
    else:
        lines += ["No changes: the deployed stack already matches this branch.", ""]

    violations = summary.policies.violations
    if violations:
        lines += [
            f"#### Policy violations in the preview ({len(violations)})",
            "",
            "| Enforcement | Policy | Resource | Message |",
            "|---|---|---|---|",
        ]
        order = {"mandatory": 0, "advisory": 1}
        for v in sorted(violations, key=lambda v: (order.get(v.enforcement_level, 2), v.policy, v.urn))[:MAX_ROWS]:
            resource = _resource(v.urn) if v.urn else f"stack {summary.stack}"
            lines.append(f"| {cell(v.enforcement_level)} | {cell(v.policy)} | {cell(resource)} | {cell(v.message)} |")
        lines.append("")
    if summary.policies.remediations:
        fixed = ", ".join(f"`{p}` ({n})" for p, n in summary.policies.remediations.items())
        lines += [f"Policy remediations applied: {fixed}.", ""]
    if summary.policies.skipped_lines:
        lines += [f"{_plural(summary.policies.skipped_lines, 'line')} of the event log could not be read.", ""]

    problems = [d for d in preview.diagnostics if d.severity in ("error", "warning")]
    if problems:
        lines += ["#### Errors and warnings", ""]
        for d in dict.fromkeys(problems):
            where = f" `{_resource(d.urn)}`" if d.urn else ""
            message = d.message.removeprefix(f"{d.severity}: ")
            first, _, rest = message.partition("\n")
            lines.append(f"- **{d.severity}**{where}: {cell(first)}")
            if rest.strip():
                lines += ["  <details><summary>more</summary>", "", "  ```", *(f"  {r}" for r in rest.splitlines())]
                lines += ["  ```", "  </details>"]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def render_unreadable(stack: str, reason: str, exit_code: int | None = None) -> str:
    """The section for a stack whose preview gave nothing readable."""
    code = f" (`pulumi preview` exit code {exit_code})" if exit_code is not None else ""
    return "\n".join(
        [
            f"<!-- {MARKER} stack={stack} dangers=- changes=- exit={exit_code if exit_code is not None else '-'} -->",
            f"### Preview: stack `{stack}`, against what is deployed",
            "",
            f"**❌ no preview to show{code}**",
            "",
            f"The preview's JSON could not be read: {cell(reason)}. See the job log.",
            "",
        ]
    )


# ---------------------------------------------------------------------------------------------------
# The command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gitops.preview", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="the stack the preview is of")
    parser.add_argument(
        "--preview-json", required=True, type=Path, help="what `pulumi preview --json` printed (its stdout)"
    )
    parser.add_argument("--event-log", type=Path, help="`pulumi preview --event-log FILE`: where policy violations are")
    parser.add_argument("--pulumi-exit-code", type=int, help="`pulumi preview`'s exit code, to report it")
    parser.add_argument("--out", type=Path, help="write the markdown here instead of stdout")
    parser.add_argument(
        "--fail-on-danger", action="store_true", help="exit 1 when a data-bearing or protected resource is at risk"
    )
    return parser


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    def unreadable(source: Path, reason: str) -> int:
        print(f"error: {source}: {reason}", file=sys.stderr)
        _write(render_unreadable(args.stack, f"{source.name}: {reason}", args.pulumi_exit_code), args.out)
        return EXIT_UNREADABLE

    try:
        preview = read_preview(args.preview_json)
    except DigestError as exc:
        return unreadable(args.preview_json, str(exc))
    policies = PolicyLog()
    if args.event_log:
        try:
            policies = parse_event_log(args.event_log.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            return unreadable(args.event_log, f"cannot read it: {exc}")
    summary = summarize(args.stack, preview, policies, args.pulumi_exit_code)
    _write(render_markdown(summary), args.out)
    return EXIT_DANGER if args.fail_on_danger and summary.dangers else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
