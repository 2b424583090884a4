"""The resource options that adopt an existing resource (`acs-platform:adopt`, docs/adoption.md).

An adopted resource is declared as any other, with Pulumi's `import` option and its Azure id: the first
`pulumi up` reads it and takes it into the state instead of creating it. Pulumi imports only a resource
whose inputs in the program equal what Azure has, property by property, or it fails the `up`
("inputs to import do not match the existing resource"). Two kinds of property differ without anything
being wrong, and are left as Azure has them for the import (`ignore_changes`):

- what the stack adds to every resource and an existing one cannot have yet: its standard tags, and a
  system topic's identity (`as_is`); the next `up` sets them;
- what the stack does not set at all, and Azure filled in when the resource was made (a webhook's batch
  size, a subscription's labels): azure-native reads every property Azure returns, so each one the
  program leaves unset would differ. They are found from the resource's own inputs, at every depth.

The stack file `python -m preflight adopt` writes describes everything the stack does set as it is.
"""

import inspect
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi import _types

from stackconfig.adoption import adoption_key

# Taggable resources: the stack's tags (environment, owner, cost-center, managed-by) are new to them.
AS_IS_TAGGED = ("tags",)


def _camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m[1].upper(), name)


def unset_inputs(values: Mapping[str, Any], names: Mapping[str, str], prefix: str = "") -> list[str]:
    """The property paths of the inputs `names` (Python name -> property name) that `values` (Python names)
    leaves unset, and those unset inside the input objects it sets (`a.b`). Lists are not entered: a list
    the program sets is compared whole."""
    found = []
    for python_name, property_name in names.items():
        value = values.get(python_name)
        path = f"{prefix}{property_name}"
        if value is None:
            found.append(path)
        elif _types.is_input_type(type(value)):
            fields = _types.input_type_py_to_pulumi_names(type(value))
            found += unset_inputs(vars(value), fields, f"{path}.")
    return found


def _input_names(resource: pulumi.Resource) -> dict[str, str]:
    """A resource's inputs, Python name -> property name, from its constructor."""
    parameters = inspect.signature(type(resource)._internal_init).parameters  # type: ignore[attr-defined]
    return {p: _camel(p) for p in parameters if p not in ("__self__", "resource_name", "opts", "__props__")}


def _from_azure_where_unset(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
    opts = args.opts._copy()
    ignored = list(opts.ignore_changes or [])
    covered = lambda path: any(path == kept or path.startswith(f"{kept}.") for kept in ignored)  # noqa: E731
    opts.ignore_changes = ignored + [
        path for path in unset_inputs(args.props, _input_names(args.resource)) if not covered(path)
    ]
    return pulumi.ResourceTransformationResult(args.props, opts)


class Adoption:
    """The ids of the existing resources a component takes over, by their adoption keys."""

    def __init__(self, ids: Sequence[str] = ()):
        self._ids = {adoption_key(resource_id): resource_id for resource_id in ids}

    def options(self, key: str, *, as_is: Sequence[str] = (), ignore_changes: Sequence[str] = ()) -> dict[str, Any]:
        """The resource options of the resource `key` (a `stackconfig.adoption` key): when it is adopted,
        its import, with `as_is` and what the program leaves unset left as Azure has them; otherwise only
        `ignore_changes`."""
        resource_id = self._ids.get(key)
        if resource_id is None:
            return {"ignore_changes": list(ignore_changes)} if ignore_changes else {}
        return {
            "import_": resource_id,  # as Azure spells it: the id `adopt` read
            "ignore_changes": [*ignore_changes, *as_is],
            "transformations": [_from_azure_where_unset],
        }
