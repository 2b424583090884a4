"""Custom email domains of ACS: their DNS verification and their link to ACS resources.

Two Pulumi dynamic resources, because no IaC provider automates either step (azurerm issue 29779):
`providers.emaildomains.verification.DomainVerification` initiates and follows the verification of a domain's
DNS records, and `providers.emaildomains.link.LinkedDomains` links verified domains to an ACS resource.
This module holds what both share: the domain id and the error; the ARM client, its factory and the
error formatter are `providers.arm`'s.
"""

import re
from typing import NamedTuple

_DOMAIN_ID = re.compile(
    r"/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<resource_group>[^/]+)"
    r"/providers/Microsoft\.Communication/emailServices/(?P<email_service>[^/]+)/domains/(?P<domain>[^/]+)",
    re.IGNORECASE,
)


class DomainId(NamedTuple):
    subscription: str
    resource_group: str
    email_service: str
    domain: str

    def describe(self) -> str:
        """How errors name the domain resource."""
        return (
            f"email domain {self.domain} (email service '{self.email_service}', resource group '{self.resource_group}')"
        )


class EmailDomainError(RuntimeError):
    """An ARM call, or the verification it started, failed; the message names the resource and the step."""


def parse_domain_id(domain_id: str) -> DomainId:
    """The parts of an email domain's resource id."""
    match = _DOMAIN_ID.fullmatch(domain_id) if isinstance(domain_id, str) else None
    if match is None:
        raise ValueError(
            f"not an email domain resource id: {domain_id!r}; expected /subscriptions/<id>/resourceGroups/<group>"
            "/providers/Microsoft.Communication/emailServices/<service>/domains/<domain>"
        )
    return DomainId(match["subscription"], match["resource_group"], match["email_service"], match["domain"])
