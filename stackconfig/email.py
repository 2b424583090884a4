"""Email for an ACS instance: its email service, domains, senders and suppression lists."""

from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from . import azure_rules as rules
from .fields import Bool, ConfigModel, Guid, NonEmpty, ResourceGroupName, between, matching, unique_by

DnsName = Annotated[str, matching(rules.DNS_NAME, rules.DNS_NAME_RULE)]
EmailAddress = Annotated[str, matching(rules.EMAIL_ADDRESS, "an email address")]


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

    @property
    def azure_managed(self) -> bool:
        return self.name == rules.AZURE_MANAGED_DOMAIN

    @model_validator(mode="after")
    def _custom_only(self) -> "DomainConfig":
        custom = [k for k in ("dns_zone", "apex_txt_records", "dmarc") if getattr(self, k)]
        if self.azure_managed and custom:
            raise ValueError("the Azure-managed domain has no DNS zone, apex TXT records or DMARC of its own")
        if self.dns_zone and not (self.name == self.dns_zone.name or self.name.endswith(f".{self.dns_zone.name}")):
            raise ValueError(f"{self.name} is not in the DNS zone {self.dns_zone.name}")
        return self


class SmtpUsernameConfig(ConfigModel):
    username: NonEmpty
    entra_application_id: Guid
    tenant_id: Guid


class EmailConfig(ConfigModel):
    # The email service's name: by default `email-<instance>`; an adopted service keeps the one it has.
    service_name: Annotated[str, matching(rules.EMAIL_SERVICE_NAME, "1 to 63 letters, digits and '-'")] | None = None
    # The email service keeps its data where the instance does (its dataLocation is the instance's):
    # Azure refuses to link a domain from another geography (InvalidLinkedDomains).
    domains: Annotated[list[DomainConfig], Field(min_length=1), unique_by("the domain", lambda d: d.name)]
    smtp_usernames: Annotated[list[SmtpUsernameConfig], unique_by("the username", lambda s: s.username)] = []
    # false: domains linked to the instance outside the stack stay linked (and are reported); true: the
    # stack owns the whole linkedDomains list and unlinks them.
    exclusive_linked_domains: Bool = False
