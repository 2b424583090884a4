"""The Pulumi project on disk: its name, its stacks, and a stack's configuration as the CLI passes it."""

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

# What a `secure:` value becomes offline: preflight has no key to decrypt it, and needs none.
SECRET_PLACEHOLDER = "[secret]"


class StackFileError(Exception):
    """The project or stack files cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class Project:
    root: Path  # where Pulumi.yaml and the program are
    name: str
    stacks_dir: Path  # where the Pulumi.<stack>.yaml files are: the root, or a folder of test stacks

    @property
    def stacks(self) -> list[str]:
        return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in self.stacks_dir.glob("Pulumi.*.yaml"))

    def stack_file(self, stack: str) -> Path:
        return self.stacks_dir / f"Pulumi.{stack}.yaml"


@dataclass(frozen=True)
class StackSettings:
    """A stack's configuration as the Pulumi CLI hands it to the program."""

    values: dict[str, str]
    secret_keys: list[str]


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StackFileError(f"{path}: no such file") from None
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path}: not valid YAML: {exc}") from None


def load_project(root: Path, stacks_dir: Path | None = None) -> Project:
    manifest = _read_yaml(root / "Pulumi.yaml")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("name"), str):
        raise StackFileError(f"{root / 'Pulumi.yaml'}: needs a 'name'")
    return Project(root=root, name=manifest["name"], stacks_dir=stacks_dir or root)


def as_cli_value(value: Any) -> str:
    """The CLI passes strings as they are and everything else as JSON: `require_object` parses it.
    An unquoted YAML date reaches the program as its text, as the CLI's YAML reader keeps it."""
    return value if isinstance(value, str) else json.dumps(value, default=_as_text)


def _as_text(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{value!r} is not a value a stack file can hold")


def load_stack_settings(project: Project, stack: str) -> StackSettings:
    if stack not in project.stacks:
        present = ", ".join(project.stacks) or "none"
        raise StackFileError(f"unknown stack {stack!r}; stacks in {project.stacks_dir}: {present}")
    document = _read_yaml(project.stack_file(stack)) or {}
    config = (document.get("config") or {}) if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise StackFileError(f"{project.stack_file(stack)}: 'config' must be a mapping of keys to values")
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        # A key without a namespace belongs to the project, as in the CLI.
        full_key = key if ":" in key else f"{project.name}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[full_key] = SECRET_PLACEHOLDER
            secret_keys.append(full_key)
        else:
            values[full_key] = as_cli_value(value)
    return StackSettings(values=values, secret_keys=secret_keys)
