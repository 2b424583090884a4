"""python -m gitops.drift --stack STACK --preview-json FILE --out FILE [--run-url URL]

Reads what `pulumi preview --stack STACK --refresh --expect-no-changes --json` printed (the scheduled
drift check, .github/workflows/drift.yml) and writes the body of the stack's drift issue: what differs
between Azure and the stack, per resource, in plain words for the project's own resources (phone
number pools, email domain verifications, linked domains, Direct Routing), and what the next
deployment does about it.

The JSON is the CLI's preview digest, read by gitops.digest. With `--refresh`, the refresh pass comes
first: one `refresh` step per resource, its `oldState` as the state had it before the refresh. The
steps after it compare what the program declares (`newState.inputs`) with what Azure has now
(`oldState`, refreshed).

A preview also shows what is not drift: a key rotation that falls due today (the generation comes
from the date; the scheduled rotation applies it) is reported as expected and not put in the issue.

Exit codes: 0 no drift (no body; an old --out file is removed); 1 drift (the body is in --out);
2 the preview JSON is missing, is not a preview of STACK, or the preview itself failed.
"""

import argparse
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops.digest import STACK_TYPE, DigestError, Preview, PropertyChange, State, Step, parse_urn, read_preview

# The first line of every drift issue's body: the workflow finds the stack's open issue by it (and by
# the `drift` label), whatever its title has become.
MARKER = "<!-- acs-platform:drift stack={stack} -->"
TITLE = "Drift in stack {stack}"

POOL = "pulumi-python:dynamic/numberpools:PhoneNumberPool"
VERIFICATION = "pulumi-python:dynamic/emaildomains:DomainVerification"
LINK = "pulumi-python:dynamic/emaildomains:LinkedDomains"
KEY_ROTATION = "pulumi-python:dynamic/keyrotation:AcsKeyRotation"
SIP_ROUTING = "pulumi-python:dynamic/siprouting:SipRouting"
SECRET = "azure-native:keyvault:Secret"

# Steps that change nothing: `refresh` is the refresh pass (what it found shows in the steps after
# it), `read` a resource the program only reads.
UNCHANGED = frozenset({"same", "refresh", "read", "discard", "discard-replaced"})
# How the engine serializes a value only known after an update (plugin.UnknownStringValue).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
VERIFIED = "Verified"
# What a key rotation changes in the Key Vault secret it feeds.
ROTATED_SECRET_PATHS = frozenset({"properties.value", "properties.attributes.expires"})


@dataclass
class Report:
    stack: str
    drift: list[tuple[Step, str, list[str]]] = field(default_factory=list)  # step, heading, lines
    expected: list[str] = field(default_factory=list)  # what differs on purpose (a rotation due)

    @property
    def drifted(self) -> bool:
        return bool(self.drift)


def unusable(preview: Preview, stack: str) -> str | None:
    """Why the preview says nothing about drift in the stack, None when it does."""
    if not preview.steps and preview.change_summary is None:
        return "not the JSON of `pulumi preview --json` (no `steps` and no `changeSummary`)"
    errors = [d.message for d in preview.diagnostics if d.severity == "error"]
    if errors:
        return "the preview failed, so it says nothing about drift:\n  " + "\n  ".join(errors)
    for index, step in enumerate(preview.steps):
        if step.stack != stack:
            return f"steps[{index}]: {step.urn} is a resource of stack {step.stack!r}, not {stack!r}"
    return None


def analyze(stack: str, preview: Preview) -> Report:
    report = Report(stack)
    # Each refreshed resource's state before the refresh.
    before = {s.urn: s.old for s in preview.steps if s.op == "refresh"}
    changes = [s for s in preview.steps if s.op not in UNCHANGED and s.type != STACK_TYPE]
    rotating = {s.urn: s for s in changes if _is_due_rotation(s)}
    for step in changes:
        if step.urn in rotating:
            old, new = (int(float(inputs["generation"])) for inputs in (step.old_inputs, step.new_inputs))
            report.expected.append(
                f"{step.name}: key rotation generation {old} -> {new} (a new generation started; "
                "the scheduled rotation applies it)"
            )
        elif step.type == SECRET and _is_rotated_secret(step, rotating):
            report.expected.append(f"{step.name}: the secret moves to the rotated key (its new expiry comes with it)")
        else:
            describe = DESCRIBERS.get(step.type, _describe_generic)
            heading, lines = describe(step, before.get(step.urn, State()))
            report.drift.append((step, heading, lines))
    return report


def _is_due_rotation(step: Step) -> bool:
    """A key rotation whose only change is a later generation: the date moved on, nothing drifted."""
    if step.type != KEY_ROTATION or step.op != "update":
        return False
    old, new = step.old_inputs, step.new_inputs
    try:
        later = float(new.get("generation")) > float(old.get("generation"))
    except (TypeError, ValueError):
        return False
    ignored = {"generation", "__provider", "activeKey", "connectionString"}
    return later and _without(old, ignored) == _without(new, ignored)


def _is_rotated_secret(step: Step, rotating: dict[str, Step]) -> bool:
    """A Key Vault secret that changes only its value and expiry, fed by a key rotation that is due."""
    if step.op != "update":
        return False
    feeds = set(step.new.dependencies) | {urn for urn in rotating if rotating[urn].name == f"{step.name}-keys"}
    if not feeds & rotating.keys():
        return False
    if step.changes:
        return {c.path for c in step.changes} <= ROTATED_SECRET_PATHS

    def rest(inputs: Mapping[str, Any]) -> dict[str, Any]:
        properties = dict(inputs.get("properties") or {})
        properties.pop("value", None)
        attributes = dict(properties.pop("attributes", None) or {})
        attributes.pop("expires", None)
        return {**_without(inputs, {"properties"}), "properties": properties, "attributes": attributes}

    return rest(step.old_inputs) == rest(step.new_inputs)


def _without(values: Mapping[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in keys}


# What drifted, in plain words, for the project's own resources.


def _describe_pool(step: Step, before: State) -> tuple[str, list[str]]:
    outputs, wanted = step.old_outputs, step.new_inputs.get("quantity")
    instance = _instance(step, "numbers-")
    heading = f"Phone number pool `{step.name}`" + (f" of `{instance}`" if instance else "")
    held = [str(n) for n in outputs.get("phoneNumbers") or []]
    if step.op != "update" or not _is_number(wanted) or step.old_inputs.get("quantity") != wanted:
        return heading, _generic_lines(step)
    lines: list[str] = []
    missing = int(wanted) - len(held)
    had = [str(n) for n in before.outputs.get("phoneNumbers") or []]
    released = [n for n in had if n not in held]
    if missing > 0:
        lines.append(
            f"It holds {len(held)} of its {int(wanted)} numbers: {_count(missing, 'number')} the stack bought "
            + ("was" if missing == 1 else "were")
            + " released outside Pulumi (in the portal or through the API)"
            + (f": {', '.join(released)}." if released else ".")
        )
        lines.append(
            f"The next deployment buys {_count(missing, 'new number')} to make the pool whole again: billed, and "
            "not the same numbers. If the numbers were released on purpose, lower the pool's `quantity` instead."
        )
    if outputs.get("pendingPurchase"):
        lines.append(
            "A purchase whose outcome was never seen is pending: the next deployment settles it before it buys "
            "anything."
        )
    if held:
        lines.append(f"Still held: {', '.join(held)}.")
    return heading, lines or _generic_lines(step)


def _describe_verification(step: Step, before: State) -> tuple[str, list[str]]:
    domain = _last_segment(step.new_inputs.get("domainId") or step.old_inputs.get("domainId"))
    heading = f"Verification of email domain `{domain}` (`{step.name}`)"
    states = step.old_outputs.get("states")
    if step.op != "update" or not isinstance(states, dict) or not states:
        return heading, _generic_lines(step)
    failing = {record: state for record, state in states.items() if state != VERIFIED}
    if not failing:
        return heading, _generic_lines(step)
    was_verified = before.outputs.get("verified") is True
    verified = [record for record, state in states.items() if state == VERIFIED]
    lines = [
        (f"`{domain}` lost its verification" if was_verified else f"`{domain}` is not verified")
        + ": "
        + ", ".join(f"{record} is {state}" for record, state in failing.items())
        + (f" (still verified: {', '.join(verified)})" if verified else "")
        + ".",
        "Azure checks a domain's DNS records again now and then: a record that was deleted or changed fails. "
        "Until every record verifies, the domain cannot be linked and mail from it is refused. Check its "
        "records in DNS (the stack output `emailDomains` lists what they must be).",
        "The next deployment asks Azure to verify the domain again, and links it once it verifies.",
    ]
    return heading, lines


def _describe_link(step: Step, before: State) -> tuple[str, list[str]]:
    service = _last_segment(
        step.new_inputs.get("communicationServiceId") or step.old_inputs.get("communicationServiceId")
    )
    heading = f"Domains linked to ACS resource `{service}` (`{step.name}`)"
    wanted = [d for d in step.new_inputs.get("domainIds") or [] if isinstance(d, str) and d != UNKNOWN]
    linked = step.old_outputs.get("linkedDomains")
    if step.op != "update" or not isinstance(linked, list) or not wanted:
        return heading, _generic_lines(step)
    linked_ids = {str(d).lower() for d in linked}
    missing = [d for d in wanted if d.lower() not in linked_ids]
    had = {str(d).lower() for d in before.outputs.get("linkedDomains") or []}
    lines: list[str] = []
    if missing:
        names = ", ".join(f"`{_last_segment(d)}`" for d in missing)
        removed = had and all(d.lower() in had for d in missing)
        lines.append(
            f"{names} {'is' if len(missing) == 1 else 'are'} "
            + ("no longer linked" if removed or not had else "not linked")
            + f" to `{service}`: it sends no mail from "
            + ("that domain" if len(missing) == 1 else "those domains")
            + ". A link removed in the portal, or an update of the ACS resource that cleared `linkedDomains`, "
            "does this."
        )
        lines.append("The next deployment links " + ("it" if len(missing) == 1 else "them") + " again.")
    extra = [d for d in linked if str(d).lower() not in {w.lower() for w in wanted}]
    if extra and step.new_inputs.get("exclusive") is True:
        names = ", ".join(f"`{_last_segment(str(d))}`" for d in extra)
        lines.append(f"Linked outside the stack, which owns the whole list: {names}. The next deployment unlinks it.")
    return heading, lines or _generic_lines(step)


def _describe_routing(step: Step, _before: State) -> tuple[str, list[str]]:
    heading = f"Direct Routing `{step.name}` (SIP trunks and voice routes)"
    declared, azure = step.new_inputs, step.old_outputs
    if step.op != "update" or not all(
        isinstance(values.get(key), list) for values in (declared, azure) for key in ("trunks", "routes")
    ):
        return heading, _generic_lines(step)
    lines: list[str] = []
    ports = {t.get("fqdn"): t.get("port") for t in azure["trunks"] if isinstance(t, dict)}
    for trunk in declared["trunks"]:
        fqdn, port = trunk.get("fqdn"), trunk.get("port")
        if fqdn not in ports:
            lines.append(f"Trunk `{fqdn}` is gone from Azure: routes through it cannot use it.")
        elif _is_number(port) and _is_number(ports[fqdn]) and float(port) != float(ports[fqdn]):
            lines.append(f"Trunk `{fqdn}` signals on port {_shown(ports[fqdn])} in Azure, {_shown(port)} in the stack.")
    found = {r.get("name"): r for r in azure["routes"] if isinstance(r, dict)}
    for route in declared["routes"]:
        name, there = route.get("name"), found.get(route.get("name"))
        if there is None:
            lines.append(f"Route `{name}` is gone from Azure: the numbers it matched go to a later route, or nowhere.")
            continue
        for key in ("numberPattern", "trunks", "description"):
            if (there.get(key) or None) != (route.get(key) or None):
                lines.append(
                    f"Route `{name}`: `{key}` is {_shown(there.get(key))} in Azure, "
                    f"{_shown(route.get(key))} in the stack."
                )
    declared_order = [r.get("name") for r in declared["routes"]]
    azure_order = [n for n in found if n in declared_order]
    if set(azure_order) == set(declared_order) and azure_order != declared_order:
        lines.append(
            f"The routes are tried in another order in Azure ({', '.join(azure_order)}) than the stack's "
            f"({', '.join(declared_order)}): another route may take a call first."
        )
    undeclared = azure.get("undeclared") if isinstance(azure.get("undeclared"), dict) else {}
    extra = [f"trunk `{t}`" for t in undeclared.get("trunks") or []] + [
        f"route `{r}`" for r in undeclared.get("routes") or []
    ]
    if extra:
        lines.append(
            f"Made outside the stack, which owns the whole configuration: {', '.join(extra)}. "
            "The next deployment removes them."
        )
    if not lines:
        return heading, _generic_lines(step)
    lines.append("The next deployment sets the declared trunks and routes back, routes in the declared order.")
    return heading, lines


def _describe_generic(step: Step, _before: State) -> tuple[str, list[str]]:
    return f"`{step.name}` ({step.type})", _generic_lines(step)


DESCRIBERS: dict[str, Callable[[Step, State], tuple[str, list[str]]]] = {
    POOL: _describe_pool,
    VERIFICATION: _describe_verification,
    LINK: _describe_link,
    SIP_ROUTING: _describe_routing,
}

_OPS = {
    "create": "It is not in Azure any more (deleted outside Pulumi?): the next deployment creates it again.",
    "delete": "The stack still holds it but the program no longer declares it: the next deployment deletes it.",
    "replace": "It differs in a way that cannot change in place: the next deployment replaces it.",
    "update": "It differs from what the stack declares: the next deployment sets it back.",
}


def _generic_lines(step: Step) -> list[str]:
    lines = [_OPS.get(step.op, f"The next deployment runs `{step.op}` on it.")]
    changes = step.changes or [PropertyChange(path, "update") for path in step.diff_reasons or _changed_keys(step)]
    for change in sorted(changes, key=lambda c: c.path):
        lines.append(f"`{change.path}`: {_change(change, step)}")
    if step.replace_reasons:
        lines.append("Replaced because of: " + ", ".join(f"`{r}`" for r in step.replace_reasons) + ".")
    return lines


def _changed_keys(step: Step) -> list[str]:
    old, new = step.old_inputs, step.new_inputs
    return [k for k in sorted(set(old) | set(new)) if k != "__provider" and old.get(k) != new.get(k)]


def _change(change: PropertyChange, step: Step) -> str:
    base, path = change.kind.removesuffix("-replace"), change.path
    words = {"add": "set by the program, missing in Azure", "delete": "set in Azure, not by the program"}.get(
        base, "differs"
    )
    old = _lookup(step.old_outputs, path, _lookup(step.old_inputs, path))
    new = _lookup(step.new_inputs, path)
    if base == "update" and _plain(old) and _plain(new):
        words = f"{json.dumps(old)} in Azure, {json.dumps(new)} in the stack"
    return words + (" (forces a replacement)" if change.replaces else "")


_MISSING = object()


def _lookup(values: Any, path: str, default: Any = _MISSING) -> Any:
    """The value at a property path such as `properties.attributes.expires` or `tags["cost-center"]`."""
    parts = re.findall(r'\["([^"]*)"\]|\[(\d+)\]|([^.\[\]]+)', path)
    current = values
    for quoted, index, plain in parts:
        if index and isinstance(current, list) and int(index) < len(current):
            current = current[int(index)]
        elif not index and isinstance(current, dict) and (quoted or plain) in current:
            current = current[quoted or plain]
        else:
            return default
    return current


def _plain(value: Any) -> bool:
    return value is not _MISSING and isinstance(value, (str, int, float, bool)) and value != UNKNOWN


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    """A value for a sentence: 5061.0 (as JSON numbers come) is 5061, text and lists as JSON."""
    if _is_number(value) and float(value).is_integer():
        return str(int(value))
    return json.dumps(value)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _last_segment(resource_id: Any) -> str:
    return str(resource_id or "?").rstrip("/").rsplit("/", 1)[-1]


def _instance(step: Step, prefix: str) -> str | None:
    """The ACS instance a resource belongs to, from its component's name (`numbers-<instance>`)."""
    parent = parse_urn(step.old.parent or step.new.parent)
    return parent.name.removeprefix(prefix) if parent and parent.name.startswith(prefix) else None


def body(report: Report, run_url: str | None = None) -> str:
    count = _count(len(report.drift), "resource")
    lines = [
        MARKER.format(stack=report.stack),
        f"The scheduled drift check found {count} of stack `{report.stack}` that "
        + ("differs" if len(report.drift) == 1 else "differ")
        + " from what Azure has"
        + (f" ([run]({run_url}))" if run_url else "")
        + ". It ran `pulumi preview --refresh`: each item below says what differs, and what the next "
        "deployment of the stack (`pulumi up`, on the next merge to main) does about it.",
        "",
        "Fix the cause, or let the next deployment put things back. This issue is updated by each check, "
        "and closed by the first check that finds no drift.",
    ]
    for step, heading, item_lines in report.drift:
        lines += ["", f"### {heading}", "", *(f"- {line}" for line in item_lines), "", f"<sub>`{step.urn}`</sub>"]
    if report.expected:
        lines += ["", "<details><summary>Expected changes, not drift</summary>", ""]
        lines += [f"- {line}" for line in report.expected]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gitops.drift", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--preview-json", required=True, type=Path, help="what `pulumi preview --json` printed")
    parser.add_argument("--out", required=True, type=Path, help="where the issue body goes when there is drift")
    parser.add_argument("--run-url", help="the workflow run, linked from the issue")
    args = parser.parse_args(argv)
    try:
        preview = read_preview(args.preview_json)
        problem = unusable(preview, args.stack)
    except DigestError as error:
        problem = str(error)
    if problem:
        print(f"error: {args.preview_json}: {problem}", file=sys.stderr)
        return 2
    report = analyze(args.stack, preview)
    for line in report.expected:
        print(f"expected, not drift: {line}")
    if not report.drifted:
        args.out.unlink(missing_ok=True)
        print(f"stack {args.stack}: no drift")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(body(report, args.run_url), encoding="utf-8")
    print(f"stack {args.stack}: drift in {_count(len(report.drift), 'resource')}; the issue body is in {args.out}")
    for _step, heading, _lines in report.drift:
        print(f"  {heading}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
