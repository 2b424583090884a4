"""Stack files read, and edited, the way the Pulumi CLI reads them.

Stack files are read the way the Pulumi CLI reads them: Go's yaml.v3 (YAML 1.2 core schema)
decoding into `config.Map`, then `config.Value` turning each value into the text the program gets.
ruamel.yaml parses the file (YAML 1.2, with line numbers); each plain scalar is then resolved by
yaml.v3's own rules (gopkg.in/yaml.v3 v3.0.1 `resolve.go`, `decode.go`), not by ruamel's, because
the two differ on dates and on 1.1-style octals:

- only `true`/`True`/`TRUE` and `false`/`False`/`FALSE` are booleans: `yes`, `no`, `on`, `off` are
  strings, as keys too;
- an unquoted valid timestamp (`2026-01-01`) decodes to a Go `time.Time`, which Pulumi's config
  object turns into its Go text (`2026-01-01 00:00:00 +0000 UTC`); an impossible one
  (`2026-13-01`) stays the string it is;
- a mapping key given twice is an error naming both lines;
- a value that is an object holding a `{secure: ...}` anywhere inside makes the whole key secret
  (`object.Secure()`); strings reach the program as they are, everything else as Go's JSON text.
"""

import base64
import json
import math
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# What a `secure:` value becomes offline: preflight has no key to decrypt it, and needs none.
SECRET_PLACEHOLDER = "[secret]"


class StackFileError(Exception):
    """The project or stack files cannot be used; the message says which file and why."""


# --- reading YAML as yaml.v3 does -------------------------------------------------------------


class _GoTime(str):
    """An unquoted timestamp, as the Go text of the `time.Time` yaml.v3 decodes it to."""


class _Secure:
    """A `{secure: <ciphertext>}` value: Pulumi's encrypted config string."""

    __slots__ = ()


SECURE = _Secure()

_YAML12 = YAML(typ="rt", pure=True)
_YAML12.version = (1, 2)


def _text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StackFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise StackFileError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise StackFileError(f"{path}: cannot be read: {exc.strerror}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # the CLI strips a UTF-8 byte order mark
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise StackFileError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
            "Pulumi reads stack files as UTF-8: save it as UTF-8"
        ) from None


def _compose(path: Path) -> Node | None:
    text = _text(path)
    try:
        # yaml.v3's Unmarshal reads the first document of the stream.
        return next(iter(_YAML12.compose_all(text)), None)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise StackFileError(f"{path}: not valid YAML{where}: {exc.problem or exc.context}") from None
    except YAMLError as exc:
        raise StackFileError(f"{path}: not valid YAML: {exc}") from None


_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = {"", "~", "null", "Null", "NULL"}
_SPECIAL_FLOATS = {
    **dict.fromkeys([".nan", ".NaN", ".NAN"], math.nan),
    **dict.fromkeys([".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"], math.inf),
    **dict.fromkeys(["-.inf", "-.Inf", "-.INF"], -math.inf),
}
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_GO_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+\.?[0-9]*)([eE][-+]?[0-9]+)?|[-+]?(inf|infinity|nan)", re.I)
# yaml.v3 allowedTimestampFormats, as Go's time.Parse reads them ("2006-1-2T15:4:5.999999999Z07:00",
# the same with "t", "2006-1-2 15:4:5.999999999", "2006-1-2").
_TIMESTAMP = re.compile(
    r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
    r"(?:(?:(?P<t>[Tt])|(?P<sp> ))(?P<H>[0-9]{1,2}):(?P<M>[0-9]{1,2}):(?P<S>[0-9]{1,2})"
    r"(?:[.,](?P<f>[0-9]+))?(?P<z>Z|[-+][0-9]{2}:[0-9]{2})?)?"
)
_INT64 = (-(2**63), 2**63 - 1)


def _go_timestamp(text: str) -> str | None:
    """The Go text (`time.Time.String()`) of a timestamp yaml.v3 resolves, or None if it is none."""
    match = _TIMESTAMP.fullmatch(text)
    if not match:
        return None
    parts = match.groupdict()
    # "T"/"t" formats need a zone; the space format has none; the date format has no time.
    if (parts["t"] and not parts["z"]) or (parts["sp"] and parts["z"]):
        return None
    try:
        when = datetime(int(parts["y"]), int(parts["m"]), int(parts["d"]), int(parts["H"] or 0), int(parts["M"] or 0))
        seconds = int(parts["S"] or 0)
        if seconds > 59:
            return None
    except ValueError:
        return None  # an impossible date or time: yaml.v3 keeps the text
    nanos = int((parts["f"] or "0")[:9].ljust(9, "0"))
    zone = parts["z"] or "Z"
    offset = 0 if zone == "Z" else (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 60 + int(zone[4:6]))
    when = when.replace(second=seconds, tzinfo=timezone(timedelta(minutes=offset)))
    fraction = f".{nanos:09d}".rstrip("0") if nanos else ""
    sign = "-" if offset < 0 else "+"
    numeric = f"{sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
    # Go names the zone UTC for "Z"; an offset not of the local zone gets a fabricated zone named by
    # the offset itself (what the CLI prints on a UTC machine, such as a CI runner).
    name = "UTC" if zone == "Z" else numeric
    return f"{when:%Y-%m-%d %H:%M:%S}{fraction} {numeric} {name}"


def _go_int(text: str) -> int | None:
    """Go's strconv.ParseInt/ParseUint with base 0, after yaml.v3 removed the underscores."""
    sign, body = (text[0], text[1:]) if text[:1] in "+-" else ("", text)
    lowered = body.lower()
    for prefix, base, digits in (("0x", 16, "0123456789abcdef"), ("0o", 8, "01234567"), ("0b", 2, "01")):
        if lowered.startswith(prefix):
            body, radix, allowed = lowered[2:], base, digits
            break
    else:
        if len(body) > 1 and body.startswith("0"):  # YAML 1.1 octal, which yaml.v3 still decodes
            body, radix, allowed = body[1:], 8, "01234567"
        else:
            radix, allowed = 10, "0123456789"
    if not body or any(c not in allowed for c in body.lower()):
        return None
    value = int(body, radix) * (-1 if sign == "-" else 1)
    if _INT64[0] <= value <= _INT64[1] or (sign != "-" and 0 <= value < 2**64):
        return value
    return None


def _resolve_plain(text: str) -> Any:
    """yaml.v3 `resolve("", text)`: what an unquoted, untagged scalar decodes to."""
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    first = text[0]
    if first == ".":
        if _GO_FLOAT.fullmatch(text):
            return float(text)
    elif first in "+-0123456789":
        when = _go_timestamp(text)
        if when is not None:
            return _GoTime(when)
        plain = text.replace("_", "")
        number = _go_int(plain)
        if number is not None:
            return number
        if _YAML_FLOAT.fullmatch(plain):
            return float(plain)
    return text


_TAG = "tag:yaml.org,2002:"


def _scalar(node: ScalarNode, path: Path) -> Any:
    if node.style in ("'", '"', "|", ">"):
        return node.value  # quoted or a block: always a string
    explicit = node.ctag.handle is not None
    if not explicit:
        return _resolve_plain(node.value)
    tag = str(node.tag)
    if tag == _TAG + "str":
        return node.value
    if tag == _TAG + "binary":
        try:
            return base64.b64decode("".join(node.value.split()), validate=True).decode("utf-8", "replace")
        except ValueError:
            raise StackFileError(f"{path}: line {node.start_mark.line + 1}: !!binary value is not base64") from None
    if not tag.startswith(_TAG):
        return node.value  # a tag of the user's own: the text, as yaml.v3 decodes it
    value = _resolve_plain(node.value)
    kind = tag[len(_TAG) :]
    fits = {
        "null": value is None,
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "timestamp": isinstance(value, _GoTime),
    }
    if kind in fits:
        if not fits[kind]:
            raise StackFileError(f"{path}: line {node.start_mark.line + 1}: cannot decode {node.value!r} as !!{kind}")
        return float(value) if kind == "float" else value
    return node.value


def _is_merge(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.value == "<<" and node.style is None


def _mapping_items(node: MappingNode, path: Path) -> Iterator[tuple[Node, Node]]:
    """A mapping's entries; a key given twice is an error naming both lines, as in yaml.v3."""
    seen: dict[tuple[str, str], Node] = {}
    for key, _ in node.value:
        if isinstance(key, ScalarNode) and not _is_merge(key):
            first = seen.setdefault(("scalar", key.value), key)
            if first is not key:
                raise StackFileError(
                    f"{path}: key {key.value!r} is given twice, on line {first.start_mark.line + 1} and on line "
                    f"{key.start_mark.line + 1}; Pulumi refuses a repeated key: keep one"
                )
    merged: list[tuple[Node, Node]] = []
    for key, value in node.value:
        if _is_merge(key):
            sources = value.value if isinstance(value, SequenceNode) else [value]
            for source in sources:
                if not isinstance(source, MappingNode):
                    raise StackFileError(f"{path}: line {key.start_mark.line + 1}: '<<' needs a mapping to merge")
                merged.extend(_mapping_items(source, path))
        else:
            yield key, value
    own = {k.value for k, _ in node.value if isinstance(k, ScalarNode)}
    for key, value in merged:
        if not isinstance(key, ScalarNode) or key.value not in own:
            own.add(key.value)
            yield key, value


def _key_text(value: Any) -> str:
    """Pulumi's config object names a non-string key by Go's `%v` of it."""
    if isinstance(value, str):
        return value
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_json_float(value, json_text=False)
    return str(value)


def _value(node: Node, path: Path, depth: int = 0) -> Any:
    """A node as Pulumi's config object holds it: `{secure: ...}` becomes SECURE."""
    if depth > 100:
        raise StackFileError(f"{path}: nested too deeply (a recursive alias?)")
    if isinstance(node, ScalarNode):
        return _scalar(node, path)
    if isinstance(node, SequenceNode):
        return [_value(item, path, depth + 1) for item in node.value]
    if isinstance(node, MappingNode):
        items = {_key_text(_value(k, path, depth + 1)): v for k, v in _mapping_items(node, path)}
        if set(items) == {"secure"} and isinstance(_value(items["secure"], path, depth + 1), str):
            return SECURE
        return {key: _value(v, path, depth + 1) for key, v in items.items()}
    raise StackFileError(f"{path}: unexpected YAML node {node!r}")


def read_yaml(path: Path) -> Any:
    """The first document of a YAML file as yaml.v3 and Pulumi's config object decode it."""
    node = _compose(path)
    return None if node is None else _value(node, path)


# --- what the CLI hands the program -----------------------------------------------------------


def _go_json_float(value: float, json_text: bool = True) -> str:
    """Go's encoding/json text of a float64 (strconv 'f' from 1e-6 to 1e21, else 'e')."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{value} cannot be passed to the program (JSON has no {value})")
    size = abs(value)
    if size == 0 or 1e-6 <= size < 1e21 or not json_text and size < 1e21:
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    text = repr(value)
    return re.sub(r"e-0(\d)$", r"e-\1", text) if json_text else text


def _go_json(value: Any) -> str:
    """Go's json.Marshal of a config object: keys sorted, no spaces, <, > and & escaped."""
    if value is SECURE:
        return json.dumps(SECRET_PLACEHOLDER)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_json_float(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028")):
            text = text.replace(char, escape)
        return text.replace("\u2029", "\\u2029")
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    if isinstance(value, list):
        return "[" + ",".join(_go_json(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_go_json(str(k))}:{_go_json(v)}" for k, v in sorted(value.items())) + "}"
    raise TypeError(f"{value!r} is not a value a stack file can hold")


def contains_secure(value: Any) -> bool:
    if value is SECURE:
        return True
    if isinstance(value, dict):
        return any(contains_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secure(v) for v in value)
    return False


def as_cli_value(value: Any) -> str:
    """The text the CLI passes the program for a config value (`config.Value`): strings as they are,
    everything else as Go's JSON, which `require_object`/`get_bool`/`get_int` parse; a secure value,
    anywhere in it, as the offline placeholder."""
    if value is SECURE:
        return SECRET_PLACEHOLDER
    if isinstance(value, str):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return _go_json(value)


# --- editing a stack file, as `pulumi config set` does ----------------------------------------


class _Timestamp(str):
    """An unquoted timestamp kept as the text it is, written back unquoted."""


def round_trip() -> YAML:
    """ruamel's round-trip loader and dumper (YAML 1.2 by default): comments, quoting, order and indentation kept;
    timestamps kept as their text (an impossible date like 2026-13-01 must not fail the edit)."""
    editor = YAML(typ="rt", pure=True)
    editor.preserve_quotes = True
    editor.width = 4096
    editor.indent(mapping=2, sequence=4, offset=2)
    timestamp = "tag:yaml.org,2002:timestamp"
    editor.constructor.add_constructor(timestamp, lambda loader, node: _Timestamp(node.value))
    editor.representer.add_representer(_Timestamp, lambda dumper, data: dumper.represent_scalar(timestamp, str(data)))
    return editor


def edit_stack_file(source: Path, target: Path, change) -> None:
    """Writes `source` to `target` with `change(config)` applied to its `config` mapping."""
    read_yaml(source)  # refuses what the CLI refuses (duplicate keys, not UTF-8) before editing
    editor = round_trip()
    document = editor.load(_text(source))
    if document is None:
        document = {}
    if document.get("config") is None:
        document["config"] = {}
    change(document["config"])
    with target.open("w", encoding="utf-8") as out:
        editor.dump(document, out)
