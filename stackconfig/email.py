"""Email for an ACS instance: its email service, domains, senders and suppression lists."""

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from . import azure_rules as rules
from .fields import Bool, ConfigModel, Guid, NonEmpty, ResourceGroupName, Tags, between, matching, unique_by
from .interface import EmailLockConfig, RoleAssignments

EmailServiceName = Annotated[str, matching(rules.EMAIL_SERVICE_NAME, "1 to 63 letters, digits and '-'")]
DnsName = Annotated[str, matching(rules.DNS_NAME, rules.DNS_NAME_RULE)]
EmailAddress = Annotated[str, matching(rules.EMAIL_ADDRESS, "an email address")]


# How a domain is managed: the values of the Domain resource's `domainManagement` (Microsoft.Communication
# 2025-09-01, Domains.json `DomainManagement`), under the name Azure Verified Modules' email-service/domain
# module gives the parameter (avm/res/communication/email-service/domain/main.bicep, `domainManagement`).
AZURE_MANAGED = "AzureManaged"
CUSTOMER_MANAGED = "CustomerManaged"
# A domain whose DNS and sender authentication are set up in Exchange Online (Microsoft 365): the REST spec
# lists the candidates with `POST /subscriptions/{id}/providers/Microsoft.Communication/
# listVerifiedExchangeOnlineDomains`, "a list of domains that are fully verified in Exchange Online"
# (EmailServices.json, 2025-09-01). Its DNS records are Exchange Online's, kept by the Exchange admin: the stack
# writes none (no dnsZone, apexTxtRecords or dmarc).
# ASSUMPTION (no source says how ACS verifies such a domain): ACS reports its verificationStates (and any
# verificationRecords) as for any custom domain, so it is verified like a custom domain without a zone
# (DomainVerification, wait=False: read, ask for what is not verified, report, never fail) and linked once ACS
# says verified. A domain is linked only when fully verified (InvalidLinkedDomains otherwise), and the policy
# email-custom-domain-verified requires a verification step before linking any customer-managed domain.
EXCHANGE_ONLINE = "CustomerManagedInExchangeOnline"
DOMAIN_MANAGEMENTS = (AZURE_MANAGED, CUSTOMER_MANAGED, EXCHANGE_ONLINE)


def _domain_name(value: str) -> str:
    if value == rules.AZURE_MANAGED_DOMAIN or rules.DNS_NAME.match(value):
        return value
    raise ValueError(f"must be {rules.AZURE_MANAGED_DOMAIN!r} (Azure-managed) or {rules.DNS_NAME_RULE}")


def _dmarc(value: str) -> str:
    if not value.startswith("v=DMARC1;"):
        raise ValueError("must be a DMARC record starting with 'v=DMARC1;'")
    return value


def _one_spf(values: list[str]) -> list[str]:
    if sum(v.startswith("v=spf1") for v in values) > 1:
        raise ValueError("has more than one SPF record; a domain may publish one, which ACS's is merged into")
    return values


class SenderConfig(ConfigModel):
    username: Annotated[str, matching(rules.SENDER_USERNAME, rules.SENDER_USERNAME_RULE)]
    display_name: NonEmpty | None = None
    # The sender's resource name in Azure: by default the username in lower case; an adopted sender keeps the
    # one it has (ARM names are case-insensitive, Pulumi's comparison of them is not).
    resource_name: Annotated[str, matching(rules.SENDER_USERNAME, rules.SENDER_USERNAME_RULE)] | None = None


class DnsZoneConfig(ConfigModel):
    name: DnsName
    resource_group: ResourceGroupName
    subscription_id: Guid | None = None  # a zone in another subscription: an explicit provider


class SuppressedAddressConfig(ConfigModel):
    email: EmailAddress
    # The address's resource name in Azure: by default a UUID of the address; an address added outside the
    # stack (and adopted) keeps the one it has.
    address_id: NonEmpty | None = None
    first_name: NonEmpty | None = None
    last_name: NonEmpty | None = None
    notes: NonEmpty | None = None


class SuppressionListConfig(ConfigModel):
    name: Annotated[str, matching(rules.SUPPRESSION_LIST_NAME, "1 to 63 letters, digits and '-'")]  # the resource's
    # The list's own name (its `listName`): by default `name`. Lists made in the portal have a GUID for a
    # resource name and a name of their own.
    list_name: NonEmpty | None = None
    addresses: Annotated[list[SuppressedAddressConfig], unique_by("the address", lambda a: a.email)] = []


class DomainConfig(ConfigModel):
    name: Annotated[str, AfterValidator(_domain_name)]
    # AVM's `domainManagement`: by default AzureManaged for AzureManagedDomain, CustomerManaged for a custom
    # domain; CustomerManagedInExchangeOnline for a custom domain verified in Exchange Online.
    domain_management: Literal[DOMAIN_MANAGEMENTS] | None = None  # type: ignore[valid-type]
    # Customer-managed domains only: where the verification records go. Without a zone the
    # records to create by hand are a stack output, and the domain is linked once verified.
    dns_zone: DnsZoneConfig | None = None
    # TXT values the zone already has at the domain's apex: one record set holds them all.
    apex_txt_records: Annotated[list[NonEmpty], AfterValidator(_one_spf)] = []
    dmarc: Annotated[str, AfterValidator(_dmarc)] | None = None
    verification_timeout_minutes: Annotated[int, between(*rules.VERIFICATION_TIMEOUT_MINUTES, "minutes")] = 30
    senders: Annotated[list[SenderConfig], Field(min_length=1), unique_by("the sender", lambda s: s.username)] = [
        SenderConfig(username="DoNotReply")
    ]
    engagement_tracking: Bool = False  # opens and clicks: personal data, off unless asked for
    suppression_lists: Annotated[list[SuppressionListConfig], unique_by("the list", lambda s: s.name)] = []
    # AVM's interface on the domain (stackconfig/interface.py): none of them by default.
    lock: EmailLockConfig | None = None
    role_assignments: RoleAssignments = []
    tags: Tags = {}  # on this domain, on top of the stack's (and its email service's, of acs-platform:emailServices)

    @property
    def azure_managed(self) -> bool:
        return self.name == rules.AZURE_MANAGED_DOMAIN

    @property
    def management(self) -> str:
        """The Domain resource's domainManagement: as configured, or derived from the name."""
        if self.domain_management is not None:
            return self.domain_management
        return AZURE_MANAGED if self.azure_managed else CUSTOMER_MANAGED

    @property
    def exchange_online(self) -> bool:
        return self.management == EXCHANGE_ONLINE

    @model_validator(mode="after")
    def _custom_only(self) -> "DomainConfig":
        if self.azure_managed and self.management != AZURE_MANAGED:
            raise ValueError(f"domainManagement of {rules.AZURE_MANAGED_DOMAIN} can only be {AZURE_MANAGED!r}")
        if not self.azure_managed and self.management == AZURE_MANAGED:
            raise ValueError(
                f"domainManagement {AZURE_MANAGED!r} is for {rules.AZURE_MANAGED_DOMAIN} only; a custom domain is "
                f"{CUSTOMER_MANAGED!r} or {EXCHANGE_ONLINE!r}"
            )
        custom = [k for k in ("dns_zone", "apex_txt_records", "dmarc") if getattr(self, k)]
        if self.azure_managed and custom:
            raise ValueError("the Azure-managed domain has no DNS zone, apex TXT records or DMARC of its own")
        if self.exchange_online and custom:
            raise ValueError(
                f"a domain managed in Exchange Online ({EXCHANGE_ONLINE}) keeps its DNS records in Exchange "
                "Online: it takes no dnsZone, apexTxtRecords or dmarc"
            )
        if self.dns_zone and not (self.name == self.dns_zone.name or self.name.endswith(f".{self.dns_zone.name}")):
            raise ValueError(f"{self.name} is not in the DNS zone {self.dns_zone.name}")
        return self


class SmtpUsernameConfig(ConfigModel):
    username: NonEmpty
    entra_application_id: Guid
    tenant_id: Guid


class EmailConfig(ConfigModel):
    # The email service's name: by default `email-<instance>`; an adopted service keeps the one it has.
    service_name: EmailServiceName | None = None
    # The email service keeps its data where the instance does (its dataLocation is the instance's):
    # Azure refuses to link a domain from another geography (InvalidLinkedDomains).
    domains: Annotated[list[DomainConfig], Field(min_length=1), unique_by("the domain", lambda d: d.name)]
    smtp_usernames: Annotated[list[SmtpUsernameConfig], unique_by("the username", lambda s: s.username)] = []
    # false: domains linked to the instance outside the stack stay linked (and are reported); true: the
    # stack owns the whole linkedDomains list and unlinks them.
    exclusive_linked_domains: Bool = False
    # AVM's interface on the email service (stackconfig/interface.py): none of them by default.
    lock: EmailLockConfig | None = None
    role_assignments: RoleAssignments = []
    tags: Tags = {}  # on the email service only, on top of the stack's
