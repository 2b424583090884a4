"""python -m gitops.comment --out FILE [--stack STACK ...] [--offline [STACK=]FILE ...]
[--preview [STACK=]FILE ...] [--cost [STACK=]FILE ...] [--fork] [--job NAME=RESULT ...] [--run-url URL]

The pull request's ONE sticky comment: per stack, the offline policy gate's verdict (preflight's
markdown report), the preview against the deployed stack (gitops.preview's summary) and the change in
monthly cost (gitops.cost's section), under a table of every verdict. Its first line is a hidden marker,
MARKER, by which the workflow finds the comment it wrote before and edits it instead of adding another.

A report's stack is STACK when given as STACK=FILE, else its file name without the prefix up to the
first `-` and the extension: `policy-prod.md`, `preview-prod.md` and `cost-prod.md` are all prod's.
`--stack` names the stacks expected, so one whose report is missing says so rather than disappearing.
`--fork`: the previews could not run (a fork gets no secrets and no OIDC token), and the body says so.
A big increase of a stack's monthly cost (gitops.cost's hidden line says so) is called out at the top.

The same input gives the same body, byte for byte. Exit codes: 0 written; 2 a report cannot be read,
or the command line is wrong.
"""

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MARKER = "<!-- acs-platform:gate -->"
MAX_CHARS = 65_000  # GitHub refuses a comment body over 65,536 characters
EXIT_OK, EXIT_USAGE = 0, 2
RESULT_ICONS = {"success": "✅", "failure": "❌", "cancelled": "⏹️", "skipped": "⏭️"}

FORK_NOTE = (
    "> [!NOTE]\n"
    "> **Previews against the deployed stacks did not run: this pull request comes from a fork.** GitHub "
    "runs `pull_request` workflows of forks without the repository's secrets and with a read-only token that "
    "cannot request an OIDC token, so nothing could sign in to Azure or to the Pulumi backend. Only the "
    "offline gate ran: the plan of a first deployment, under mocks, judged by the policy pack. For the same "
    "reason this verdict is in the run's job summary and artifacts, not in a comment. A maintainer can "
    "preview the change by pushing the branch to this repository.\n"
)

_VERDICT = re.compile(r"^\*\*(.+)\*\*\s*$", re.MULTILINE)
_PREVIEW_MARK = re.compile(r"<!-- acs-platform:preview (?P<fields>[^>]*)-->")
_COST_MARK = re.compile(r"<!-- acs-platform:cost (?P<fields>[^>]*)-->")


class ReportError(ValueError):
    """A report cannot be read, or cannot be told apart from another."""


@dataclass(frozen=True)
class Reports:
    """The markdown of each stack's reports, by stack."""

    offline: Mapping[str, str] = field(default_factory=dict)
    preview: Mapping[str, str] = field(default_factory=dict)
    stacks: tuple[str, ...] = ()  # the stacks expected, whether or not they have reports
    cost: Mapping[str, str] = field(default_factory=dict)  # gitops.cost's sections

    def all_stacks(self) -> list[str]:
        return sorted(set(self.stacks) | set(self.offline) | set(self.preview) | set(self.cost))


def verdict_line(markdown: str) -> str | None:
    """A report's verdict: its first line in bold (both reports open with one)."""
    match = _VERDICT.search(markdown)
    return match.group(1).strip() if match else None


def _mark_fields(pattern: re.Pattern[str], markdown: str) -> dict[str, str]:
    match = pattern.search(markdown)
    if not match:
        return {}
    return dict(item.split("=", 1) for item in match.group("fields").split() if "=" in item)


def preview_dangers(markdown: str) -> int:
    """How many dangers a preview summary found, from its hidden line (0 when it says none or `-`)."""
    value = _mark_fields(_PREVIEW_MARK, markdown).get("dangers", "0")
    return int(value) if value.isdigit() else 0


def cost_big_increase(markdown: str) -> bool:
    """Whether a cost section calls out a big increase of the monthly cost, from its hidden line."""
    return _mark_fields(_COST_MARK, markdown).get("big") == "yes"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _jobs_line(jobs: Sequence[tuple[str, str]], run_url: str | None) -> str:
    parts = [f"{RESULT_ICONS.get(result, '❔')} {name}: {result}" for name, result in jobs]
    line = " · ".join(parts)
    if run_url:
        line += (" · " if line else "") + f"[the run, its logs and artifacts]({run_url})"
    return line


def compose(
    reports: Reports,
    *,
    fork: bool = False,
    jobs: Sequence[tuple[str, str]] = (),
    run_url: str | None = None,
) -> str:
    """The comment body: the marker, a table of verdicts, then one section per stack."""
    stacks = reports.all_stacks()
    lines = [MARKER, "## acs-platform: what this pull request does to each stack", ""]

    dangers = sum(preview_dangers(reports.preview[s]) for s in stacks if s in reports.preview)
    if dangers:
        lines += [
            "> [!CAUTION]",
            f"> **{dangers} dangerous change{'s' if dangers != 1 else ''}**: a data-bearing or protected resource "
            "would be replaced or deleted in a deployed stack. See the stack's preview below.",
            "",
        ]
    dearer = [s for s in stacks if s in reports.cost and cost_big_increase(reports.cost[s])]
    if dearer:
        lines += ["> [!WARNING]", "> **The monthly cost goes up** (offline estimate; see the stack's cost below):"]
        lines += [f"> - `{s}`: {verdict_line(reports.cost[s])}" for s in dearer]
        lines += [""]
    if fork:
        lines += [FORK_NOTE]

    with_cost = bool(reports.cost)  # a column only once the workflow sends estimates
    header = "| Stack | Offline policy gate (first deployment, under mocks) | Preview against the deployed stack |"
    lines += [header + (" Monthly cost (offline estimate) |" if with_cost else "")]
    lines += ["|---|---|---|" + ("---|" if with_cost else "")]
    for stack in stacks:
        offline = reports.offline.get(stack)
        offline_cell = (verdict_line(offline) or "report without a verdict") if offline else "⚠️ no report: see the log"
        preview = reports.preview.get(stack)
        if preview is not None:
            preview_cell = verdict_line(preview) or "summary without a verdict"
        elif fork:
            preview_cell = "⏭️ not run (fork)"
        else:
            preview_cell = "⚠️ no summary: see the log"
        row = f"| `{stack}` | {_cell(offline_cell)} | {_cell(preview_cell)} |"
        if with_cost:
            cost = reports.cost.get(stack)
            cost_cell = (verdict_line(cost) or "section without a verdict") if cost else "⚠️ no estimate: see the log"
            row += f" {_cell(cost_cell)} |"
        lines.append(row)
    if not stacks:
        lines.append("| — | no report | no report |" + (" no report |" if with_cost else ""))
    lines.append("")
    jobs_line = _jobs_line(jobs, run_url)
    if jobs_line:
        lines += [jobs_line, ""]

    for stack in stacks:
        lines += [f"## Stack `{stack}`", ""]
        offline = reports.offline.get(stack)
        lines += [offline.rstrip("\n") if offline else "No offline gate report for this stack: see the job log.", ""]
        preview = reports.preview.get(stack)
        if preview is not None:
            lines += [preview.rstrip("\n"), ""]
        elif not fork:
            lines += ["No preview summary for this stack: see the preview job's log.", ""]
        cost = reports.cost.get(stack)
        if cost is not None:
            lines += [cost.rstrip("\n"), ""]
        elif with_cost:
            lines += ["No estimate of the monthly cost for this stack: see the offline gate's log.", ""]
    return fit("\n".join(lines).rstrip("\n") + "\n", run_url)


def fit(body: str, run_url: str | None = None, limit: int = MAX_CHARS) -> str:
    """The body cut at a line to fit in one comment, saying so, when it is too long."""
    if len(body) <= limit:
        return body
    where = f"[the run]({run_url})" if run_url else "the run"
    notice = (
        f"\n\n… cut here to fit in one comment: the full reports are in the job summary and artifacts of {where}.\n"
    )
    head = body[: limit - len(notice)]
    head = head[: head.rfind("\n")] if "\n" in head else head
    return head + notice


# ---------------------------------------------------------------------------------------------------
# The command


def _stack_of(path: Path) -> str:
    stem = path.name.rsplit(".", 1)[0]
    return stem.split("-", 1)[1] if "-" in stem else stem


def _load(specs: Sequence[str], kind: str) -> dict[str, str]:
    loaded: dict[str, str] = {}
    for spec in specs:
        stack, sep, file = spec.partition("=")
        path = Path(file) if sep else Path(spec)
        stack = stack if sep else _stack_of(path)
        if not stack:
            raise ReportError(f"{spec}: no stack name")
        if stack in loaded:
            raise ReportError(f"two {kind} reports for stack {stack!r}")
        try:
            loaded[stack] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ReportError(f"cannot read {path}: {exc}") from exc
    return loaded


def _job(value: str) -> tuple[str, str]:
    name, sep, result = value.rpartition("=")
    if not sep or not name or not result:
        raise argparse.ArgumentTypeError(f"{value!r}: expected NAME=RESULT")
    return name, result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gitops.comment", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="where to write the comment body")
    parser.add_argument("--stack", action="append", default=[], help="a stack expected; repeatable")
    parser.add_argument("--offline", action="append", default=[], metavar="[STACK=]FILE", help="preflight's markdown")
    parser.add_argument(
        "--preview", action="append", default=[], metavar="[STACK=]FILE", help="gitops.preview's markdown"
    )
    parser.add_argument("--cost", action="append", default=[], metavar="[STACK=]FILE", help="gitops.cost's markdown")
    parser.add_argument("--fork", action="store_true", help="the pull request comes from a fork: no previews")
    parser.add_argument(
        "--job", action="append", default=[], type=_job, metavar="NAME=RESULT", help="a job's result; repeatable"
    )
    parser.add_argument("--run-url", help="the workflow run, for the logs and artifacts")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        reports = Reports(
            _load(args.offline, "offline"),
            _load(args.preview, "preview"),
            tuple(args.stack),
            _load(args.cost, "cost"),
        )
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    args.out.write_text(compose(reports, fork=args.fork, jobs=args.job, run_url=args.run_url), encoding="utf-8")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
