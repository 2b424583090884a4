"""Tags every taggable resource must carry, so cost and ownership can be traced."""

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs, Severity

from .resource_types import (
    ACS,
    EMAIL_SERVICE,
    KEY_VAULT,
    RESOURCE_GROUP,
    STORAGE_ACCOUNT,
    SYSTEM_TOPIC,
    USER_ASSIGNED_IDENTITY,
    WORKSPACE,
)
from .shared_facts import STANDARD_TAGS
from .support import UNKNOWN, known, resource_rule

# Types that take tags, whether or not the program sent any: a missing `tags` input is a finding.
TAGGABLE = [
    ACS,
    EMAIL_SERVICE,
    KEY_VAULT,
    RESOURCE_GROUP,
    STORAGE_ACCOUNT,
    SYSTEM_TOPIC,
    USER_ASSIGNED_IDENTITY,
    WORKSPACE,
]


@resource_rule(
    name="required-tags",
    description="Every taggable resource carries the required tags.",
    types=None,
    severity=Severity.LOW,
    remediation="Set acs-platform:owner and acs-platform:costCenter; components tag every taggable resource.",
    url="https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources",
    config_schema=PolicyConfigSchema(
        properties={"requiredTags": {"type": "array", "items": {"type": "string"}, "default": list(STANDARD_TAGS)}}
    ),
)
def required_tags(args: ResourceValidationArgs, report: ReportViolation) -> None:
    tags = known(args.props, "tags")
    if tags is UNKNOWN or (tags is None and args.resource_type not in TAGGABLE):
        return
    missing = [t for t in args.get_config()["requiredTags"] if known(tags or {}, t) in (None, "")]
    if missing:
        report(f"{args.name}: missing tags {', '.join(missing)}.")


POLICIES = [required_tags]
