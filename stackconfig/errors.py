"""Configuration errors that name the stack, the config key, the value and what is allowed."""

import difflib
import re
from collections.abc import Sequence
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError

NAMESPACE = "acs-platform"
# Keys of the model that live outside the project's namespace.
FOREIGN_KEYS = {"location": "azure-native:location", "tenantId": "azure-native:tenantId"}


class ConfigError(pulumi.RunError):
    """A stack's configuration is invalid. Pulumi reports a RunError without a traceback."""

    def __init__(self, stack: str, problems: Sequence[str]):
        self.stack = stack
        self.problems = list(problems)
        count = f"{len(self.problems)} configuration error{'s' if len(self.problems) != 1 else ''}"
        lines = [f"stack {stack!r} (Pulumi.{stack}.yaml) has {count}:"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


def key_path(loc: Sequence[Any]) -> str:
    """('instances', 0, 'dataLocation') -> 'acs-platform:instances[0].dataLocation'."""
    if not loc:
        return f"{NAMESPACE}:"
    head, *rest = loc
    # A key of another namespace (a misspelled one: acs_platform:tier) is shown as it was given.
    path = str(head) if ":" in str(head) else FOREIGN_KEYS.get(str(head), f"{NAMESPACE}:{head}")
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _shown(value: Any) -> str:
    """The offending value followed by a space, or nothing for a list or an object."""
    if isinstance(value, (list, dict)):
        return ""  # the key path says where; a whole list would bury the message
    text = repr(value)
    return (text if len(text) <= 80 else text[:77] + "...") + " "


def _keys_of(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The keys allowed in the object at `loc` inside `model`, by their camelCase names."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = {f.alias or name: f for name, f in current.model_fields.items()}
        current = _model_in(fields[part].annotation)
    keys = [f.alias or name for name, f in current.model_fields.items()]
    return sorted(k for k in keys if not (current is model and k in FOREIGN_KEYS))


def _model_in(annotation: Any) -> Any:
    """The BaseModel inside an annotation such as list[InstanceConfig] or Optional[X]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


_SUBJECTS = {"Input", "String", "List", "Dictionary", "Value"}

# Parts pydantic adds to a location for the member of a union or a validator: `value.float`,
# `values.list[str]`, `function-after[check(), str]`. They say nothing about the stack file.
_INTERNAL = re.compile(r"^(?:str|int|float|bool|none|date|datetime|[a-z-]+\[.*\])$")


def _suggestion(unknown: str, allowed: list[str]) -> str:
    """' (did you mean X?)' for an unknown key close to a known one, or nothing."""
    namespace, colon, name = unknown.partition(":")
    if colon:  # a misspelled namespace: the key it probably meant
        ratio = {ns: difflib.SequenceMatcher(None, namespace.lower(), ns).ratio() for ns in ("azure-native", NAMESPACE)}
        if ratio["azure-native"] > ratio[NAMESPACE]:
            near = difflib.get_close_matches(name, [k.split(":", 1)[1] for k in FOREIGN_KEYS.values()], n=1)
            return f" (did you mean azure-native:{near[0] if near else name}?)"
        near = difflib.get_close_matches(name, allowed, n=1, cutoff=0.75)
        return f" (did you mean {NAMESPACE}:{near[0] if near else name}?)"
    if unknown in FOREIGN_KEYS:
        return f" (did you mean {FOREIGN_KEYS[unknown]}?)"
    lowered = {k.lower(): k for k in allowed}
    near = difflib.get_close_matches(unknown.lower(), list(lowered), n=1, cutoff=0.75)
    return f" (did you mean {lowered[near[0]]}?)" if near else ""


def describe(error: dict[str, Any], model: type[BaseModel], secret_keys: frozenset[str]) -> str:
    """One line for one pydantic error: key path, offending value, what is allowed."""
    loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and _INTERNAL.match(part)))
    path = key_path(loc)
    value = "[secret] " if path.split(".")[0].split("[")[0] in secret_keys else _shown(error.get("input"))
    kind = error["type"]
    if kind == "missing":
        return f"{path}: is required"
    if kind == "extra_forbidden":
        keys = _keys_of(model, loc[:-1])
        hint = _suggestion(str(loc[-1]), keys)
        if ":" in str(loc[-1]):
            return f"{path}: unknown namespace {str(loc[-1]).split(':')[0]!r}{hint}"
        return f"{path}: unknown key{hint}; allowed keys here: {', '.join(keys)}"
    if kind == "literal_error":
        return f"{path}: {value}is not allowed; allowed: {error['ctx']['expected']}"
    if kind == "value_error":
        return f"{path}: {value}{error['msg'].removeprefix('Value error, ')}"
    # pydantic says "Input should be a valid string"; the value shown is that input.
    message = error["msg"].split(" ", 1)[1] if error["msg"].split(" ", 1)[0] in _SUBJECTS else error["msg"]
    return f"{path}: {value}{message}"


def config_error(stack: str, exc: ValidationError, model: type[BaseModel], secret_keys: frozenset[str]) -> ConfigError:
    return ConfigError(stack, [describe(e, model, secret_keys) for e in exc.errors()])
