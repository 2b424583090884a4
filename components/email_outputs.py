"""What an instance's email reports besides its resources: the address applications send from now.

The active sender is the first custom domain (in order: the instance's own email's, then those it links
from the stack's email services) that is verified and linked, from its first sender; until one is, an
Azure-managed domain's first sender; without either, none. The choice is `choose_active_sender`, a pure
function; `active_sender` feeds it the candidates `sender_candidates` makes of `Email` components' outputs,
so it is known once those are: after a deployment, never in a preview.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

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


class SenderCandidateSettings(TypedDict):
    """A `SenderCandidate` as a component input or output: the fields of one, crossing languages."""

    username: str  # its first sender
    from_sender_domain: NotRequired[str]  # what follows @, once Azure has said it
    azure_managed: bool
    verified: bool
    domain_id: NotRequired[str]


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


def sender_candidates(email: "Email", domains: Sequence[DomainConfig]) -> list[pulumi.Output[dict[str, Any]]]:
    """Each domain of `email` (`domains`: its config's, in order) as the active sender sees it, as the
    fields of a `SenderCandidate` (a dictionary: it crosses languages as a component output)."""
    found = []
    for config in domains:
        resource = email.domains[config.name]
        verification = email.verifications.get(config.name)
        found.append(
            pulumi.Output.all(
                resource.id,
                resource.from_sender_domain,
                True if verification is None else verification.verified,  # Azure-managed: verified from the start
            ).apply(
                lambda values, config=config: {
                    "username": config.senders[0].username,
                    "from_sender_domain": values[1],
                    "azure_managed": config.azure_managed,
                    "verified": values[2] is True,
                    "domain_id": values[0],
                }
            )
        )
    return found


def active_sender(
    candidates: Sequence[pulumi.Input[dict[str, Any]]], linked_domain_ids: pulumi.Input[list[str] | None]
) -> pulumi.Output[str | None]:
    """The active sender among `candidates` (`sender_candidates`: the instance's own domains first, then those
    it links from email services it does not own), given what its link reports linked."""
    return pulumi.Output.all(pulumi.Output.all(*candidates), linked_domain_ids).apply(
        lambda values: choose_active_sender([_candidate(c) for c in values[0]], values[1])
    )


def _candidate(fields: dict[str, Any]) -> SenderCandidate:
    """A candidate from its fields, in Python's names or (through the component package) the schema's."""
    return SenderCandidate(**{re.sub(r"([A-Z])", lambda m: f"_{m[1].lower()}", k): v for k, v in fields.items()})
