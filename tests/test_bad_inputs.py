"""A corpus of bad stack files and command lines, and of unusual stacks that must plan.

Every bad case runs `python -m preflight plan|check` (in-process through `main`, a few from the
shell) and must end with exit 2, no traceback, and an error that names the key and, unless it is
a secret, the value. The stack texts are raw YAML: how YAML 1.2 reads `no`, `on:`, a duplicate key
or an unquoted date is the point. Expected fragments are the key path and the value, plus a few
words of intent (`true or false`, `did you mean`) matched loosely, so rewording does not break them.

The good-but-unusual stacks are files under tests/corpus/good; they must plan (exit 0), and no
`secure:` ciphertext or plain credential may appear in any plan, report or error.
"""

import json
import logging
import re
import subprocess
import sys
import textwrap
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from preflight.__main__ import main
from tests.stacks import ACS, LOCK, REPO, RESOURCE_GROUP, TENANT

CORPUS = REPO / "tests" / "corpus"
GOOD = CORPUS / "good"

# What an error says, loosely: the words of intent, not the sentence.
BOOLEAN = re.compile(r"(?i)true or false|boolean")
SUGGESTION = re.compile(r"(?i)did you mean")
REQUIRED = re.compile(r"(?i)required|empty|missing|no value|at least 1 character")
UNKNOWN = re.compile(r"(?i)unknown|not a key|unexpected")
DUPLICATE = re.compile(r"(?i)duplicate|more than once|already (defined|set|given)|twice")
A_LIST = re.compile(r"(?i)list|sequence|array")
A_MAPPING = re.compile(r"(?i)mapping|dictionary|object|map of")
AN_INTEGER = re.compile(r"(?i)integer|whole number")
A_DATE = re.compile(r"(?i)date")
IN_THE_PAST = re.compile(r"(?i)past|already expired|before now|in the future")
SECRET = re.compile(r"(?i)secret|secure")
STACK_NAME = re.compile(r"(?i)stack name|name of a stack|not a valid stack|stack names")
NOT_THERE = re.compile(r"(?i)no such|does not exist|not found|missing|not a (folder|directory)")
UTF8 = re.compile(r"(?i)utf-?8")


def quoted(value: str) -> re.Pattern:
    """The offending value as an error quotes it, in single or double quotes."""
    return re.compile(r"""['"]""" + re.escape(value) + r"""['"]""")


# ---------------------------------------------------------------------------------------------
# Stack texts: the smallest valid stack, as raw YAML, with raw YAML changes on top.

HEADER = {
    "azure-native:location": "westeurope",
    "azure-native:tenantId": TENANT,
    "acs-platform:tier": "dev",
    "acs-platform:owner": "platform-team@contoso.com",
    "acs-platform:costCenter": "CC-4711",
}
INSTANCE = {"name": "acs-test-eu", "dataLocation": "Europe"}


def _lines(text: str, indent: int) -> list[str]:
    return [" " * indent + line if line.strip() else "" for line in textwrap.dedent(text).strip("\n").splitlines()]


def _fields(fields: dict[str, str | None], indent: int, first: str = "") -> list[str]:
    """`key: value` lines; a value that starts with a newline is a block below its key; None drops it."""
    lines = []
    for key, value in fields.items():
        if value is None:
            continue
        lead = first if not lines and first else " " * indent
        if value.startswith("\n"):
            lines.append(f"{lead}{key}:")
            lines += _lines(value, indent + 2)
        else:
            lines.append(f"{lead}{key}: {value}".rstrip())
    return lines


def stack(
    config: dict[str, str | None] | None = None,
    extra: str = "",
    instance: dict[str, str | None] | None = None,
    instances: str | None = None,
) -> str:
    """A stack file: the header keys (`config` replaces or, with None, drops them), raw `extra`
    lines at the config level, then one instance with `instance` keys, or raw `instances`."""
    lines = ["config:", *_fields({**HEADER, **(config or {})}, 2)]
    lines += _lines(extra, 2) if extra else []
    if instances is None:
        lines += ["  acs-platform:instances:", *_fields({**INSTANCE, **(instance or {})}, 6, first="    - ")]
    elif instances:
        lines += _lines(instances, 2)
    return "\n".join(lines) + "\n"


def block(fields: dict[str, str | None], list_item: bool = False) -> str:
    """A raw YAML block for a nested key's value (starts with a newline), optionally one list item."""
    return "\n" + "\n".join(_fields(fields, 2 if list_item else 0, first="- " if list_item else ""))


WEBHOOK = "\nwebhook:\n  url: https://hooks.contoso.example/sms"


def events(destination: str = WEBHOOK, **subscription: str | None) -> dict[str, str]:
    """An instance with one event subscription; `subscription` keys are raw YAML values."""
    fields = {
        "name": "sms-received",
        "eventTypes": "[Microsoft.Communication.SMSReceived]",
        "destination": destination,
        **subscription,
    }
    return {"events": "\nsubscriptions:" + textwrap.indent(block(fields, list_item=True), "  ")}


def email(**domain: str | None) -> dict[str, str]:
    return {"email": "\ndomains:" + textwrap.indent(block({"name": "mail.contoso.com", **domain}, True), "  ")}


def pool(**overrides: str | None) -> dict[str, str]:
    fields = {
        "name": "sms",
        "countryCode": "US",
        "numberType": "tollFree",
        "sms": "inbound+outbound",
        "quantity": "1",
        **overrides,
    }
    return {"phoneNumbers": "\npools:" + textwrap.indent(block(fields, list_item=True), "  ")}


I0 = "acs-platform:instances[0]"
SUB0 = f"{I0}.events.subscriptions[0]"
DOMAIN0 = f"{I0}.email.domains[0]"
POOL0 = f"{I0}.phoneNumbers.pools[0]"
KEY = "FuncKey9f8e7d6c5b4a3210zyxwvu"  # a plain credential in a webhook URL: never to be repeated
CIPHERTEXT = "v1:UExBSU4tQ0lQSEVSVEVYVC1USUVS:dGllci1jaXBoZXJ0ZXh0"
LONG_NAME = "stack-" + "a" * 95  # 101 characters: Pulumi takes at most 100


@dataclass
class Bad:
    id: str
    text: str | bytes | None  # the stack file `Pulumi.<stack>.yaml`; None: none is written
    expect: list  # fragments of stderr: exact strings ("{tmp}" is the case's folder) or patterns
    argv: list[str] = field(default_factory=list)  # after `--stack S --stacks-dir {tmp}`
    stack: str = "bad"
    command: str = "plan"
    hidden: list[str] = field(default_factory=list)  # never in any output: secrets, misread values
    shell: bool = False  # from the shell, as a user runs it, rather than in-process
    file: str | None = None  # the stack the file is written for, when not `stack`


BAD = [
    # --- YAML 1.2, as the Pulumi CLI reads stack files ----------------------------------------
    Bad("yaml12/no-is-a-string", stack(instance={"disableLocalAuth": "no"}),
        [f"{I0}.disableLocalAuth", quoted("no"), BOOLEAN]),
    Bad("yaml12/off-is-a-string", stack(extra="acs-platform:protection:\n  protect: off"),
        ["acs-platform:protection.protect", quoted("off"), BOOLEAN]),
    Bad("yaml12/on-is-a-string", stack(instance=email(engagementTracking="on")),
        [f"{DOMAIN0}.engagementTracking", quoted("on"), BOOLEAN]),
    Bad("yaml12/yes-is-a-string", stack(extra="acs-platform:resourceGroup:\n  name: rg-x\n  existing: yes"),
        ["acs-platform:resourceGroup.existing", quoted("yes"), BOOLEAN]),
    Bad("yaml12/Off-is-a-string",
        stack(instance={"email": "\ndomains:\n  - name: AzureManagedDomain\nexclusiveLinkedDomains: Off"}),
        [f"{I0}.email.exclusiveLinkedDomains", quoted("Off"), BOOLEAN]),
    Bad("yaml12/duplicate-tier", stack(extra="acs-platform:tier: prod"),
        ["acs-platform:tier", DUPLICATE]),
    Bad("yaml12/duplicate-key-in-an-instance", stack(instance={"dataLocation": "Europe\n      dataLocation: UK"}),
        ["dataLocation", DUPLICATE]),
    Bad("yaml12/tier-with-and-without-namespace", stack(extra="tier: prod"),
        ["acs-platform:tier", DUPLICATE]),
    Bad("yaml12/stray-on-key-in-config", stack(extra="on: push"),
        ["acs-platform:on", UNKNOWN], shell=True),
    Bad("yaml12/stray-on-key-in-an-instance", stack(instance={"on": "true"}),
        [f"{I0}.on", UNKNOWN], hidden=[f"{I0}.true"]),
    Bad("yaml12/unquoted-date-month-13", stack(extra="acs-platform:keyRotation:\n  startDate: 2026-13-01"),
        ["acs-platform:keyRotation.startDate", "2026-13-01", A_DATE], shell=True),
    Bad("yaml12/unquoted-date-february-30", stack(extra="acs-platform:keyRotation:\n  startDate: 2026-02-30"),
        ["acs-platform:keyRotation.startDate", "2026-02-30", A_DATE]),
    Bad("yaml12/unquoted-date-time-month-13", stack(instance=events(expiresOn="2026-13-01T00:00:00Z")),
        [f"{SUB0}.expiresOn", "2026-13-01", A_DATE]),
    Bad("yaml12/not-utf-8", stack(config={"acs-platform:owner": "Ren\xe9 M\xfcller"}).encode("latin-1"),
        ["Pulumi.bad.yaml", UTF8], shell=True),
    Bad("yaml12/not-valid-yaml", stack(extra="acs-platform:tags: {team: sms"),
        ["Pulumi.bad.yaml", re.compile(r"(?i)yaml")]),
    Bad("yaml12/config-is-a-list", "config:\n  - acs-platform:tier: dev\n",
        ["Pulumi.bad.yaml", "config", A_MAPPING]),
    Bad("yaml12/config-is-text", "config: acs-platform:tier=dev\n",
        ["Pulumi.bad.yaml", "config", A_MAPPING]),
    Bad("yaml12/document-is-a-list", "- config:\n    acs-platform:tier: dev\n",
        ["Pulumi.bad.yaml", "config", A_MAPPING]),
    Bad("yaml12/config-key-is-a-number", stack(extra="42: answer"),
        ["42", UNKNOWN]),
    Bad("yaml12/no-config", "# nothing configured yet\n",
        ["azure-native:location", "acs-platform:tier", "acs-platform:instances", REQUIRED]),
    # --- empty values -------------------------------------------------------------------------
    Bad("empty/owner", stack(config={"acs-platform:owner": ""}),
        ["acs-platform:owner", REQUIRED], hidden=["'null'"]),
    Bad("empty/cost-center", stack(config={"acs-platform:costCenter": ""}),
        ["acs-platform:costCenter", REQUIRED], hidden=["'null'"]),
    Bad("empty/tier", stack(config={"acs-platform:tier": ""}),
        ["acs-platform:tier", REQUIRED], hidden=["'null'"]),
    Bad("empty/location", stack(config={"azure-native:location": ""}),
        ["azure-native:location", REQUIRED], hidden=["'null'"]),
    Bad("empty/instances", stack(instances="acs-platform:instances:"),
        ["acs-platform:instances", REQUIRED], hidden=["'null'"]),
    Bad("empty/instance-name", stack(instance={"name": ""}),
        [f"{I0}.name", REQUIRED], hidden=["None"]),
    Bad("empty/owner-quoted", stack(config={"acs-platform:owner": '""'}),
        ["acs-platform:owner", REQUIRED]),
    # --- tags: Azure's limits on tag names and values -----------------------------------------
    Bad("tags/owner-over-256", stack(config={"acs-platform:owner": "platform-team-" + "x" * 243}),
        ["acs-platform:owner", "platform-team-xxxx", "256"]),
    Bad("tags/cost-center-over-256", stack(config={"acs-platform:costCenter": "CC-" + "4" * 254}),
        ["acs-platform:costCenter", "CC-4444", "256"]),
    Bad("tags/environment-over-256", stack(extra="acs-platform:environment: staging-" + "e" * 250),
        ["acs-platform:environment", "staging-eeee", "256"]),
    Bad("tags/tag-value-over-256", stack(extra="acs-platform:tags:\n  team: " + "t" * 257),
        ["acs-platform:tags", "team", "256"]),
    Bad("tags/instance-tag-value-over-256", stack(instance={"tags": "\nteam: " + "t" * 257}),
        [f"{I0}.tags", "team", "256"]),
    Bad("tags/tag-name-with-lt", stack(extra='acs-platform:tags:\n  "a<b": x'),
        ["acs-platform:tags", quoted("a<b")]),
    Bad("tags/tag-name-with-percent", stack(extra='acs-platform:tags:\n  "50%": x'),
        ["acs-platform:tags", quoted("50%")]),
    Bad("tags/instance-tag-name-with-question-mark", stack(instance={"tags": '\n"why?": x'}),
        [f"{I0}.tags", quoted("why?")]),
    # --- event subscriptions ------------------------------------------------------------------
    Bad("events/expires-in-the-past", stack(instance=events(expiresOn="2020-01-01T00:00:00Z")),
        [f"{SUB0}.expiresOn", "2020-01-01", IN_THE_PAST]),
    Bad("events/expires-in-the-past-quoted", stack(instance=events(expiresOn='"2024-06-30T12:00:00Z"')),
        [f"{SUB0}.expiresOn", "2024-06-30", IN_THE_PAST]),
    Bad("events/http-webhook", stack(instance=events("\nwebhook:\n  url: http://hooks.contoso.example/sms")),
        [f"{SUB0}.destination.webhook.url", "http://hooks.contoso.example/sms", "https"]),
    Bad("events/webhook-with-code-in-query",
        stack(instance=events(f"\nwebhook:\n  url: https://func-sms.azurewebsites.net/api/sms?code={KEY}")),
        [f"{SUB0}.destination.webhook.url", SECRET], hidden=[KEY]),
    Bad("events/webhook-with-sig-in-query",
        stack(instance=events(f"\nwebhook:\n  url: https://hooks.contoso.example/sms?sv=2024-01-01&sig={KEY}%3D")),
        [f"{SUB0}.destination.webhook.url", SECRET], hidden=[KEY]),
    Bad("events/string-in-with-value",
        stack(instance=events(advancedFilters='\n- operatorType: StringIn\n  key: data.to\n  value: "+14255550100"')),
        [f"{SUB0}.advancedFilters[0]", "StringIn", "values"]),
    Bad("events/number-in-with-value",
        stack(instance=events(advancedFilters="\n- operatorType: NumberIn\n  key: data.segments\n  value: 5")),
        [f"{SUB0}.advancedFilters[0]", "NumberIn", "values"]),
    Bad("events/number-greater-than-with-values",
        stack(instance=events(advancedFilters="\n- operatorType: NumberGreaterThan\n  key: data.size\n  values: [5]")),
        [f"{SUB0}.advancedFilters[0]", "NumberGreaterThan", "value"]),
    Bad("events/event-type-in-the-wrong-case",
        stack(instance=events(eventTypes="[Microsoft.Communication.SmsReceived]")),
        [f"{SUB0}.eventTypes[0]", quoted("Microsoft.Communication.SmsReceived")]),
    Bad("events/unknown-key", stack(instance=events(deadLeter="false")),
        [f"{SUB0}.deadLeter", UNKNOWN]),
    Bad("events/attempts-quoted", stack(instance=events(maxDeliveryAttempts='"10"')),
        [f"{SUB0}.maxDeliveryAttempts", quoted("10"), AN_INTEGER]),
    # --- regions ------------------------------------------------------------------------------
    Bad("region/global", stack(config={"azure-native:location": "global"}),
        ["azure-native:location", quoted("global")]),
    Bad("region/typo-gets-a-suggestion", stack(config={"azure-native:location": "westeurpoe"}),
        ["azure-native:location", quoted("westeurpoe"), SUGGESTION, "westeurope"]),
    Bad("region/display-name", stack(config={"azure-native:location": "West Europe"}),
        ["azure-native:location", quoted("West Europe")]),
    Bad("region/unknown", stack(config={"azure-native:location": "marsnorth"}),
        ["azure-native:location", quoted("marsnorth")]),
    Bad("region/data-location-case", stack(instance={"dataLocation": "europe"}),
        [f"{I0}.dataLocation", quoted("europe"), SUGGESTION, "Europe"]),
    # --- stack names Pulumi refuses (the stack file exists: the name is the only fault) -------
    Bad("stack-name/space", stack(), [quoted("my stack"), STACK_NAME], stack="my stack"),
    Bad("stack-name/exclamation-mark", stack(), [quoted("dev!"), STACK_NAME], stack="dev!"),
    Bad("stack-name/non-ascii", stack(), [quoted("café"), STACK_NAME], stack="café"),
    Bad("stack-name/101-characters", stack(), [LONG_NAME, STACK_NAME, "100"], stack=LONG_NAME),
    Bad("stack-name/empty", stack(), [STACK_NAME], stack=""),
    # --- misspelled namespaces ----------------------------------------------------------------
    Bad("namespace/underscore", stack(config={"acs-platform:tier": None}, extra="acs_platform:tier: dev"),
        ["acs_platform:tier", SUGGESTION, "acs-platform:tier"]),
    Bad("namespace/no-hyphen", stack(config={"acs-platform:owner": None}, extra="acsplatform:owner: me@contoso.com"),
        ["acsplatform:owner", SUGGESTION, "acs-platform:owner"]),
    Bad("namespace/capitals", stack(config={"acs-platform:costCenter": None}, extra="ACS-Platform:costCenter: CC-1"),
        ["ACS-Platform:costCenter", SUGGESTION, "acs-platform:costCenter"]),
    Bad("namespace/azure-native-underscore",
        stack(config={"azure-native:location": None}, extra="azure_native:location: westeurope"),
        ["azure_native:location", SUGGESTION, "azure-native:location"]),
    # --- wrong types and unknown keys, level by level (docs/configuration.md) ----------------
    Bad("types/unknown-top-level-key", stack(extra="acs-platform:instanes: []"),
        ["acs-platform:instanes", UNKNOWN]),
    Bad("types/dotted-key-written-literally", stack(extra="acs-platform:resourceGroup.name: rg-x"),
        ["acs-platform:resourceGroup.name", UNKNOWN]),
    Bad("types/tier-unknown", stack(config={"acs-platform:tier": "staging"}),
        ["acs-platform:tier", quoted("staging"), "prod"]),
    Bad("types/tenant-not-a-guid", stack(config={"azure-native:tenantId": "contoso.onmicrosoft.com"}),
        ["azure-native:tenantId", quoted("contoso.onmicrosoft.com"), "GUID"]),
    Bad("types/tags-is-a-list", stack(extra="acs-platform:tags: [team, sms]"),
        ["acs-platform:tags", A_MAPPING]),
    Bad("types/log-retention-29", stack(extra="acs-platform:monitoring:\n  logRetentionDays: 29"),
        ["acs-platform:monitoring.logRetentionDays", "29", "730"]),
    Bad("types/lock-read-only", stack(extra="acs-platform:protection:\n  lock: ReadOnly"),
        ["acs-platform:protection.lock", quoted("ReadOnly"), "CanNotDelete"]),
    Bad("types/instances-is-a-mapping",
        stack(instances="acs-platform:instances:\n  name: acs-test-eu\n  dataLocation: Europe"),
        ["acs-platform:instances", A_LIST]),
    Bad("types/instance-unknown-key", stack(instance={"dataLocaton": "Europe"}),
        [f"{I0}.dataLocaton", UNKNOWN]),
    Bad("types/instance-name-is-a-number", stack(instance={"name": "42"}),
        [f"{I0}.name", "42"]),
    Bad("types/instance-tags-is-a-list", stack(instance={"tags": "[team, sms]"}),
        [f"{I0}.tags", A_MAPPING]),
    Bad("types/managed-identities-is-a-boolean", stack(instance={"managedIdentities": "true"}),
        [f"{I0}.managedIdentities", A_MAPPING]),
    Bad("types/role-assignments-is-a-mapping",
        stack(instance={"roleAssignments": block({"principalId": TENANT, "principalType": "Group", "role": "Reader"})}),
        [f"{I0}.roleAssignments", A_LIST]),
    Bad("types/role-assignment-unknown-key",
        stack(instance={"roleAssignments": block({"principalID": TENANT, "principalType": "Group", "role": "Reader"},
                                                 list_item=True)}),
        [f"{I0}.roleAssignments[0].principalID", UNKNOWN]),
    Bad("types/email-domains-is-text", stack(instance={"email": "\ndomains: AzureManagedDomain"}),
        [f"{I0}.email.domains", quoted("AzureManagedDomain"), A_LIST]),
    Bad("types/email-domain-unknown-key", stack(instance=email(engagmentTracking="false")),
        [f"{DOMAIN0}.engagmentTracking", UNKNOWN]),
    Bad("types/email-verification-timeout-181", stack(instance=email(verificationTimeoutMinutes="181")),
        [f"{DOMAIN0}.verificationTimeoutMinutes", "181", "180"]),
    Bad("types/email-senders-is-text", stack(instance=email(senders="DoNotReply")),
        [f"{DOMAIN0}.senders", quoted("DoNotReply"), A_LIST]),
    Bad("types/pool-quantity-quoted", stack(instance=pool(quantity='"2"')),
        [f"{POOL0}.quantity", quoted("2"), AN_INTEGER]),
    Bad("types/pool-quantity-fraction", stack(instance=pool(quantity="2.5")),
        [f"{POOL0}.quantity", "2.5", AN_INTEGER]),
    Bad("types/pool-unknown-key", stack(instance=pool(areacode='"425"')),
        [f"{POOL0}.areacode", UNKNOWN]),
    Bad("types/pool-country-code", stack(instance=pool(countryCode="usa")),
        [f"{POOL0}.countryCode", quoted("usa")]),
    Bad("types/pools-is-a-mapping", stack(instance={"phoneNumbers": "\npools:\n  name: sms\n  quantity: 1"}),
        [f"{I0}.phoneNumbers.pools", A_LIST]),
    Bad("types/key-vault-is-text", stack(extra="acs-platform:keyVault: kv-acs-dev"),
        ["acs-platform:keyVault", quoted("kv-acs-dev"), A_MAPPING]),
    Bad("types/key-vault-unknown-key", stack(extra="acs-platform:keyVault:\n  purgeProtecton: true"),
        ["acs-platform:keyVault.purgeProtecton", UNKNOWN]),
    Bad("types/key-vault-retention-91", stack(extra="acs-platform:keyVault:\n  softDeleteRetentionDays: 91"),
        ["acs-platform:keyVault.softDeleteRetentionDays", "91", "90"]),
    Bad("types/key-vault-ip-ranges-is-text", stack(extra="acs-platform:keyVault:\n  allowedIpRanges: 10.0.0.0/8"),
        ["acs-platform:keyVault.allowedIpRanges", quoted("10.0.0.0/8"), A_LIST]),
    Bad("types/key-vault-secrets-user-type",
        stack(extra=f"acs-platform:keyVault:\n  secretsUsers:\n    - principalId: {TENANT}\n      principalType: Team"),
        ["acs-platform:keyVault.secretsUsers[0].principalType", quoted("Team")]),
    Bad("types/key-rotation-period-0", stack(extra="acs-platform:keyRotation:\n  periodDays: 0"),
        ["acs-platform:keyRotation.periodDays", "0", "365"]),
    Bad("types/key-rotation-unknown-key", stack(extra="acs-platform:keyRotation:\n  period: 30"),
        ["acs-platform:keyRotation.period", UNKNOWN]),
    Bad("types/key-rotation-extra-rotations-is-a-list",
        stack(extra="acs-platform:keyRotation:\n  extraRotations: [acs-test-eu]"),
        ["acs-platform:keyRotation.extraRotations", A_MAPPING]),
    # --- secrets: an error names the key, never the ciphertext --------------------------------
    Bad("secrets/secure-tier-is-not-a-tier", stack(config={"acs-platform:tier": f"\nsecure: {CIPHERTEXT}"}),
        ["acs-platform:tier"], hidden=[CIPHERTEXT]),
    Bad("secrets/secure-owner-becomes-a-tag", stack(config={"acs-platform:owner": f"\nsecure: {CIPHERTEXT}"}),
        ["acs-platform:owner", SECRET], hidden=[CIPHERTEXT]),
    Bad("secrets/secure-value-of-a-list-key", stack(instances=f"acs-platform:instances:\n  secure: {CIPHERTEXT}"),
        ["acs-platform:instances"], hidden=[CIPHERTEXT]),
    # --- command lines ------------------------------------------------------------------------
    Bad("cli/out-into-a-missing-folder", stack(), ["--out", "{tmp}/missing"],
        argv=["--out", "{tmp}/missing/plan.txt"], shell=True),
    Bad("cli/out-is-a-folder", stack(), ["--out", "{tmp}"], argv=["--out", "{tmp}"]),
    Bad("cli/report-and-out-the-same-file", stack(), ["--out", "--report", "{tmp}/verdict"], command="check",
        argv=["--out", "{tmp}/verdict", "--report", "sarif={tmp}/verdict",
              "--policy-config", str(REPO / "policies" / "config" / "dev.json")]),
    Bad("cli/two-reports-in-one-file", stack(), ["--report", "{tmp}/verdict"], command="check",
        argv=["--report", "sarif={tmp}/verdict", "--report", "markdown={tmp}/verdict",
              "--policy-config", str(REPO / "policies" / "config" / "dev.json")]),
    Bad("cli/project-dir-without-program", stack(), ["__main__.py", str(CORPUS / "project-without-program")],
        argv=["--project-dir", str(CORPUS / "project-without-program")]),
    Bad("cli/project-dir-missing", stack(), ["{tmp}/no-project"], argv=["--project-dir", "{tmp}/no-project"]),
    Bad("cli/stacks-dir-missing", None, ["{tmp}/no-stacks", NOT_THERE], argv=["--stacks-dir", "{tmp}/no-stacks"]),
    Bad("cli/stacks-dir-is-a-file", stack(), ["{tmp}/Pulumi.bad.yaml", NOT_THERE],
        argv=["--stacks-dir", "{tmp}/Pulumi.bad.yaml"]),
    Bad("cli/unknown-stack", stack(), ["staging", "bad", re.compile(r"(?i)unknown|no stack")], stack="staging",
        file="bad"),
    Bad("cli/format-yaml", stack(), ["--format", quoted("yaml")], argv=["--format", "yaml"]),
    Bad("cli/report-without-file", stack(), ["--report", "sarif"], command="check", argv=["--report", "sarif"]),
    Bad("cli/report-on-plan", stack(), ["--report"], argv=["--report", "sarif={tmp}/x.sarif"]),
    Bad("cli/policy-config-missing", stack(), ["{tmp}/policy.json"], command="check",
        argv=["--policy-config", "{tmp}/policy.json"]),
]  # fmt: skip


@dataclass
class Run:
    code: int | str | None
    out: str
    err: str
    log: str


def _run(case: Bad, tmp_path: Path, capsys, caplog) -> Run:
    if case.text is not None:
        path = tmp_path / f"Pulumi.{case.stack if case.file is None else case.file}.yaml"
        path.write_bytes(case.text if isinstance(case.text, bytes) else case.text.encode("utf-8"))
    argv = [case.command, "--stack", case.stack, "--stacks-dir", str(tmp_path)]
    argv += [arg.replace("{tmp}", str(tmp_path)) for arg in case.argv]
    if case.shell:
        result = subprocess.run(
            [sys.executable, "-m", "preflight", *argv], cwd=REPO, capture_output=True, text=True, timeout=120
        )
        return Run(result.returncode, result.stdout, result.stderr, "")
    caplog.set_level(logging.INFO)
    try:
        code = main(argv)
    except SystemExit as exited:  # argparse's usage errors
        code = exited.code
    except Exception:  # noqa: BLE001 - what a user would see as a traceback
        out, err = capsys.readouterr()
        pytest.fail(f"a traceback instead of a message:\n{traceback.format_exc()}\nstderr: {err}")
    out, err = capsys.readouterr()
    return Run(code, out, err, caplog.text)


def _absent(text: str, expect: list, tmp: Path) -> list[str]:
    missing = []
    for fragment in expect:
        if isinstance(fragment, re.Pattern):
            if not fragment.search(text):
                missing.append(f"/{fragment.pattern}/")
        elif fragment.replace("{tmp}", str(tmp)) not in text:
            missing.append(repr(fragment.replace("{tmp}", str(tmp))))
    return missing


@pytest.mark.parametrize("case", BAD, ids=[case.id for case in BAD])
def test_a_bad_stack_or_command_line_is_exit_2_with_a_message_naming_the_key_and_value(
    case: Bad, tmp_path, capsys, caplog
):
    run = _run(case, tmp_path, capsys, caplog)
    everything = run.out + run.err + run.log
    assert "Traceback" not in everything, everything
    assert run.code == 2, f"exit {run.code}, not 2\nstderr: {run.err}\nstdout (head): {run.out[:600]}"
    missing = _absent(run.err, case.expect, tmp_path)
    assert not missing, f"stderr does not name {', '.join(missing)}:\n{run.err}"
    for secret in case.hidden:
        assert secret not in everything, f"{secret!r} is shown:\n{run.err}"


def test_the_corpus_is_large_enough_and_its_ids_unique():
    assert len(BAD) >= 60
    assert len({case.id for case in BAD}) == len(BAD)


# ---------------------------------------------------------------------------------------------
# Good but unusual stacks: they plan.

LONG_STACK = ("contoso.messaging-eu-" * 5)[:89] + "9"  # 90 characters
CIPHERTEXTS = ["v1:V0VCSE9PSy1DSVBIRVJURVhULTY3ODkw:d2ViaG9vay1jaXBoZXJ0ZXh0"]


def plan_json(capsys, stack: str) -> dict:
    try:
        code = main(["plan", "--stack", stack, "--stacks-dir", str(GOOD), "--format", "json"])
    except SystemExit as exited:
        code = exited.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code == 0, f"stack {stack!r} does not plan (exit {code}):\n{err}"
    return json.loads(out)


def of_type(plan: dict, type_token: str) -> list[dict]:
    return [r for r in plan["resources"] if r["type"] == type_token]


def tags_of(plan: dict) -> dict[str, str]:
    return of_type(plan, ACS)[0]["inputs"]["tags"]


def test_the_corpus_holds_the_good_stacks():
    present = {p.name[len("Pulumi.") : -len(".yaml")] for p in GOOD.glob("Pulumi.*.yaml")}
    assert len(LONG_STACK) == 90 and LONG_STACK in present
    assert {"team.eu-dev", "three-geographies", "existing-group", "secure-values"} <= present


@pytest.mark.parametrize("stack_name", ["team.eu-dev", LONG_STACK], ids=["dotted-name", "90-character-name"])
def test_an_unusual_stack_name_plans_with_valid_default_names(capsys, stack_name):
    plan = plan_json(capsys, stack_name)
    assert plan["stack"] == stack_name
    assert all(r["urn"].startswith(f"urn:pulumi:{stack_name}::acs-platform::") for r in plan["resources"])
    [group] = of_type(plan, RESOURCE_GROUP)
    assert len(group["inputs"]["resourceGroupName"]) <= 90
    assert tags_of(plan)["environment"] == stack_name


def test_three_instances_in_three_geographies_plan(capsys):
    plan = plan_json(capsys, "three-geographies")
    located = {r["inputs"]["communicationServiceName"]: r["inputs"]["dataLocation"] for r in of_type(plan, ACS)}
    assert located == {
        "acs-contoso-eu": "Europe",
        "acs-contoso-us": "United States",
        "acs-contoso-apac": "Asia Pacific",
    }


def test_an_existing_resource_group_is_used_by_name_neither_created_nor_locked(capsys):
    plan = plan_json(capsys, "existing-group")
    assert of_type(plan, RESOURCE_GROUP) == []
    assert {r["inputs"]["resourceGroupName"] for r in of_type(plan, ACS)} == {"rg-shared-messaging"}
    locks = of_type(plan, LOCK)
    assert locks, "prod locks its ACS resources"
    assert all("rg-shared-messaging" not in json.dumps(lock["inputs"].get("scope")) for lock in locks)


def test_secure_values_plan_as_placeholders_and_their_ciphertexts_never_show(capsys):
    plan = plan_json(capsys, "secure-values")
    text = json.dumps(plan)
    for ciphertext in CIPHERTEXTS:
        assert ciphertext not in text
        assert ciphertext.split(":")[1] not in text
    [subscription] = of_type(plan, "azure-native:eventgrid:SystemTopicEventSubscription")
    assert "[secret]" in json.dumps(subscription["inputs"])
    # The tree too.
    assert main(["plan", "--stack", "secure-values", "--stacks-dir", str(GOOD)]) == 0
    out, err = capsys.readouterr()
    assert not any(c.split(":")[1] in out + err for c in CIPHERTEXTS)


def test_no_secret_in_a_check_or_any_of_its_reports(capsys, tmp_path):
    reports = {fmt: tmp_path / f"verdict.{fmt}" for fmt in ("sarif", "markdown", "text")}
    code = main(
        [
            "check",
            "--stack",
            "secure-values",
            "--stacks-dir",
            str(GOOD),
            "--format",
            "json",
            "--policy-config",
            str(REPO / "policies" / "config" / "dev.json"),
            "--repo-root",
            str(REPO),
            *[arg for fmt, file in reports.items() for arg in ("--report", f"{fmt}={file}")],
        ]
    )
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    for text in (out, err, *(file.read_text() for file in reports.values())):
        assert not any(c.split(":")[1] in text for c in CIPHERTEXTS)


def test_yaml_1_2_scalars_stay_the_strings_they_are(capsys):
    plan = plan_json(capsys, "yaml12-strings")
    tags = tags_of(plan)
    assert (tags["cost-center"], tags["environment"]) == ("no", "on")
    assert (tags["reviewed"], tags["paged"]) == ("yes", "off")


def test_unquoted_dates_where_dates_are_taken_plan(capsys):
    plan = plan_json(capsys, "unquoted-dates")
    [subscription] = of_type(plan, "azure-native:eventgrid:SystemTopicEventSubscription")
    assert subscription["inputs"]["expirationTimeUtc"].startswith("2099-12-31T23:59:59")


def test_keys_without_a_namespace_belong_to_the_project(capsys):
    plan = plan_json(capsys, "project-keys")
    assert tags_of(plan)["owner"] == "platform-team@contoso.com"
