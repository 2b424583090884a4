"""The acs-platform component package: `AcsInstance` and `SharedInfrastructure` for any Pulumi program.

`pulumi package add github.com/<org>/acs-platform/component_package` makes Pulumi run this folder's
`__main__.py`, which calls `serve()`: Pulumi's `component_provider_host` hosts the components and
infers the package schema from their typed args and output annotations. Importing this module
starts nothing; `python -m component_package.schema` prints the schema offline.
docs/component-package.md says more.
"""

import json
from typing import Any

import pulumi
from pulumi.provider.experimental import component_provider_host
from pulumi.provider.experimental.component import ComponentProvider

NAME = "acs-platform"
"""The package name, the first part of every type token (`acs-platform:index:AcsInstance`)."""

NAMESPACE = "contoso"
"""Names the generated SDKs (`@contoso/acs-platform`, `contoso_acs_platform`) and the folder
`pulumi package add` writes them to (`sdks/contoso-acs-platform`); without one they would be
named as Pulumi's own (`@pulumi/acs-platform`, `pulumi_acs_platform`)."""

VERSION = "0.1.0"
"""The version the plugin reports: keep it equal to the release tag (`v0.1.0`) consumers pin, else
Pulumi warns that the plugin "is expected to have version >=<tag>"."""


def components() -> list[type[pulumi.ComponentResource]]:
    """The components the package hosts; the type token of each is `acs-platform:index:<class name>`."""
    # >>> the real components: imported here, at call time, so importing this module stays cheap.
    from components.acs_instance import AcsInstance
    from components.shared import SharedInfrastructure

    return [AcsInstance, SharedInfrastructure]


def serve(hosted: list[type[pulumi.ComponentResource]] | None = None) -> None:
    """Host the components as Pulumi's component provider: serve gRPC until the engine stops it.

    The engine's address and flags are read from `sys.argv`, as Pulumi passes them."""
    component_provider_host(components() if hosted is None else hosted, name=NAME, namespace=NAMESPACE, version=VERSION)


def inferred_schema(hosted: list[type[pulumi.ComponentResource]] | None = None) -> dict[str, Any]:
    """The package schema, inferred the way `serve` infers it, without serving anything."""
    provider = ComponentProvider(components() if hosted is None else hosted, NAME, NAMESPACE, VERSION)
    return json.loads(provider.schema or "{}")
