"""Email services of the stack on their own (`acs-platform:emailServices`), as Azure Verified Modules'
email-service module deploys them: an email service and its domains that no one instance owns. An
instance sends from their domains by naming them in its `linkedDomains` (`<service>/<domain>`), as AVM's
communication-service module takes domain ids; several instances may link domains of one service, each
in the service's data location (ARM refuses a domain of another one: InvalidLinkedDomains)."""

from typing import Annotated

from pydantic import AfterValidator

from . import azure_rules as rules
from .email import DomainConfig, EmailServiceName
from .fields import ConfigModel, DataLocation, Tags, unique_by
from .interface import EmailLockConfig, RoleAssignments


class EmailServiceConfig(ConfigModel):
    name: EmailServiceName
    data_location: DataLocation
    # None: a service with no domain yet (AVM's email-service `defaults`): there is nothing to link.
    domains: Annotated[list[DomainConfig], unique_by("the domain", lambda d: d.name)] = []
    tags: Tags = {}  # on the service and its domains, on top of the stack's
    # AVM's lock and roleAssignments on the email service (stackconfig/interface.py): none by default.
    lock: EmailLockConfig | None = None
    role_assignments: RoleAssignments = []


def linked_domain_reference(value: str) -> tuple[str, str] | None:
    """(service, domain) of a `<service>/<domain>` entry of an instance's linkedDomains; None for a resource id."""
    if value.startswith("/"):
        return None
    service, _, domain = value.partition("/")
    return service, domain


def _linked_domain(value: str) -> str:
    reference = linked_domain_reference(value)
    if reference is None:
        if not rules.EMAIL_DOMAIN_ID.match(value):
            raise ValueError(f"is not {rules.EMAIL_DOMAIN_ID_RULE}")
    elif not (rules.EMAIL_SERVICE_NAME.match(reference[0]) and reference[1]):
        raise ValueError(
            f"must be <email service>/<domain> (of acs-platform:emailServices) or {rules.EMAIL_DOMAIN_ID_RULE}"
        )
    return value


# An entry of an instance's linkedDomains: `<service>/<domain>`, or a domain's resource id.
LinkedDomain = Annotated[str, AfterValidator(_linked_domain)]
