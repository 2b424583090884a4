"""Email services of the stack on their own (`acs-platform:emailServices`), as Azure Verified Modules'
email-service module deploys them: an email service and its domains that no one instance owns. An
instance sends from their domains by naming them in its `linkedDomains` (`<service>/<domain>`), as AVM's
communication-service module takes domain ids; several instances may link domains of one service, each
in the service's data location (ARM refuses a domain of another one: InvalidLinkedDomains)."""

from typing import Annotated

from . import azure_rules as rules
from .email import DomainConfig
from .fields import ConfigModel, DataLocation, Tags, matching, unique_by
from .interface import EmailLockConfig, RoleAssignments

EmailServiceName = Annotated[str, matching(rules.EMAIL_SERVICE_NAME, "1 to 63 letters, digits and '-'")]


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
