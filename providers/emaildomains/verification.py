"""DomainVerification: the DNS verification of a custom email domain, started and followed by `pulumi up`.

A custom domain sends mail only once ARM has checked its DNS records (Domain, SPF, DKIM, DKIM2,
DMARC). ARM checks a record only when asked (`initiateVerification`, one call per record type), and
the check takes minutes. This resource asks for every requested type that is not verified yet, all at
once: ARM's `202 Accepted` means the check is queued, and how each check ends shows in the domain's
`verificationStates`, which one GET reads for every record. Then:

- with `wait=True` (the records exist, say as `dns.RecordSet` resources of the same program), it reads
  the states until every type is Verified, never sooner than ARM's Retry-After (60 s after an
  initiation) allows, and fails on a failed record, or when the next read ARM allows would come after
  `timeout_seconds`, saying how long it really waited and what is still pending;
- with `wait=False` (someone creates the records by hand, later), it asks, reads the states once and
  reports them without failing.

Until it is verified the resource always shows a change, so each `pulumi up` checks a pending domain
again, and asks again for a record that failed (its DNS may have been fixed since). A verified domain
does not stay verified by itself (a DNS record deleted, ARM checking again): `read` (`pulumi refresh`)
reports the states ARM has now, and `diff` makes one GET for a domain the state says is verified, so
that `pulumi up` verifies it again, and the link follows, once ARM no longer says Verified.

Like `providers.keyrotation.resource`, the provider is pickled into the state by reference to its class and holds
no data: each operation opens and closes its own client. Every wait goes through a `Clock`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic
from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import RetryPolicy
from azure.mgmt.communication import CommunicationServiceManagementClient
from azure.mgmt.communication.models import DomainResource, VerificationParameter

from providers.arm import ClientFactory, default_client, reason
from providers.emaildomains import DomainId, EmailDomainError, parse_domain_id
from providers.retry import SYSTEM_CLOCK, Clock

RECORD_TYPES = ("Domain", "SPF", "DKIM", "DKIM2", "DMARC")
VERIFIED = "Verified"
FAILED = "VerificationFailed"
# ARM is checking these already: asking again would only queue a second check.
IN_PROGRESS = frozenset({"VerificationRequested", "VerificationInProgress"})
# A state ARM does not report at all; treated like NotStarted.
UNKNOWN = "Unknown"
# Not an ARM state: a record this run asked ARM to check, not read since. Only error messages show it.
REQUESTED = "check requested"

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

# Reads Retry-After as azure-core does (seconds or an HTTP date), without the retry policy's cap: a
# Retry-After past the deadline must end the wait, not be shortened into an early read.
_RETRY_AFTER = RetryPolicy()


def canonical_record_types(record_types: Sequence[str]) -> list[str]:
    """`record_types` checked, de-duplicated, in the order ARM lists them."""
    if isinstance(record_types, str) or not isinstance(record_types, Sequence) or not record_types:
        raise ValueError(f"record_types must be a non-empty list of {', '.join(RECORD_TYPES)}: {record_types!r}")
    unknown = [t for t in record_types if t not in RECORD_TYPES]
    if unknown:
        raise ValueError(f"unknown record types {unknown!r}; record_types take {', '.join(RECORD_TYPES)}")
    return [t for t in RECORD_TYPES if t in record_types]


class _RetryAfter:
    """A `raw_response_hook`: the Retry-After, in seconds (0 without one), of a call's final answer. The
    hook runs after the retry policy, once per attempt, so the last answer it sees is the one returned."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, response: PipelineResponse) -> None:
        self.seconds = _RETRY_AFTER.get_retry_after(response) or 0.0


@dataclass(frozen=True)
class _Reading:
    resource: DomainResource
    retry_after: float  # seconds ARM asks to wait before reading again; 0 when it does not say


def verify_domain(
    client: CommunicationServiceManagementClient,
    domain: DomainId,
    record_types: Sequence[str],
    *,
    wait: bool,
    timeout_seconds: float,
    poll_seconds: float,
    clock: Clock = SYSTEM_CLOCK,
) -> dict[str, str]:
    """The verification states of `record_types` after asking ARM to check the ones not verified.

    With `wait`, returns only when all are Verified and raises EmailDomainError on a failed record or
    at the deadline; without, returns the states as ARM shows them once the checks are asked for."""
    record_types = canonical_record_types(record_types)
    started = clock.monotonic()
    reading = _read(client, domain)
    states = _states(reading.resource, record_types)
    # NotStarted, VerificationFailed (the DNS may have been fixed since), CancellationRequested, Unknown.
    to_initiate = [t for t, status in states.items() if status != VERIFIED and status not in IN_PROGRESS]
    retry_after = reading.retry_after
    for record_type in to_initiate:
        retry_after = max(retry_after, _initiate(client, domain, record_type))
    if not wait:
        # One read shows what ARM made of the requests; the next `pulumi up` looks again.
        return _states(_read(client, domain).resource, record_types) if to_initiate else states
    # The states read before the requests say nothing about those records any more.
    states = {**states, **dict.fromkeys(to_initiate, REQUESTED)}
    return _await_verified(
        client, domain, _Reading(reading.resource, retry_after), states, started, timeout_seconds, poll_seconds, clock
    )


def _await_verified(
    client: CommunicationServiceManagementClient,
    domain: DomainId,
    reading: _Reading,
    states: dict[str, str],
    started: float,
    timeout_seconds: float,
    poll_seconds: float,
    clock: Clock,
) -> dict[str, str]:
    """Reads the states every `poll_seconds`, or after ARM's Retry-After where it asks for longer,
    until all are Verified; raises on a failed record, and at the deadline."""
    deadline = started + timeout_seconds
    while True:
        failed = [t for t, status in states.items() if status == FAILED]
        if failed:
            raise EmailDomainError("\n".join(_failure(domain, reading.resource, t) for t in failed))
        if all(status == VERIFIED for status in states.values()):
            return states
        now = clock.monotonic()
        if now >= deadline or now + reading.retry_after > deadline:
            raise EmailDomainError(_timed_out(domain, states, now - started, timeout_seconds, reading.retry_after))
        clock.sleep(min(max(poll_seconds, reading.retry_after), deadline - now))
        reading = _read(client, domain)
        states = _states(reading.resource, list(states))


def _timed_out(
    domain: DomainId, states: dict[str, str], waited: float, timeout_seconds: float, retry_after: float
) -> str:
    pending = ", ".join(f"{t} ({status})" for t, status in states.items() if status != VERIFIED)
    if waited < timeout_seconds:
        # ARM asked not to read again before the deadline: waiting longer could not have helped.
        stop = (
            f"stopped after {waited:.0f} s: ARM asks to be asked again in {retry_after:g} s, "
            f"past the {timeout_seconds:g} s timeout"
        )
    else:
        stop = f"timed out after {waited:.0f} s"
    return (
        f"verifying {domain.describe()} {stop}; still pending: {pending}. "
        "Check that the DNS records exist; the next `pulumi up` checks again"
    )


def _read(client: CommunicationServiceManagementClient, domain: DomainId) -> _Reading:
    retry_after = _RetryAfter()
    try:
        resource = client.domains.get(
            domain.resource_group, domain.email_service, domain.domain, raw_response_hook=retry_after
        )
    except AzureError as error:
        raise EmailDomainError(
            f"reading the verification states of {domain.describe()} failed: {reason(error)}"
        ) from error
    return _Reading(resource, retry_after.seconds)


def _initiate(client: CommunicationServiceManagementClient, domain: DomainId, record_type: str) -> float:
    """Asks ARM to check one record; returns the Retry-After of its answer, in seconds."""
    retry_after = _RetryAfter()
    try:
        # ARM's 202 is the answer this needs: the check is queued. Following the operation (its Location,
        # with Retry-After: 60) would cost a minute per record and say less than the domain's states,
        # which show how every check ends.
        client.domains.begin_initiate_verification(
            domain.resource_group,
            domain.email_service,
            domain.domain,
            VerificationParameter(verification_type=record_type),
            polling=False,
            raw_response_hook=retry_after,
        )
    except AzureError as error:
        raise EmailDomainError(
            f"initiating the {record_type} verification of {domain.describe()} failed: {reason(error)}"
        ) from error
    return retry_after.seconds


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
    """Pulumi calls create, read, diff, update and delete; the `*_with` methods hold the logic and take
    the client factory (and, where they wait, the clock), so tests can point them at another endpoint and
    time."""

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        return self.create_with(props, default_client)

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        return self.read_with(id_, props, default_client)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        return self.diff_with(olds, news, default_client)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        return self.update_with(olds, news, default_client)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # Verification is a state of the domain resource, not something this resource owns: ARM has no
        # call to un-verify a record, and the states go with the domain when it is deleted. Dropping
        # this resource only stops `pulumi up` from checking them.
        pass

    def create_with(
        self, props: dict[str, Any], client_factory: ClientFactory, clock: Clock = SYSTEM_CLOCK
    ) -> pulumi.dynamic.CreateResult:
        return pulumi.dynamic.CreateResult(id_=props["domainId"], outs=self._verify(props, client_factory, clock))

    def read_with(self, id_: str, props: dict[str, Any], client_factory: ClientFactory) -> pulumi.dynamic.ReadResult:
        """The states as ARM has them now, from one GET; nothing is asked for."""
        domain = parse_domain_id(props["domainId"])
        record_types = canonical_record_types(props["recordTypes"])
        with client_factory(domain.subscription, props["armEndpoint"]) as client:
            try:
                reading = _read(client, domain)
            except EmailDomainError as error:
                if isinstance(error.__cause__, ResourceNotFoundError):
                    # The domain is gone, and its verification with it: a blank id tells the engine so.
                    return pulumi.dynamic.ReadResult(id_="", outs={})
                raise
        return pulumi.dynamic.ReadResult(id_=id_, outs=_state(props, _states(reading.resource, record_types)))

    def diff_with(
        self, olds: dict[str, Any], news: dict[str, Any], client_factory: ClientFactory
    ) -> pulumi.dynamic.DiffResult:
        replaced = str(olds.get("domainId", "")).lower() != str(news.get("domainId", "")).lower()
        replaces = ["domainId"] if replaced else []
        if replaced or _inputs(olds) != _inputs(news) or olds.get("verified") is not True:
            return pulumi.dynamic.DiffResult(changes=True, replaces=replaces, delete_before_replace=False)
        return pulumi.dynamic.DiffResult(
            changes=not _still_verified(olds, client_factory), replaces=replaces, delete_before_replace=False
        )

    def update_with(
        self,
        _olds: dict[str, Any],
        news: dict[str, Any],
        client_factory: ClientFactory,
        clock: Clock = SYSTEM_CLOCK,
    ) -> pulumi.dynamic.UpdateResult:
        # The old states say nothing about now: read them again, as create does.
        return pulumi.dynamic.UpdateResult(outs=self._verify(news, client_factory, clock))

    def _verify(self, props: dict[str, Any], client_factory: ClientFactory, clock: Clock) -> dict[str, Any]:
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
                clock=clock,
            )
        return _state(props, states)


def _still_verified(props: dict[str, Any], client_factory: ClientFactory) -> bool:
    """Whether ARM still says Verified for every record the state says is, from one GET.

    A failed GET counts as not verified: failing would stop the whole preview over one read that a
    moment later may succeed, and "verified" would be a claim nobody checked. The update this plans
    reads again, and reports the error, naming the step, if it persists."""
    domain = parse_domain_id(props["domainId"])
    with client_factory(domain.subscription, props["armEndpoint"]) as client:
        try:
            reading = _read(client, domain)
        except EmailDomainError:
            return False
    states = _states(reading.resource, canonical_record_types(props["recordTypes"]))
    return all(status == VERIFIED for status in states.values())


def _state(props: dict[str, Any], states: dict[str, str]) -> dict[str, Any]:
    """The resource's state: its inputs as the state keeps them, and the states ARM reported."""
    return {
        "domainId": props["domainId"],
        "recordTypes": canonical_record_types(props["recordTypes"]),
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
