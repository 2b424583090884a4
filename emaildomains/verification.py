"""DomainVerification: the DNS verification of a custom email domain, started and followed by `pulumi up`.

A custom domain sends mail only once ARM has checked its DNS records (Domain, SPF, DKIM, DKIM2,
DMARC). ARM checks a record only when asked (`initiateVerification`, one call per record type), and
the check takes minutes. This resource asks for every requested type that is not verified yet, and:

- with `wait=True` (the records exist, say as `dns.RecordSet` resources of the same program), follows
  the states until every type is Verified, and fails on a failed record or after `timeout_seconds`;
- with `wait=False` (someone creates the records by hand, later), asks and reports the states without
  failing.

Until it is verified the resource always shows a change, so each `pulumi up` checks a pending domain
again, and asks again for a record that failed (its DNS may have been fixed since).

Like `keyrotation.resource`, the provider is pickled into the state by reference to its class and holds
no data: each operation opens and closes its own client.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic
from azure.core.exceptions import AzureError
from azure.mgmt.communication import CommunicationServiceManagementClient
from azure.mgmt.communication.models import DomainResource, VerificationParameter

from acs_arm import BoundedARMPolling, ClientFactory, OperationTimedOut, default_client, reason
from emaildomains import DomainId, EmailDomainError, parse_domain_id

RECORD_TYPES = ("Domain", "SPF", "DKIM", "DKIM2", "DMARC")
VERIFIED = "Verified"
FAILED = "VerificationFailed"
# ARM is checking these already: asking again would only queue a second check.
IN_PROGRESS = frozenset({"VerificationRequested", "VerificationInProgress"})
# A state ARM does not report at all; treated like NotStarted.
UNKNOWN = "Unknown"
# How often the SDK polls an initiateVerification operation, unless ARM's Retry-After says otherwise.
# The SDK's default is 30 s, for an operation that takes seconds.
LRO_POLLING_INTERVAL = 2.0

# Record type -> attribute of DomainPropertiesVerificationStates / DomainPropertiesVerificationRecords.
_ATTRIBUTES = {"Domain": "domain", "SPF": "spf", "DKIM": "dkim", "DKIM2": "dkim2", "DMARC": "dmarc"}

# Python attribute and argument names <-> the resource's property names in the state.
_PROPERTY_NAMES = {
    "domain_id": "domainId",
    "record_types": "recordTypes",
    "wait": "wait",
    "timeout_seconds": "timeoutSeconds",
    "poll_seconds": "pollSeconds",
    "arm_endpoint": "armEndpoint",
    "verified": "verified",
    "states": "states",
}
_ATTRIBUTE_NAMES = {prop: attribute for attribute, prop in _PROPERTY_NAMES.items()}

Sleep = Callable[[float], None]
Clock = Callable[[], float]


def canonical_record_types(record_types: Sequence[str]) -> list[str]:
    """`record_types` checked, de-duplicated, in the order ARM lists them."""
    if isinstance(record_types, str) or not isinstance(record_types, Sequence) or not record_types:
        raise ValueError(f"record_types must be a non-empty list of {', '.join(RECORD_TYPES)}: {record_types!r}")
    unknown = [t for t in record_types if t not in RECORD_TYPES]
    if unknown:
        raise ValueError(f"unknown record types {unknown!r}; record_types take {', '.join(RECORD_TYPES)}")
    return [t for t in RECORD_TYPES if t in record_types]


def verify_domain(
    client: CommunicationServiceManagementClient,
    domain: DomainId,
    record_types: Sequence[str],
    *,
    wait: bool,
    timeout_seconds: float,
    poll_seconds: float,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
    lro_polling_interval: float = LRO_POLLING_INTERVAL,
) -> dict[str, str]:
    """The verification states of `record_types` after asking ARM to check the ones not verified.

    With `wait`, returns only when all are Verified and raises EmailDomainError on a failed record or
    at the timeout; without, returns the states as they are once the checks are asked for."""
    record_types = canonical_record_types(record_types)
    deadline = clock() + timeout_seconds
    resource = _read(client, domain)
    states = _states(resource, record_types)
    if all(status == VERIFIED for status in states.values()):
        return states
    # NotStarted, VerificationFailed (the DNS may have been fixed since), CancellationRequested, Unknown.
    to_initiate = [t for t, status in states.items() if status != VERIFIED and status not in IN_PROGRESS]
    if to_initiate:
        for record_type in to_initiate:
            _initiate(client, domain, record_type, deadline - clock(), lro_polling_interval)
        resource = _read(client, domain)
        states = _states(resource, record_types)
    if not wait:
        return states
    while True:
        failed = [t for t, status in states.items() if status == FAILED]
        if failed:
            raise EmailDomainError("\n".join(_failure(domain, resource, t) for t in failed))
        if all(status == VERIFIED for status in states.values()):
            return states
        remaining = deadline - clock()
        if remaining <= 0:
            pending = ", ".join(f"{t} ({status})" for t, status in states.items() if status != VERIFIED)
            raise EmailDomainError(
                f"verifying {domain.describe()} timed out after {timeout_seconds:g} s; still pending: {pending}. "
                "Check that the DNS records exist; the next `pulumi up` checks again"
            )
        sleep(min(poll_seconds, remaining))
        resource = _read(client, domain)
        states = _states(resource, record_types)


def _read(client: CommunicationServiceManagementClient, domain: DomainId) -> DomainResource:
    try:
        return client.domains.get(domain.resource_group, domain.email_service, domain.domain)
    except AzureError as error:
        raise EmailDomainError(
            f"reading the verification states of {domain.describe()} failed: {reason(error)}"
        ) from error


def _initiate(
    client: CommunicationServiceManagementClient,
    domain: DomainId,
    record_type: str,
    timeout: float,
    polling_interval: float,
) -> None:
    step = f"initiating the {record_type} verification of {domain.describe()}"
    try:
        # The deadline is the polling's own: a poller's result(timeout=) would return at it and leave its
        # thread polling ARM after this error.
        client.domains.begin_initiate_verification(
            domain.resource_group,
            domain.email_service,
            domain.domain,
            VerificationParameter(verification_type=record_type),
            polling=BoundedARMPolling(client, polling_interval, max(timeout, 0)),
        ).result()
    except OperationTimedOut as error:
        raise EmailDomainError(f"{step} failed: the operation did not finish in time") from error
    except AzureError as error:
        raise EmailDomainError(f"{step} failed: {reason(error)}") from error


def _states(resource: DomainResource, record_types: Sequence[str]) -> dict[str, str]:
    states = resource.verification_states
    records = {t: getattr(states, _ATTRIBUTES[t], None) if states is not None else None for t in record_types}
    # A status may come as a VerificationStatus (a str enum): its value is ARM's string.
    return {
        t: str(getattr(record.status, "value", record.status)) if record is not None and record.status else UNKNOWN
        for t, record in records.items()
    }


def _failure(domain: DomainId, resource: DomainResource, record_type: str) -> str:
    status = getattr(resource.verification_states, _ATTRIBUTES[record_type])
    dns = (
        getattr(resource.verification_records, _ATTRIBUTES[record_type], None)
        if resource.verification_records
        else None
    )
    if dns is not None and dns.type and dns.name and dns.value:
        verb = "points to" if dns.type.upper() == "CNAME" else "holds"
        hint = f"check the {dns.type} record '{dns.name}' of {domain.domain} {verb} '{dns.value}'"
    else:
        hint = "check the record the domain's verificationRecords list"
    return (
        f"{record_type} record of {domain.domain} failed verification: {status.error_code or 'no error code'}; "
        f"{hint} (email service '{domain.email_service}', resource group '{domain.resource_group}')"
    )


class DomainVerificationProvider(pulumi.dynamic.ResourceProvider):
    """Pulumi calls create, diff, update and delete; the `*_with` methods hold the logic and take the
    client factory, the sleep and the clock, so tests can point them at another endpoint and time."""

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        return self.create_with(props, default_client)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        replaced = str(olds.get("domainId", "")).lower() != str(news.get("domainId", "")).lower()
        changed = replaced or _inputs(olds) != _inputs(news) or olds.get("verified") is not True
        replaces = ["domainId"] if replaced else []
        return pulumi.dynamic.DiffResult(changes=changed, replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        return self.update_with(olds, news, default_client)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # Verification is a state of the domain resource, not something this resource owns: ARM has no
        # call to un-verify a record, and the states go with the domain when it is deleted. Dropping
        # this resource only stops `pulumi up` from checking them.
        pass

    def create_with(
        self,
        props: dict[str, Any],
        client_factory: ClientFactory,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        lro_polling_interval: float = LRO_POLLING_INTERVAL,
    ) -> pulumi.dynamic.CreateResult:
        outs = self._outputs(props, client_factory, sleep, clock, lro_polling_interval)
        return pulumi.dynamic.CreateResult(id_=props["domainId"], outs=outs)

    def update_with(
        self,
        _olds: dict[str, Any],
        news: dict[str, Any],
        client_factory: ClientFactory,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        lro_polling_interval: float = LRO_POLLING_INTERVAL,
    ) -> pulumi.dynamic.UpdateResult:
        # The old states say nothing about now: read them again, as create does.
        return pulumi.dynamic.UpdateResult(outs=self._outputs(news, client_factory, sleep, clock, lro_polling_interval))

    def _outputs(
        self,
        props: dict[str, Any],
        client_factory: ClientFactory,
        sleep: Sleep,
        clock: Clock,
        lro_polling_interval: float,
    ) -> dict[str, Any]:
        domain = parse_domain_id(props["domainId"])
        record_types = canonical_record_types(props["recordTypes"])
        with client_factory(domain.subscription, props["armEndpoint"]) as client:
            states = verify_domain(
                client,
                domain,
                record_types,
                wait=bool(props["wait"]),
                # Numbers come back from the state as floats.
                timeout_seconds=float(props["timeoutSeconds"]),
                poll_seconds=float(props["pollSeconds"]),
                sleep=sleep,
                clock=clock,
                lro_polling_interval=lro_polling_interval,
            )
        return {
            "domainId": props["domainId"],
            "recordTypes": record_types,
            "wait": bool(props["wait"]),
            "timeoutSeconds": int(float(props["timeoutSeconds"])),
            "pollSeconds": float(props["pollSeconds"]),
            "armEndpoint": props["armEndpoint"],
            "verified": all(status == VERIFIED for status in states.values()),
            "states": states,
        }


def _inputs(props: dict[str, Any]) -> tuple[Any, ...]:
    """The inputs as diff compares them: record types as a set, numbers as numbers."""

    def number(key: str) -> float | None:
        value = props.get(key)
        return None if value is None else float(value)

    return (
        frozenset(props.get("recordTypes") or ()),
        bool(props.get("wait")),
        number("timeoutSeconds"),
        number("pollSeconds"),
        props.get("armEndpoint"),
    )


@dataclass(frozen=True)
class DomainVerificationArgs:
    domain_id: pulumi.Input[str]  # /subscriptions/../emailServices/<service>/domains/<domain>
    record_types: Sequence[str]  # a subset of RECORD_TYPES
    wait: bool  # True: the DNS records exist, wait until verified; False: ask, report, do not fail
    timeout_seconds: int
    poll_seconds: float = 15
    arm_endpoint: str = "https://management.azure.com"

    def __post_init__(self) -> None:
        # Checked and put in the order the resource registers them, once.
        object.__setattr__(self, "record_types", canonical_record_types(self.record_types))
        if not isinstance(self.wait, bool):
            raise ValueError(f"wait must be true or false: {self.wait!r}")
        if (
            isinstance(self.timeout_seconds, bool)
            or not isinstance(self.timeout_seconds, int)
            or self.timeout_seconds < 1
        ):
            raise ValueError(f"timeout_seconds must be a whole number of seconds, at least 1: {self.timeout_seconds!r}")
        if (
            isinstance(self.poll_seconds, bool)
            or not isinstance(self.poll_seconds, int | float)
            or self.poll_seconds <= 0
        ):
            raise ValueError(f"poll_seconds must be a positive number: {self.poll_seconds!r}")
        if isinstance(self.domain_id, str):
            parse_domain_id(self.domain_id)


class DomainVerification(pulumi.dynamic.Resource, module="emaildomains", name="DomainVerification"):
    """The verification of one custom email domain's DNS records."""

    domain_id: pulumi.Output[str]
    verified: pulumi.Output[bool]
    states: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: DomainVerificationArgs, opts: pulumi.ResourceOptions | None = None):
        props = {
            "domain_id": args.domain_id,
            "record_types": args.record_types,
            "wait": args.wait,
            "timeout_seconds": args.timeout_seconds,
            "poll_seconds": args.poll_seconds,
            "arm_endpoint": args.arm_endpoint,
            "verified": None,
            "states": None,
        }
        super().__init__(DomainVerificationProvider(), name, props, opts)

    def translate_input_property(self, prop: str) -> str:
        return _PROPERTY_NAMES.get(prop, prop)

    def translate_output_property(self, prop: str) -> str:
        return _ATTRIBUTE_NAMES.get(prop, prop)
