"""What an instance's email reports besides its resources: the address applications send from now.

The active sender is the first custom domain (in config order) that is verified and linked, from its
first sender; until one is, the Azure-managed domain's first sender; without either, none. The choice is
`choose_active_sender`, a pure function; `active_sender` feeds it the outputs of one `Email` component,
so it is known once those are: after a deployment, never in a preview.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from stackconfig.email import DomainConfig

if TYPE_CHECKING:
    from .email import Email


@dataclass(frozen=True)
class SenderCandidate:
    """One domain of the instance, as the active sender sees it."""

    username: str  # the domain's first sender
    from_sender_domain: str | None  # the Domain resource's fromSenderDomain: what follows @
    azure_managed: bool
    verified: bool  # its DomainVerification says verified; the Azure-managed domain always is
    domain_id: str | None = None  # the Domain resource's id, to find it among the linked domains


def choose_active_sender(candidates: Sequence[SenderCandidate], linked_domain_ids: Sequence[str] | None) -> str | None:
    """`username@fromSenderDomain` of the first custom candidate that is verified and linked, else of the first
    Azure-managed one, else None. Ids compare case-insensitively, as ARM's do."""
    linked = {str(d).lower() for d in linked_domain_ids or ()}
    for candidate in candidates:
        if (
            not candidate.azure_managed
            and candidate.verified
            and candidate.domain_id
            and candidate.domain_id.lower() in linked
            and candidate.from_sender_domain
        ):
            return f"{candidate.username}@{candidate.from_sender_domain}"
    for candidate in candidates:
        if candidate.azure_managed and candidate.from_sender_domain:
            return f"{candidate.username}@{candidate.from_sender_domain}"
    return None


def active_sender(email: "Email", domains: Sequence[DomainConfig]) -> pulumi.Output[str | None]:
    """The active sender of one instance's email (`domains`: its config's, in order), from its domains, their
    verification and its link."""
    configs = list(domains)
    parts: list[Any] = []
    for config in configs:
        resource = email.domains[config.name]
        verification = email.verifications.get(config.name)
        parts += [
            resource.id,
            resource.from_sender_domain,
            True if verification is None else verification.verified,  # Azure-managed: verified from the start
        ]
    linked = email.link.linked_domains if email.link is not None else []

    def choose(values: list[Any]) -> str | None:
        *domain_values, linked_ids = values
        candidates = [
            SenderCandidate(
                username=config.senders[0].username,
                from_sender_domain=domain_values[3 * i + 1],
                azure_managed=config.azure_managed,
                verified=domain_values[3 * i + 2] is True,
                domain_id=domain_values[3 * i],
            )
            for i, config in enumerate(configs)
        ]
        return choose_active_sender(candidates, linked_ids)

    return pulumi.Output.all(*parts, linked).apply(choose)
