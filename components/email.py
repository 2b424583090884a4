"""Email for one ACS instance: an email service in the instance's data location, its domains,
the DNS records and verification of custom domains, senders, suppression lists, SMTP usernames,
and the link that lets the instance send from every domain that is ready.

The link is its own resource and the ACS resource ignores `linkedDomains`: a first deployment
creates the instance, its keys, secrets and events without waiting for DNS or verification,
which can take as long as DNS propagation does. The link puts back links an update of the ACS
resource cleared, keeps domains linked outside the stack (reported as `unmanagedLinkedDomains`)
unless `exclusive_linked_domains` says the stack owns the whole list.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native
import pulumi_azure_native.communication as communication
import pulumi_azure_native.dns as dns

from providers.emaildomains.link import LinkedDomains, LinkedDomainsArgs
from providers.emaildomains.verification import RECORD_TYPES as VERIFIABLE_RECORD_TYPES
from providers.emaildomains.verification import DomainVerification, DomainVerificationArgs
from stackconfig import adoption as adopted
from stackconfig.email import DomainConfig, SmtpUsernameConfig
from stackconfig.interface import LockConfig, RoleAssignmentConfig, avm_lock_name

from . import name_after
from .adoption import AS_IS_TAGGED, Adoption
from .email_dns import DnsRecord, apex_txt_values, relative_name, txt_strings
from .interface import resource_interface, with_own_tags

# Verified for every custom domain; DMARC only where the domain has a DMARC record.
RECORD_TYPES = tuple(t for t in VERIFIABLE_RECORD_TYPES if t != "DMARC")


@dataclass(frozen=True)
class EmailArgs:
    email_service_name: str  # `email.serviceName`, or `email-<instance>`
    # The ACS resource the domains are linked to; None for an email service of the stack's own
    # (acs-platform:emailServices), whose domains instances link by name (`linkable`).
    service_id: pulumi.Input[str] | None
    service_name: pulumi.Input[str] | None  # its name, for SMTP usernames, which are its children
    resource_group_name: pulumi.Input[str]
    data_location: str  # the instance's: the validated config guarantees they are the same
    domains: Sequence[DomainConfig]
    smtp_usernames: Sequence[SmtpUsernameConfig]
    tags: Mapping[str, str]
    protect: bool  # the email service and domains: a deleted custom domain must be verified again
    # The instance's linkedDomains are the stack's alone: domains linked outside it are unlinked.
    exclusive_linked_domains: bool = False
    adoption: Adoption = Adoption()  # the existing service, domains, senders and lists it takes over
    # Domains of the stack's own email services (or outside it) the ACS resource sends from too: their ids
    # once verified, None until then.
    linked_elsewhere: Sequence[pulumi.Input[str | None]] = ()
    # AVM's interface on the email service (`email.lock`, `email.roleAssignments`, `email.tags`); the domains'
    # are in their DomainConfig. None of them by default.
    service_lock: LockConfig | None = None
    service_role_assignments: Sequence[RoleAssignmentConfig] = ()
    service_tags: Mapping[str, str] | None = None  # on top of `tags`, the standard ones winning


def domain_key(domain: DomainConfig) -> str:
    return "azure-managed" if domain.azure_managed else domain.name.replace(".", "-")


def records_of(verification_records) -> list[dict]:
    """The records ACS asks for, as a stack output: what to create by hand without a managed zone."""
    if not verification_records:
        return []
    found = [verification_records.domain, verification_records.s_pf, verification_records.d_kim]
    found += [verification_records.d_kim2, verification_records.d_marc]
    return [vars(DnsRecord(r.type, r.name, r.value, int(r.ttl or 3600))) for r in found if r is not None]


def email_outputs(email: "Email") -> dict[str, dict]:
    """Per domain: the sender domains, the verification state; for every custom domain the records ACS
    verifies it with (`verificationRecords`, zone managed here or not), and where no DNS zone is managed
    here, the same records as the ones to create by hand (`recordsToCreate`, kept for compatibility)."""
    outputs = {}
    for name, domain in email.domains.items():
        verification = email.verifications.get(name)
        outputs[name] = {
            "fromSenderDomain": domain.from_sender_domain,
            "mailFromSenderDomain": domain.mail_from_sender_domain,
            "verificationStates": verification.states if verification else "Verified (Azure-managed)",
        }
        if verification is not None:  # a custom domain
            outputs[name]["verificationRecords"] = domain.verification_records.apply(records_of)
        if name in email.unmanaged:
            outputs[name]["recordsToCreate"] = domain.verification_records.apply(records_of)
    return outputs


def link_domains(
    name: str,
    service_id: pulumi.Input[str],
    linkable: Sequence[pulumi.Input[str | None]],
    *,
    exclusive: bool,
    parent: pulumi.Resource,
) -> LinkedDomains:
    """The link of an ACS resource to the domains of `linkable` that are ready (their ids; None: not yet)."""
    return LinkedDomains(
        name,
        LinkedDomainsArgs(
            communication_service_id=service_id,
            domain_ids=pulumi.Output.all(*linkable).apply(lambda ids: [i for i in ids if i]),
            exclusive=exclusive,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


class Email(pulumi.ComponentResource):
    service: communication.EmailService
    domains: dict[str, communication.Domain]
    verifications: dict[str, DomainVerification]
    unmanaged: set[str]  # custom domains whose records are created by hand
    link: LinkedDomains | None  # None for an email service of the stack's own
    linkable: dict[str, pulumi.Output[str | None]]  # domain name -> its id once it can be linked

    def __init__(self, name: str, args: EmailArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("acs-platform:components:Email", name, None, opts)
        self._args = args
        self._dns_providers: dict[str, azure_native.Provider] = {}

        service_name = args.email_service_name
        self.service = communication.EmailService(
            f"{name}-service",
            email_service_name=service_name,
            resource_group_name=args.resource_group_name,
            location="global",
            data_location=args.data_location,
            tags=with_own_tags(args.tags, args.service_tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                replace_on_changes=["dataLocation"],
                **args.adoption.options(adopted.email_service_key(service_name), as_is=AS_IS_TAGGED),
            ),
        )
        self._service_name = name_after(self.service, service_name)
        resource_interface(
            f"{name}-service",
            default_lock_name=avm_lock_name(service_name),
            scope_key=service_name,
            scope_id=self.service.id,
            scope_label=f"the email service {service_name}",
            lock_config=args.service_lock,
            role_assignments=args.service_role_assignments,
            parent=self,
            adoption=args.adoption,
            adoption_key=adopted.email_service_key(service_name),
        )

        self.domains, self.verifications, self.linkable = {}, {}, {}
        self.unmanaged = {d.name for d in args.domains if not d.azure_managed and d.dns_zone is None}
        for domain in args.domains:
            key = domain_key(domain)
            resource = self._domain(name, key, domain)
            self.domains[domain.name] = resource
            domain_name = name_after(resource, domain.name)
            self._senders(name, key, domain, domain_name)
            self._suppression_lists(name, key, domain, domain_name)
            if domain.azure_managed:
                self.linkable[domain.name] = resource.id  # verified by Azure from the start
                continue
            records = self._dns_records(name, key, domain, resource) if domain.dns_zone else []
            verification = DomainVerification(
                f"{name}-{key}-verification",
                DomainVerificationArgs(
                    domain_id=resource.id,
                    record_types=[*RECORD_TYPES, *(["DMARC"] if domain.dmarc else [])],
                    # With the records in a managed zone, wait for them to verify; without, report
                    # the state and verify on a later run, once someone has created them.
                    wait=domain.dns_zone is not None,
                    timeout_seconds=domain.verification_timeout_minutes * 60,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=records),
            )
            self.verifications[domain.name] = verification
            self.linkable[domain.name] = pulumi.Output.all(verification.verified, verification.domain_id).apply(
                lambda v: v[1] if v[0] else None
            )

        for smtp in args.smtp_usernames:
            communication.SmtpUsername(
                f"{name}-smtp-{smtp.username}",
                smtp_username=smtp.username,
                username=smtp.username,
                communication_service_name=args.service_name,
                resource_group_name=args.resource_group_name,
                entra_application_id=smtp.entra_application_id,
                tenant_id=smtp.tenant_id,
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.link = None
        if args.service_id is not None:
            self.link = link_domains(
                f"{name}-links",
                args.service_id,
                [*self.linkable.values(), *args.linked_elsewhere],
                exclusive=args.exclusive_linked_domains,
                parent=self,
            )

        self.register_outputs(
            {
                "emailServiceId": self.service.id,
                **(
                    {"linkedDomains": self.link.linked_domains, "unmanagedLinkedDomains": self.link.unmanaged_domains}
                    if self.link is not None
                    else {}
                ),
            }
        )

    def _domain(self, name: str, key: str, domain: DomainConfig) -> communication.Domain:
        resource = communication.Domain(
            f"{name}-{key}",
            domain_name=domain.name,
            domain_management=domain.management,  # `domainManagement`, or derived from the name
            email_service_name=self._service_name,
            resource_group_name=self._args.resource_group_name,
            location="global",
            user_engagement_tracking="Enabled" if domain.engagement_tracking else "Disabled",
            tags=with_own_tags(self._args.tags, domain.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=self._args.protect,
                **self._args.adoption.options(
                    adopted.domain_key(self._args.email_service_name, domain.name), as_is=AS_IS_TAGGED
                ),
            ),
        )
        service = self._args.email_service_name
        resource_interface(  # the domain's own lock and roles
            f"{name}-{key}",
            default_lock_name=avm_lock_name(domain.name),
            scope_key=f"{service}-{key}",
            scope_id=resource.id,
            scope_label=f"the domain {domain.name} of {service}",
            lock_config=domain.lock,
            role_assignments=domain.role_assignments,
            parent=self,
            adoption=self._args.adoption,
            adoption_key=adopted.domain_key(service, domain.name),
        )
        return resource

    def _senders(self, name: str, key: str, domain: DomainConfig, domain_name: pulumi.Output[str]) -> None:
        service = self._args.email_service_name
        for sender in domain.senders:
            communication.SenderUsername(
                f"{name}-{key}-sender-{sender.username.lower()}",
                sender_username=adopted.sender_name(sender),
                username=sender.username,
                display_name=sender.display_name,
                domain_name=domain_name,
                email_service_name=self._service_name,
                resource_group_name=self._args.resource_group_name,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    **self._args.adoption.options(
                        adopted.sender_key(service, domain.name, adopted.sender_name(sender))
                    ),
                ),
            )

    def _suppression_lists(self, name: str, key: str, domain: DomainConfig, domain_name: pulumi.Output[str]) -> None:
        service = self._args.email_service_name
        for listed in domain.suppression_lists:
            suppression = communication.SuppressionList(
                f"{name}-{key}-suppression-{listed.name}",
                suppression_list_name=listed.name,
                list_name=listed.list_name or listed.name,
                domain_name=domain_name,
                email_service_name=self._service_name,
                resource_group_name=self._args.resource_group_name,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    **self._args.adoption.options(adopted.suppression_list_key(service, domain.name, listed.name)),
                ),
            )
            list_name = name_after(suppression, listed.name)
            for address in listed.addresses:
                address_name = adopted.address_id(address)
                communication.SuppressionListAddress(
                    f"{name}-{key}-suppression-{listed.name}-{address_name}",
                    address_id=address_name,
                    email=address.email,
                    first_name=address.first_name,
                    last_name=address.last_name,
                    notes=address.notes,
                    suppression_list_name=list_name,
                    domain_name=domain_name,
                    email_service_name=self._service_name,
                    resource_group_name=self._args.resource_group_name,
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        **self._args.adoption.options(
                            adopted.suppressed_address_key(service, domain.name, listed.name, address_name)
                        ),
                    ),
                )

    def _dns_provider(self, name: str, subscription_id: str | None) -> pulumi.ProviderResource | None:
        """The default provider, or an explicit one for a zone in another subscription."""
        if subscription_id is None:
            return None
        if subscription_id not in self._dns_providers:
            self._dns_providers[subscription_id] = azure_native.Provider(
                f"{name}-dns-{subscription_id}",
                subscription_id=subscription_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return self._dns_providers[subscription_id]

    def _dns_records(
        self, name: str, key: str, domain: DomainConfig, resource: communication.Domain
    ) -> list[dns.RecordSet]:
        zone = domain.dns_zone
        opts = pulumi.ResourceOptions(parent=self, provider=self._dns_provider(name, zone.subscription_id))
        wanted = resource.verification_records

        def record_set(suffix: str, record_type: str, record_name: pulumi.Input[str], **values) -> dns.RecordSet:
            return dns.RecordSet(
                f"{name}-{key}-{suffix}",
                zone_name=zone.name,
                resource_group_name=zone.resource_group,
                record_type=record_type,
                relative_record_set_name=record_name,
                ttl=3600,
                **values,
                opts=opts,
            )

        def cname(record_key: str):
            record = wanted.apply(lambda r: getattr(r, record_key))
            return record_set(
                record_key.replace("_", ""),
                "CNAME",
                record.apply(lambda r: relative_name(r.name, domain.name, zone.name)),
                cname_record=dns.CnameRecordArgs(cname=record.apply(lambda r: r.value)),
            )

        apex = wanted.apply(lambda r: apex_txt_values(r.domain.value, r.s_pf.value, list(domain.apex_txt_records)))
        records = [
            record_set(
                "apex-txt",
                "TXT",
                relative_name("@", domain.name, zone.name),
                txt_records=apex.apply(lambda values: [dns.TxtRecordArgs(value=txt_strings(v)) for v in values]),
            ),
            cname("d_kim"),
            cname("d_kim2"),
        ]
        if domain.dmarc:
            records.append(
                record_set(
                    "dmarc",
                    "TXT",
                    relative_name("_dmarc", domain.name, zone.name),
                    txt_records=[dns.TxtRecordArgs(value=txt_strings(domain.dmarc))],
                )
            )
        return records
