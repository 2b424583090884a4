"""Configuration errors that name the stack, the config key, the value and what is allowed."""

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
    path = FOREIGN_KEYS.get(str(head), f"{NAMESPACE}:{head}")
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


def describe(error: dict[str, Any], model: type[BaseModel], secret_keys: frozenset[str]) -> str:
    """One line for one pydantic error: key path, offending value, what is allowed."""
    loc = error["loc"]
    path = key_path(loc)
    value = "[secret] " if path.split(".")[0].split("[")[0] in secret_keys else _shown(error.get("input"))
    kind = error["type"]
    if kind == "missing":
        return f"{path}: is required"
    if kind == "extra_forbidden":
        allowed = ", ".join(_keys_of(model, loc[:-1]))
        return f"{path}: unknown key; allowed keys here: {allowed}"
    if kind == "literal_error":
        return f"{path}: {value}is not allowed; allowed: {error['ctx']['expected']}"
    if kind == "value_error":
        return f"{path}: {value}{error['msg'].removeprefix('Value error, ')}"
    # pydantic says "Input should be a valid string"; the value shown is that input.
    message = error["msg"].split(" ", 1)[1] if error["msg"].split(" ", 1)[0] in _SUBJECTS else error["msg"]
    return f"{path}: {value}{message}"


def config_error(stack: str, exc: ValidationError, model: type[BaseModel], secret_keys: frozenset[str]) -> ConfigError:
    return ConfigError(stack, [describe(e, model, secret_keys) for e in exc.errors()])
