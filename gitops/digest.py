"""What `pulumi preview --json` prints, read once for gitops.preview (the pull request's summary) and
gitops.drift (the scheduled drift check).

It is the CLI's PreviewDigest (pulumi/pulumi pkg/display/json.go; written by
pkg/backend/display/json.go ShowPreviewDigest):

    {"config": {...},
     "steps": [{"op": "same|create|update|replace|create-replacement|delete-replaced|delete|read|refresh|...",
                "urn": "urn:pulumi:STACK::PROJECT::PARENT$TYPE::NAME", "provider": "...",
                "oldState": ResourceV3, "newState": ResourceV3,      # type, inputs, outputs, parent,
                                                                     # dependencies, protect,
                                                                     # retainOnDelete, ... (apitype)
                "diffReasons": ["tags"], "replaceReasons": ["dataLocation"],
                "detailedDiff": {"tags.env": {"kind": "update", "inputDiff": true}}}],
     "diagnostics": [{"urn": "...", "message": "...", "severity": "error|warning|info|info#err"}],
     "duration": 123, "changeSummary": {"update": 1, "same": 40}, "maybeCorrupt": false}

Secrets are "[secret]"; a value known only after an update is plugin.UnknownStringValue. Unchanged
resources are left out unless --show-sames, except the stack itself; a replacement is one logical
`replace` step (`create-replacement`/`delete-replaced` only with --show-replacement-steps). `--diff`
changes nothing in it: with `--json` the CLI writes the digest and never reaches the diff display.
"""

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"
_COLOR_DIRECTIVE = re.compile(r"<\{%[^%]*%\}>")  # Pulumi's color markup, should --color never be missing


class DigestError(ValueError):
    """The preview JSON cannot be read, or is not a digest: the message says where and why."""


def plain(message: str) -> str:
    """A message of the engine's without Pulumi's color markup."""
    return _COLOR_DIRECTIVE.sub("", message).strip()


@dataclass(frozen=True)
class Urn:
    stack: str
    type: str  # the resource's own type, without its parents' (`PARENT$TYPE`)
    name: str


def parse_urn(text: str) -> Urn | None:
    """urn:pulumi:STACK::PROJECT::QUALIFIED$TYPE::NAME, None for anything else. The name may itself
    contain "::"; a type never does."""
    parts = text.removeprefix("urn:pulumi:").split("::", 3)
    if not text.startswith("urn:pulumi:") or len(parts) < 4 or not all(parts[:3]):
        return None
    stack, _project, qualified, name = parts
    return Urn(stack, qualified.rsplit("$", 1)[-1], name)


@dataclass(frozen=True)
class State:
    """A resource as the state holds it (apitype.ResourceV3), the parts the commands read."""

    inputs: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    parent: str = ""
    dependencies: tuple[str, ...] = ()
    protect: bool = False
    retain_on_delete: bool = False


@dataclass(frozen=True)
class PropertyChange:
    path: str
    kind: str  # add, add-replace, delete, delete-replace, update, update-replace (plugin.DiffKind)

    @property
    def replaces(self) -> bool:
        return self.kind.endswith("-replace")


@dataclass(frozen=True)
class Step:
    op: str
    urn: str
    stack: str
    type: str
    name: str
    old: State  # before the step (with --refresh: as Azure has it now); empty for a create
    new: State  # what the program declares; empty for a delete
    changes: tuple[PropertyChange, ...]  # the detailed diff, by path
    diff_reasons: tuple[str, ...]
    replace_reasons: tuple[str, ...]

    @property
    def old_inputs(self) -> Mapping[str, Any]:
        return self.old.inputs

    @property
    def old_outputs(self) -> Mapping[str, Any]:
        return self.old.outputs

    @property
    def new_inputs(self) -> Mapping[str, Any]:
        return self.new.inputs

    # What protects the resource Azure holds now is its state's flag: a replace or delete acts on it.
    @property
    def protect(self) -> bool:
        return self.old.protect

    @property
    def retain_on_delete(self) -> bool:
        return self.old.retain_on_delete


@dataclass(frozen=True)
class Diagnostic:
    severity: str
    message: str
    urn: str = ""


@dataclass(frozen=True)
class Preview:
    steps: tuple[Step, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    change_summary: Mapping[str, int] | None = None  # None: the document has none (the CLI always writes one)

    def counts(self) -> dict[str, int]:
        """Resources per operation: the CLI's own changeSummary, else counted from the steps."""
        counts = {op: n for op, n in (self.change_summary or {}).items() if n}
        if not counts:
            counts = dict(Counter(s.op for s in self.steps if s.type != STACK_TYPE or s.op != "same"))
        return counts

    @property
    def changed(self) -> list[Step]:
        return [s for s in self.steps if s.op != "same"]


def _excerpt(value: Any) -> str:
    return json.dumps(value)[:200]


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DigestError(f"{where}: expected a list of strings")
    return tuple(value)


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DigestError(f"{where}: expected an object")
    return value


def _state(value: Any, where: str) -> State:
    raw = _object(value, where)
    parent = raw.get("parent") or ""
    if not isinstance(parent, str):
        raise DigestError(f"{where}.parent: expected a URN")
    return State(
        inputs=_object(raw.get("inputs"), f"{where}.inputs"),
        outputs=_object(raw.get("outputs"), f"{where}.outputs"),
        parent=parent,
        dependencies=_strings(raw.get("dependencies"), f"{where}.dependencies"),
        protect=bool(raw.get("protect")),
        retain_on_delete=bool(raw.get("retainOnDelete")),
    )


def _step(raw: Any, index: int) -> Step:
    where = f"steps[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("op"), str) or not isinstance(raw.get("urn"), str):
        raise DigestError(f"{where}: a step needs a string `op` and `urn`: {_excerpt(raw)}")
    detailed = _object(raw.get("detailedDiff"), f"{where}.detailedDiff")
    changes = tuple(
        PropertyChange(path, str(diff.get("kind", "update")) if isinstance(diff, dict) else "update")
        for path, diff in sorted(detailed.items())
    )
    old = _state(raw.get("oldState"), f"{where}.oldState")
    new = _state(raw.get("newState"), f"{where}.newState")
    diff_reasons = _strings(raw.get("diffReasons"), f"{where}.diffReasons")
    replace_reasons = _strings(raw.get("replaceReasons"), f"{where}.replaceReasons")
    urn = parse_urn(raw["urn"])
    if urn is None:
        raise DigestError(f"{where}: {raw['urn']!r} is not a Pulumi URN")
    return Step(
        op=raw["op"],
        urn=raw["urn"],
        stack=urn.stack,
        type=urn.type,
        name=urn.name,
        old=old,
        new=new,
        changes=changes,
        diff_reasons=diff_reasons,
        replace_reasons=replace_reasons,
    )


def parse_preview(text: str) -> Preview:
    """The digest `pulumi preview --json` printed. Text before it (a policy pack being installed, as
    pulumi/pulumi#19775 shows) is skipped; a digest that is missing or malformed is a DigestError."""
    start = re.search(r"^\{", text, re.MULTILINE)
    if start is None:
        raise DigestError("no JSON object found (did `pulumi preview --json` fail before printing one?)")
    try:
        document, _ = json.JSONDecoder().raw_decode(text, start.start())
    except json.JSONDecodeError as exc:
        raise DigestError(f"not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise DigestError("expected a JSON object")
    steps = document.get("steps") or []
    if not isinstance(steps, list):
        raise DigestError(f"steps: expected a list, not {_excerpt(steps)}")
    diagnostics = []
    for index, raw in enumerate(document.get("diagnostics") or []):
        if not isinstance(raw, dict):
            raise DigestError(f"diagnostics[{index}]: expected an object")
        diagnostics.append(
            Diagnostic(
                severity=str(raw.get("severity", "")),
                message=plain(str(raw.get("message", ""))),
                urn=str(raw.get("urn", "")),
            )
        )
    summary = document.get("changeSummary")
    if summary is not None and (not isinstance(summary, dict) or not all(isinstance(n, int) for n in summary.values())):
        raise DigestError("changeSummary: expected an object of counts")
    return Preview(
        steps=tuple(_step(raw, index) for index, raw in enumerate(steps)),
        diagnostics=tuple(diagnostics),
        change_summary=summary,
    )


def read_preview(path: Path) -> Preview:
    """The digest in the file the workflow saved `pulumi preview --json`'s stdout to."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DigestError("cannot read it: no such file (did `pulumi preview --json` run?)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DigestError(f"cannot read it: {exc}") from exc
    return parse_preview(text)
