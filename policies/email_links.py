"""Which email domain is linked to which ACS resource, however the program links it.

A domain reaches an ACS resource's `linkedDomains` either as an input of the ACS resource, or
through a LinkedDomains resource (the project's own), whose `domainIds` come from a Domain
resource or from the DomainVerification that releases a custom domain once verified. Both
are judged through property dependencies, known in every preview.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pulumi_policy import PolicyResource

from .resource_types import ACS, DOMAIN_VERIFICATION, EMAIL_DOMAIN, LINKED_DOMAINS
from .support import of_type, sourced_from


@dataclass(frozen=True)
class DomainLink:
    service: PolicyResource  # the ACS resource
    domain: PolicyResource  # the Domain resource
    verified_first: bool  # the id came through a DomainVerification, not from the Domain itself
    via: PolicyResource  # the resource whose input makes the link: the ACS resource or a LinkedDomains


def _domains(source: PolicyResource) -> Iterator[tuple[PolicyResource, bool]]:
    if source.resource_type == EMAIL_DOMAIN:
        yield source, False
    elif source.resource_type == DOMAIN_VERIFICATION:
        for domain in of_type(sourced_from(source, "domainId"), EMAIL_DOMAIN):
            yield domain, True


def domain_links(resources: Iterable[PolicyResource]) -> list[DomainLink]:
    resources = list(resources)
    links = [
        DomainLink(service, domain, verified, service)
        for service in of_type(resources, ACS)
        for source in sourced_from(service, "linkedDomains")
        for domain, verified in _domains(source)
    ]
    for link in of_type(resources, LINKED_DOMAINS):
        for service in of_type(sourced_from(link, "communicationServiceId"), ACS):
            for source in sourced_from(link, "domainIds"):
                links += [DomainLink(service, domain, verified, link) for domain, verified in _domains(source)]
    return links
