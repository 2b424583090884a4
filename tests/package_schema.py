"""Checks of the component package's schema, and of a Pulumi YAML program against it.

`any_typed` finds the properties whose type the analyzer could not infer (`pulumi.json#/Any`, or
no type at all). `example_problems` judges a YAML program's use of the package the way Pulumi YAML
would: every type token of the package exists, every property set is an input, every required
input is set, every value is of its input's kind, no output reaches a plain input (schema `plain`:
a value that must be known up front, pulumi/pulumi#6481), and every `${resource.output}` names an
output the resource has.
"""

import re
from collections.abc import Iterator
from typing import Any

ANY = "pulumi.json#/Any"
TYPE_REF = "#/types/"
_EXPRESSION = re.compile(r"\$\{([^}]*)\}")
_ROOT = re.compile(r"^([^.\[]+)")
# Values that are known when the program starts: config and the `pulumi` variables.
_PULUMI_VARIABLES = {"pulumi"}


# --- properties without a concrete type -------------------------------------------------------


def _property_paths(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for token, resource in schema.get("resources", {}).items():
        for section in ("inputProperties", "properties"):
            for name, prop in resource.get(section, {}).items():
                yield f"resources.{token}.{section}.{name}", prop
    for token, complex_type in schema.get("types", {}).items():
        for name, prop in complex_type.get("properties", {}).items():
            yield f"types.{token}.properties.{name}", prop


def _untyped(prop: dict[str, Any], path: str) -> Iterator[str]:
    if prop.get("$ref") == ANY:
        yield f"{path}: Any"
    elif "$ref" not in prop and "type" not in prop:
        yield f"{path}: no type"
    for nested in ("items", "additionalProperties"):
        if nested in prop:
            yield from _untyped(prop[nested], f"{path}.{nested}")


def any_typed(schema: dict[str, Any]) -> list[str]:
    """Each property path (`resources.<token>.inputProperties.<name>[.items|.additionalProperties]`,
    or `types.<token>.properties.<name>...`) typed Any or untyped, with which."""
    return [problem for path, prop in _property_paths(schema) for problem in _untyped(prop, path)]


# --- a Pulumi YAML program against the schema -------------------------------------------------


class _Program:
    def __init__(self, program: dict[str, Any], schema: dict[str, Any]):
        self.schema = schema
        self.package = schema["name"]
        self.resources: dict[str, Any] = program.get("resources") or {}
        self.variables: dict[str, Any] = program.get("variables") or {}
        self.config: dict[str, Any] = program.get("config") or {}
        self.problems: list[str] = []

    # What an expression is: (is it an output?, its schema kind or None when not known).

    def reference(self, expression: str, where: str) -> tuple[bool, dict[str, Any] | None]:
        match = _ROOT.match(expression.strip())
        root = match.group(1) if match else ""
        rest = expression.strip()[len(root) :]
        if root in _PULUMI_VARIABLES:
            return False, {"type": "string"}
        if root in self.config:
            declared = self.config[root]
            kind = declared.get("type") if isinstance(declared, dict) else None
            return False, ({"type": kind} if kind in ("string", "integer", "boolean") else None)
        if root in self.variables:
            is_output, kind = self.value(self.variables[root], f"variables.{root}")
            return is_output, kind if not rest else None
        if root in self.resources:
            return True, self.resource_output(root, rest, where)
        self.problems.append(f"{where}: ${{{expression}}} names no resource, variable or config key")
        return False, None

    def resource_output(self, name: str, rest: str, where: str) -> dict[str, Any] | None:
        token = (self.resources[name] or {}).get("type", "")
        if not token.startswith(f"{self.package}:") or not rest:
            return None
        output = re.match(r"^\.([A-Za-z_][A-Za-z0-9_]*)", rest)
        if not output:
            return None
        prop_name = output.group(1)
        properties = self.schema.get("resources", {}).get(token, {}).get("properties", {})
        if prop_name in ("urn", "id"):
            return {"type": "string"}
        if prop_name not in properties:
            self.problems.append(f"{where}: {name} ({token}) has no output {prop_name!r}")
            return None
        return properties[prop_name] if rest == f".{prop_name}" else None

    def value(self, value: Any, where: str) -> tuple[bool, dict[str, Any] | None]:
        """Whether `value` is an output, and its kind when an expression decides it."""
        if isinstance(value, str):
            expressions = _EXPRESSION.findall(value)
            if not expressions:
                return False, None
            results = [self.reference(e, where) for e in expressions]
            is_output = any(is_out for is_out, _ in results)
            if _EXPRESSION.fullmatch(value):
                return is_output, results[0][1]
            return is_output, {"type": "string"}
        if isinstance(value, dict) and len(value) == 1 and next(iter(value)).startswith("fn::"):
            function, argument = next(iter(value.items()))
            is_output, kind = self.value(argument, where)
            if function == "fn::secret":
                return True, kind
            if function in ("fn::invoke",):
                return True, None
            if function in ("fn::join", "fn::toJSON", "fn::toBase64", "fn::fromBase64"):
                return is_output, {"type": "string"}
            self.problems.append(f"{where}: {function} is not understood by this check; keep the example to literals")
            return is_output, None
        if isinstance(value, dict):
            results = [self.value(v, f"{where}.{k}") for k, v in value.items()]
            return any(is_out for is_out, _ in results), None
        if isinstance(value, list):
            results = [self.value(v, f"{where}[{i}]") for i, v in enumerate(value)]
            return any(is_out for is_out, _ in results), None
        return False, None

    # Checking a value against an input property.

    def complex_type(self, ref: str) -> dict[str, Any] | None:
        if not ref.startswith(TYPE_REF):
            return None
        return self.schema.get("types", {}).get(ref[len(TYPE_REF) :])

    def check(self, value: Any, prop: dict[str, Any], where: str) -> None:
        is_output, kind = self.value(value, where)
        if is_output and prop.get("plain"):
            self.problems.append(f"{where}: is plain (a value known up front) but gets an output")
        if kind is not None:
            self.same_kind(kind, prop, where)
            return
        if isinstance(value, str) and _EXPRESSION.search(value):
            return  # an interpolation whose kind only the running program knows
        if isinstance(value, dict) and len(value) == 1 and next(iter(value)).startswith("fn::"):
            return
        self.literal(value, prop, where)

    def same_kind(self, kind: dict[str, Any], prop: dict[str, Any], where: str) -> None:
        expected, given = _kind_name(prop, self), _kind_name(kind, self)
        if "any" in (expected, given) or expected == given or (expected, given) == ("number", "integer"):
            return
        self.problems.append(f"{where}: a {given} where the input takes a {expected}")

    def literal(self, value: Any, prop: dict[str, Any], where: str) -> None:
        ref = prop.get("$ref")
        if ref == ANY:
            return
        if ref:
            complex_type = self.complex_type(ref)
            if complex_type is None:
                self.problems.append(f"{where}: refers to {ref}, which the schema does not define")
                return
            if complex_type.get("enum"):
                allowed = [member["value"] for member in complex_type["enum"]]
                if value not in allowed:
                    self.problems.append(f"{where}: {value!r} is not one of {allowed}")
                return
            self.object(value, complex_type.get("properties", {}), complex_type.get("required", []), where)
            return
        kind = prop.get("type")
        scalar = {"string": str, "boolean": bool}
        if kind in scalar:
            if not isinstance(value, scalar[kind]):
                self.problems.append(f"{where}: {value!r} is not a {kind}")
        elif kind in ("integer", "number"):
            numeric = (int,) if kind == "integer" else (int, float)
            if isinstance(value, bool) or not isinstance(value, numeric):
                self.problems.append(f"{where}: {value!r} is not {'an integer' if kind == 'integer' else 'a number'}")
        elif kind == "array":
            if not isinstance(value, list):
                self.problems.append(f"{where}: {value!r} is not a list")
                return
            for i, item in enumerate(value):
                self.check(item, prop.get("items", {}), f"{where}[{i}]")
        elif kind == "object":
            if not isinstance(value, dict):
                self.problems.append(f"{where}: {value!r} is not a mapping")
                return
            for key, item in value.items():
                self.check(item, prop.get("additionalProperties", {"$ref": ANY}), f"{where}.{key}")
        else:
            self.problems.append(f"{where}: the input has no type this check knows ({prop})")

    def object(self, value: Any, properties: dict[str, Any], required: list[str], where: str) -> None:
        if not isinstance(value, dict):
            self.problems.append(f"{where}: {value!r} is not a mapping")
            return
        for key, item in value.items():
            if key not in properties:
                self.problems.append(f"{where}: {key!r} is not one of its properties {sorted(properties)}")
            else:
                self.check(item, properties[key], f"{where}.{key}")
        for key in required:
            if key not in value:
                self.problems.append(f"{where}: required {key!r} is missing")

    def run(self) -> list[str]:
        for name, resource in self.resources.items():
            token = (resource or {}).get("type", "")
            if not token.startswith(f"{self.package}:"):
                continue
            spec = self.schema.get("resources", {}).get(token)
            if spec is None:
                self.problems.append(f"resources.{name}: {token} is not a resource of the package")
                continue
            self.object(
                (resource or {}).get("properties") or {},
                spec.get("inputProperties", {}),
                spec.get("requiredInputs", []),
                f"resources.{name}.properties",
            )
        return self.problems


def _kind_name(prop: dict[str, Any], program: _Program) -> str:
    ref = prop.get("$ref")
    if ref == ANY:
        return "any"
    if ref:
        complex_type = program.complex_type(ref)
        return (complex_type or {}).get("type", "object") if complex_type and complex_type.get("enum") else "object"
    return prop.get("type", "any")


def example_problems(program: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """What is wrong in `program` (a parsed Pulumi YAML Pulumi.yaml) for the package `schema`."""
    return _Program(program, schema).run()


def package_resources(program: dict[str, Any], package: str) -> dict[str, str]:
    """The program's resources of `package`: name to type token."""
    return {
        name: resource["type"]
        for name, resource in (program.get("resources") or {}).items()
        if (resource or {}).get("type", "").startswith(f"{package}:")
    }
