"""The Azure names the program gives what a stack's configuration declares, where the configuration does
not give them itself: one place, read by the components that create the resources and by the validation
of `acs-platform:adopt`, which must know which existing resource each declared one is."""

import uuid

# Stable ids for suppressed addresses: the same address is always the same child resource.
ADDRESS_NAMESPACE = uuid.UUID("0b5f3c1e-8a47-4e1b-9c2d-7e6f5a4b3c21")


def dashed_name(instance: str, *, prefix: str = "", suffix: str = "", max_length: int = 63) -> str:
    """`prefix + instance + suffix` for an Azure name of letters, digits and '-': ACS names may
    also have '_', which becomes '-'. Cut to `max_length`, never ending in '-'."""
    return f"{prefix}{instance.replace('_', '-')}{suffix}"[:max_length].rstrip("-")


def default_email_service_name(instance: str) -> str:
    """Email service names take letters, digits and '-', up to 63 of them."""
    return dashed_name(instance, prefix="email-")


def default_topic_name(instance: str) -> str:
    """The Event Grid system topic of an instance's events."""
    return f"evgt-{instance}"


def default_sender_name(username: str) -> str:
    """A sender username's resource name: ARM names are case-insensitive, so one per username whatever
    its case."""
    return username.lower()


def default_address_id(email: str) -> str:
    """A suppressed address's resource name: a UUID of the address, so the same address is always the
    same child resource."""
    return str(uuid.uuid5(ADDRESS_NAMESPACE, email.lower()))
