"""Diagnostic settings: which resource each one watches, and whether it sends the logs asked for.

A setting watches the resource its `resourceUri` comes from: the property dependency is known in
every preview, where the id itself is not. Entries only a deployment can show count as sending,
so a preview never reports what it cannot see.
"""

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from .resource_types import DIAGNOSTIC_SETTING
from .support import UNKNOWN, known, of_type, targeting

# The category groups the "Enable logging by category group ... to Log Analytics" built-ins deploy,
# one per assignment (parameter categoryGroup: audit, the default, or allLogs). Each built-in's
# existenceCondition is met only by a setting with the assigned group's shape and the assigned
# workspace; the rules accept either group, and the README says with which parameters the two agree.
DIAGNOSTIC_GROUPS = ("allLogs", "audit")


def _entries(value: Any) -> list[Mapping[str, Any]] | object:
    """The log entries of a setting, or UNKNOWN when a preview cannot list them."""
    if value is UNKNOWN:
        return UNKNOWN
    try:
        return list(value or [])
    except UnknownValueError:
        return UNKNOWN


def enables_logs(setting: PolicyResource, groups: Collection[str], categories: Collection[str] = ()) -> bool:
    """Whether `setting` enables a log entry of one of `groups` (category groups) or `categories`."""
    entries = _entries(known(setting.props, "logs"))
    if entries is UNKNOWN:
        return True  # cannot judge in a preview; a deployment will show it
    for entry in entries:
        if not isinstance(entry, Mapping):
            return True  # an entry only known once deployed
        enabled = known(entry, "enabled")
        group, category = known(entry, "categoryGroup"), known(entry, "category")
        if UNKNOWN in (enabled, group, category):
            return True
        if enabled is True and (group in groups or category in categories):
            return True
    return False


def enables_every(setting: PolicyResource, categories: Collection[str]) -> bool:
    """Whether `setting` enables each of `categories`, one entry per category."""
    entries = _entries(known(setting.props, "logs"))
    if entries is UNKNOWN:
        return True  # cannot judge in a preview; a deployment will show it
    enabled = set()
    for entry in entries:
        if not isinstance(entry, Mapping):
            return True  # an entry only known once deployed
        on, category = known(entry, "enabled"), known(entry, "category")
        if UNKNOWN in (on, category):
            return True
        if on is True and category:
            enabled.add(category)
    return set(categories) <= enabled


def unlogged(
    resources: Iterable[PolicyResource],
    type_token: str,
    groups: Collection[str],
    categories: Collection[str] = (),
    to_workspace: bool = False,
    every_category: Collection[str] = (),
) -> Iterator[PolicyResource]:
    """The resources of `type_token` that no diagnostic setting enables a log of `groups` or
    `categories` for, nor (when given) each of `every_category`; with `to_workspace`, only settings
    that send to a Log Analytics workspace count, whatever else they send to."""
    resources = list(resources)
    settings = targeting(resources, DIAGNOSTIC_SETTING, "resourceUri")
    for resource in of_type(resources, type_token):
        watching = settings.get(resource.urn, [])
        if to_workspace:
            watching = [s for s in watching if known(s.props, "workspaceId") not in (None, "")]
        if not any(
            enables_logs(s, groups, categories) or (every_category and enables_every(s, every_category))
            for s in watching
        ):
            yield resource
