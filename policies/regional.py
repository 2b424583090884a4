"""Regional availability: where data rests, where resources run, and what API they run on."""

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs, Severity, StackValidationArgs

from .email_links import domain_links
from .resource_types import ACS, ACS_TOPIC_TYPE, EMAIL_DOMAIN, EMAIL_SERVICE, LINKED_DOMAINS, SYSTEM_TOPIC
from .shared_facts import DATA_LOCATIONS
from .support import UNKNOWN, known, label, of_type, resource_rule, sourced_from, stack_rule

DATA_RESIDENCY_DOC = "https://learn.microsoft.com/azure/communication-services/concepts/privacy"
REGIONS_DOC = "https://learn.microsoft.com/azure/communication-services/concepts/regional-availability"
EMAIL_LINK_DOC = (
    "https://learn.microsoft.com/azure/communication-services/quickstarts/email/connect-email-communication-resource"
)
API_VERSIONS_DOC = "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-providers-and-types"


@resource_rule(
    name="acs-data-location-allowed",
    description="ACS and email services keep their data in a valid ACS data location the stack allows.",
    types=[ACS, EMAIL_SERVICE],
    severity=Severity.CRITICAL,
    remediation=(
        "Set dataLocation to one of the stack's allowed data locations. The data location cannot change "
        "after creation: a wrong one means a new resource and a migration."
    ),
    url=DATA_RESIDENCY_DOC,
    builtin="93c45b74-42a1-4967-b25d-82c4dc630921",
    config_schema=PolicyConfigSchema(
        properties={
            "allowedDataLocations": {
                "type": "array",
                "items": {"type": "string", "enum": list(DATA_LOCATIONS)},
                "default": list(DATA_LOCATIONS),
            }
        }
    ),
)
def data_location_allowed(args: ResourceValidationArgs, report: ReportViolation) -> None:
    location = known(args.props, "dataLocation")
    if location is UNKNOWN:
        return
    name = label(args)
    allowed = list(args.get_config()["allowedDataLocations"])
    if location not in DATA_LOCATIONS:
        report(f"{name}: {location!r} is not an ACS data location; valid: {', '.join(DATA_LOCATIONS)}.")
    elif location not in allowed:
        report(f"{name}: data location {location!r} is not allowed in this stack; allowed: {', '.join(allowed)}.")


@stack_rule(
    name="email-domain-same-geography",
    description="An email domain linked to an ACS resource belongs to an email service in the same geography.",
    types=[ACS, EMAIL_DOMAIN, EMAIL_SERVICE, LINKED_DOMAINS],
    severity=Severity.HIGH,
    remediation=(
        "Link only domains of an email service whose dataLocation equals the ACS resource's, or create an "
        "email service in the ACS resource's data location. Azure refuses the link with InvalidLinkedDomains."
    ),
    url=EMAIL_LINK_DOC,
)
def email_domain_same_geography(args: StackValidationArgs, report: ReportViolation) -> None:
    for link in domain_links(args.resources):
        acs_location = known(link.service.props, "dataLocation")
        for email in of_type(sourced_from(link.domain, "emailServiceName"), EMAIL_SERVICE):
            email_location = known(email.props, "dataLocation")
            if UNKNOWN in (acs_location, email_location) or acs_location == email_location:
                continue
            report(
                f"{label(link.service)} ({acs_location}) links "
                f"domain {link.domain.name} of email service "
                f"{label(email)} ({email_location}).",
                link.via.urn,
            )


GLOBAL_TYPES = frozenset({ACS, EMAIL_SERVICE, EMAIL_DOMAIN})


def _must_be_global(args: ResourceValidationArgs) -> bool:
    if args.resource_type in GLOBAL_TYPES:
        return True
    return args.resource_type == SYSTEM_TOPIC and known(args.props, "topicType") == ACS_TOPIC_TYPE


@resource_rule(
    name="resource-location-allowed",
    description=(
        "ACS, email and ACS Event Grid system topic resources are global; every other resource is in an "
        "Azure region the stack allows."
    ),
    types=None,
    severity=Severity.HIGH,
    remediation="Use location 'global' for ACS, email services, domains and their system topics; "
    "put every other resource in one of the stack's allowed regions.",
    url=REGIONS_DOC,
    config_schema=PolicyConfigSchema(
        properties={"allowedRegions": {"type": "array", "items": {"type": "string"}, "default": []}}
    ),
)
def resource_location_allowed(args: ResourceValidationArgs, report: ReportViolation) -> None:
    location = known(args.props, "location")
    if location is None or location is UNKNOWN:
        return
    if _must_be_global(args):
        if location != "global":
            report(f"{args.name}: location is {location!r}; this type is global.")
        return
    allowed = list(args.get_config()["allowedRegions"])
    if allowed and location not in allowed:
        report(f"{args.name}: region {location!r} is not allowed in this stack; allowed: {', '.join(allowed)}.")


@resource_rule(
    name="no-preview-api-version",
    description="No resource type is pinned to a preview API version.",
    types=None,
    severity=Severity.MEDIUM,
    remediation="Use the default module of the azure-native SDK (a stable API version) instead of a "
    "versioned preview module.",
    url=API_VERSIONS_DOC,
)
def no_preview_api_version(args: ResourceValidationArgs, report: ReportViolation) -> None:
    package, _, rest = args.resource_type.partition(":")
    module = rest.rsplit(":", 1)[0]
    if package == "azure-native" and "preview" in module.lower():
        report(f"{args.name}: type {args.resource_type} uses a preview API version.")


POLICIES = [data_location_allowed, email_domain_same_geography, resource_location_allowed, no_preview_api_version]
