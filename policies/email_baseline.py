"""Email domains: no tracking of recipients, and no custom domain linked before it is verified.

Linking a domain to an ACS resource (`linkedDomains`) works only once the domain is verified
(Domain, SPF, DKIM, DKIM2 records); Azure otherwise refuses the deployment with
InvalidLinkedDomains. An Azure-managed domain is verified on creation and may be linked directly.
A customer-managed one (domainManagement "CustomerManaged" or "CustomerManagedInExchangeOnline")
must be linked through a verification step.

The project's DomainVerification resource is that step: it outputs the domain's id once the
domain is verified. `email-custom-domain-verified` judges where a link's domain ids come from,
through property dependencies (see email_links.py): straight from a customer-managed Domain
resource is a violation; through a DomainVerification passes. A domain id written into the
program as a literal string has no property dependency and cannot be judged here.
"""

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity, StackValidationArgs

from .email_links import domain_links
from .resource_types import ACS, DOMAIN_VERIFICATION, EMAIL_DOMAIN, LINKED_DOMAINS
from .support import UNKNOWN, known, label, resource_rule, stack_rule

ENGAGEMENT_DOC = (
    "https://learn.microsoft.com/azure/communication-services/quickstarts/email/enable-user-engagement-tracking"
)
CUSTOM_DOMAIN_DOC = (
    "https://learn.microsoft.com/azure/communication-services/quickstarts/email/add-custom-verified-domains"
)

AZURE_MANAGED = "AzureManaged"


@resource_rule(
    name="email-engagement-tracking-disabled",
    description="Email domains do not track whether recipients open mails or click links.",
    types=[EMAIL_DOMAIN],
    severity=Severity.MEDIUM,
    remediation="Leave userEngagementTracking unset or set it to 'Disabled'. Tracking adds a pixel and rewrites "
    "links in every mail: enable it only with a privacy review and the recipients' consent.",
    url=ENGAGEMENT_DOC,
)
def engagement_tracking_disabled(args: ResourceValidationArgs, report: ReportViolation) -> None:
    tracking = known(args.props, "userEngagementTracking")
    if tracking not in (None, UNKNOWN, "Disabled"):
        report(f"{label(args)}: user engagement tracking is {tracking!r}; opens and clicks of recipients are tracked.")


@stack_rule(
    name="email-custom-domain-verified",
    description="No customer-managed email domain is linked to an ACS resource without going through verification.",
    types=[ACS, EMAIL_DOMAIN, DOMAIN_VERIFICATION, LINKED_DOMAINS],
    severity=Severity.HIGH,
    remediation="Link a custom domain through its verification step: publish its verification records in DNS, "
    "verify Domain, SPF, DKIM and DKIM2, and take the id for linkedDomains from the resource that completes the "
    "verification, not from the Domain resource. Until then, link only the AzureManagedDomain.",
    url=CUSTOM_DOMAIN_DOC,
)
def custom_domain_verified(args: StackValidationArgs, report: ReportViolation) -> None:
    for link in domain_links(args.resources):
        management = known(link.domain.props, "domainManagement")
        if link.verified_first or management in (AZURE_MANAGED, UNKNOWN, None):
            continue
        report(
            f"{label(link.service)}: links the {management} "
            f"domain {label(link.domain)} directly; it must be verified first.",
            link.via.urn,
        )


POLICIES = [engagement_tracking_disabled, custom_domain_verified]
