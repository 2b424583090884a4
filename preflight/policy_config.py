"""A stack's policy config file, resolved the way the Pulumi CLI resolves it for `--policy-pack-config`.

The file is Pulumi's format: `{"all": "mandatory", "<policy>": {"enforcementLevel": "advisory",
...properties}}`. Resolution follows the CLI's ReconcilePolicyPackConfig: each policy starts from
its own level and its schema's defaults, then the pack's initial config, then the file (`all`
first, a policy's own entry last); the result is validated against each policy's schema. The
enforcement itself stays in pulumi_policy's analyzer, which receives the result in `Configure`.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from jsonschema import Draft7Validator
from pulumi.runtime.proto import analyzer_pb2

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
LEVEL_NAMES = {getattr(analyzer_pb2, level.upper()): level for level in LEVELS}
LEVEL_VALUES = {level: value for value, level in LEVEL_NAMES.items()}


class PolicyConfigError(Exception):
    """The policy config file cannot be used; the message names the file, the key and why."""


@dataclass(frozen=True)
class PolicySetting:
    enforcement_level: str | None
    properties: dict[str, Any]


def _entry(path: Path, key: str, value: Any) -> PolicySetting:
    if isinstance(value, str):
        value = {"enforcementLevel": value}
    if not isinstance(value, dict):
        raise PolicyConfigError(f"{path}: {key!r}: {value!r} is not valid; it must be a string or an object")
    properties = dict(value)
    level = properties.pop("enforcementLevel", None)
    if level is not None and level not in LEVELS:
        raise PolicyConfigError(f"{path}: {key!r}: {level!r} is not an enforcement level; allowed: {', '.join(LEVELS)}")
    return PolicySetting(level, properties)


def load_policy_config(path: Path) -> dict[str, PolicySetting]:
    try:
        document = json.loads(path.read_text(encoding="utf-8") or "{}")
    except FileNotFoundError:
        raise PolicyConfigError(f"{path}: no such policy config file") from None
    except json.JSONDecodeError as exc:
        raise PolicyConfigError(f"{path}: not valid JSON: {exc}") from None
    return parse_policy_config(document, path)


def parse_policy_config(document: Any, path: Path) -> dict[str, PolicySetting]:
    """The settings of a policy config document, as read from `path`."""
    if not isinstance(document, dict):
        raise PolicyConfigError(f"{path}: must be a JSON object of policy names")
    return {key: _entry(path, key, value) for key, value in document.items()}


def _schema(policy: analyzer_pb2.PolicyInfo) -> dict[str, Any]:
    schema = json_format.MessageToDict(policy.configSchema)
    properties = dict(schema.get("properties", {}))
    properties["enforcementLevel"] = {"type": "string", "enum": list(LEVELS)}  # as the CLI injects it
    return {"type": "object", "properties": properties, "required": schema.get("required", [])}


def _apply(result: dict[str, PolicySetting], given: dict[str, PolicySetting]) -> None:
    everything = given.get("all")
    if everything is not None and everything.enforcement_level is not None:
        for name, setting in result.items():
            result[name] = PolicySetting(everything.enforcement_level, setting.properties)
    for name, setting in given.items():
        if name == "all":
            continue
        current = result[name]
        result[name] = PolicySetting(
            setting.enforcement_level or current.enforcement_level, {**current.properties, **setting.properties}
        )


def reconcile(info: analyzer_pb2.AnalyzerInfo, given: dict[str, PolicySetting], path: Path) -> dict[str, PolicySetting]:
    """Every policy's enforcement level and properties, as `Configure` receives them."""
    policies = sorted(info.policies, key=lambda p: p.name)
    unknown = sorted(set(given) - {p.name for p in policies} - {"all"})
    if unknown:
        # The CLI passes unknown names on and they do nothing: a typo would silently not apply.
        names = ", ".join(p.name for p in policies)
        raise PolicyConfigError(f"{path}: unknown policies {', '.join(unknown)}; policies in the pack: {names}")
    result = {
        p.name: PolicySetting(
            LEVEL_NAMES[p.enforcementLevel],
            {k: v["default"] for k, v in _schema(p)["properties"].items() if "default" in v},
        )
        for p in policies
    }
    initial = {
        name: PolicySetting(LEVEL_NAMES[c.enforcementLevel], json_format.MessageToDict(c.properties))
        for name, c in info.initialConfig.items()
    }
    _apply(result, initial)
    _apply(result, given)
    problems = [
        f"{p.name}: {error.message}"
        for p in policies
        for error in Draft7Validator(_schema(p)).iter_errors(result[p.name].properties)
    ]
    if problems:
        raise PolicyConfigError(f"{path}: " + "; ".join(problems))
    return result


def configure_request(settings: dict[str, PolicySetting]) -> analyzer_pb2.ConfigureAnalyzerRequest:
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, setting in settings.items():
        config = request.policyConfig[name]
        config.enforcementLevel = LEVEL_VALUES[setting.enforcement_level]
        config.properties.update(setting.properties)
    return request
