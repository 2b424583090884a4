"""python -m gitops.drift: the preview JSON of the scheduled drift check, turned into the issue body.

The fixtures (tests/fixtures/previews/drift-*.json) are `pulumi preview --refresh --json` digests in
the shape pkg/backend/display/json.go of pulumi/pulumi writes: the refresh pass first (a `refresh`
step per resource, its state before the refresh), the root stack's step, then what `pulumi up` would
do, its `oldState` as Azure has it now and its `newState` as the program declares it. Resources,
URNs and inputs are the committed stacks' (from the offline plan). drift-none.json has every
resource of prod; the others keep only the refresh steps of the component concerned.
"""

import copy
import json
from pathlib import Path

import pytest

from gitops.drift import MARKER, main

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "previews"
POOL = (
    "urn:pulumi:prod::acs-platform::acs-platform:components:PhoneNumbers"
    "$pulumi-python:dynamic/numberpools:PhoneNumberPool::numbers-acs-contoso-prod-us-support"
)
VERIFICATION = (
    "urn:pulumi:prod::acs-platform::acs-platform:components:Email"
    "$pulumi-python:dynamic/emaildomains:DomainVerification::email-acs-contoso-prod-eu-mail-contoso-com-verification"
)
LINK = (
    "urn:pulumi:prod::acs-platform::acs-platform:components:Email"
    "$pulumi-python:dynamic/emaildomains:LinkedDomains::email-acs-contoso-prod-eu-links"
)
VAULT = "urn:pulumi:prod::acs-platform::acs-platform:components:KeyVault$azure-native:keyvault:Vault::keyvault-vault"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"drift-{name}.json").read_text())


def check(tmp_path, capsys, document: dict, stack: str = "prod", *extra: str) -> tuple[int, str | None, str, str]:
    """Runs the command on `document`; returns its exit code, the body (None when none was written),
    and what it printed."""
    preview = tmp_path / "preview.json"
    preview.write_text(json.dumps(document))
    out = tmp_path / "drift" / "body.md"
    code = main(["--stack", stack, "--preview-json", str(preview), "--out", str(out), *extra])
    printed, errors = capsys.readouterr()
    return code, out.read_text() if out.exists() else None, printed, errors


def step(document: dict, urn: str, op: str = "update") -> dict:
    return next(s for s in document["steps"] if s["urn"] == urn and s["op"] == op)


def test_the_fixtures_are_previews_of_the_committed_stacks():
    for path in FIXTURES.glob("drift-*.json"):
        document = json.loads(path.read_text())
        assert {"config", "steps", "duration", "changeSummary"} <= document.keys(), path.name
        ops = [s["op"] for s in document["steps"]]
        assert ops[0] == "refresh" and "same" in ops, path.name  # the refresh pass, then the root stack
        assert all(s["urn"].startswith("urn:pulumi:") and "detailedDiff" in s for s in document["steps"]), path.name


def test_no_drift_exits_0_and_writes_no_body(tmp_path, capsys):
    stale = tmp_path / "drift" / "body.md"
    stale.parent.mkdir()
    stale.write_text("an old report")  # from an earlier check on the same runner: not left behind
    code, body, printed, _ = check(tmp_path, capsys, fixture("none"))
    assert (code, body) == (0, None)
    assert printed == "stack prod: no drift\n"


# Phone numbers released by hand.


def test_a_pool_whose_numbers_were_released_by_hand_is_drift_named_in_plain_words(tmp_path, capsys):
    code, body, printed, _ = check(tmp_path, capsys, fixture("numbers-released"), "prod", "--run-url", "https://x/1")
    assert code == 1
    assert body.splitlines()[0] == MARKER.format(stack="prod")
    assert "found 1 resource of stack `prod` that differs from what Azure has ([run](https://x/1))" in body
    assert "### Phone number pool `numbers-acs-contoso-prod-us-support` of `acs-contoso-prod-us`" in body
    assert (
        "It holds 1 of its 2 numbers: 1 number the stack bought was released outside Pulumi "
        "(in the portal or through the API): +18445550172." in body
    )
    assert "The next deployment buys 1 new number to make the pool whole again: billed" in body
    assert "Still held: +18445550134." in body
    assert POOL in body
    assert "drift in 1 resource" in printed


def test_a_pool_that_holds_its_numbers_is_not_drift(tmp_path, capsys):
    document = fixture("numbers-released")
    document["steps"] = [s for s in document["steps"] if s["op"] != "update"]  # the refresh found them all
    assert check(tmp_path, capsys, document)[:2] == (0, None)


def test_a_pool_the_program_grew_is_reported_without_blaming_a_release(tmp_path, capsys):
    # Not numbers released by hand: main asks for 3 where 2 are deployed and held (a merge waiting for
    # its deployment). Still reported, as a difference, not as a release.
    document = fixture("numbers-released")
    pool = step(document, POOL)
    pool["oldState"]["outputs"]["phoneNumbers"] = ["+18445550134", "+18445550172"]
    pool["newState"]["inputs"]["quantity"] = 3
    code, body, _, _ = check(tmp_path, capsys, document)
    assert code == 1
    assert "released outside Pulumi" not in body
    assert "It differs from what the stack declares: the next deployment sets it back." in body
    assert "`quantity`: 2 in Azure, 3 in the stack" in body


# A domain that lost its verification.


def test_a_domain_that_lost_its_verification_is_drift_naming_each_failing_record(tmp_path, capsys):
    code, body, _, _ = check(tmp_path, capsys, fixture("domain-unverified"))
    assert code == 1
    assert "### Verification of email domain `mail.contoso.com`" in body
    assert (
        "`mail.contoso.com` lost its verification: SPF is VerificationFailed, DKIM is VerificationFailed "
        "(still verified: Domain, DKIM2, DMARC)." in body
    )
    assert "The next deployment asks Azure to verify the domain again, and links it once it verifies." in body
    assert VERIFICATION in body


def test_a_domain_that_was_never_verified_is_not_said_to_have_lost_it(tmp_path, capsys):
    document = fixture("domain-unverified")
    before = step(document, VERIFICATION, "refresh")["oldState"]["outputs"]
    before["verified"] = False  # records created by hand, not there yet: pending, not lost
    before["states"] = {record: "NotStarted" for record in before["states"]}
    code, body, _, _ = check(tmp_path, capsys, document)
    assert code == 1
    assert "lost its verification" not in body
    assert "`mail.contoso.com` is not verified: SPF is VerificationFailed" in body


def test_a_domain_still_verified_is_not_drift(tmp_path, capsys):
    document = fixture("domain-unverified")
    document["steps"] = [s for s in document["steps"] if s["op"] != "update"]
    assert check(tmp_path, capsys, document)[:2] == (0, None)


# A link removed.


def test_a_link_removed_is_drift_naming_the_domain_and_the_acs_resource(tmp_path, capsys):
    code, body, _, _ = check(tmp_path, capsys, fixture("link-removed"))
    assert code == 1
    assert "### Domains linked to ACS resource `acs-contoso-prod-eu` (`email-acs-contoso-prod-eu-links`)" in body
    assert "`mail.contoso.com` is no longer linked to `acs-contoso-prod-eu`: it sends no mail from that domain." in body
    assert "The next deployment links it again." in body
    assert LINK in body


def test_a_domain_linked_outside_an_exclusive_stack_is_reported_as_to_be_unlinked(tmp_path, capsys):
    document = fixture("link-removed")
    link = step(document, LINK)
    link["newState"]["inputs"]["exclusive"] = True
    link["oldState"]["outputs"]["linkedDomains"] = [
        *link["newState"]["inputs"]["domainIds"],
        "/x/domains/news.fabrikam.com",
    ]
    code, body, _, _ = check(tmp_path, capsys, document)
    assert code == 1
    assert "no longer linked" not in body
    assert "Linked outside the stack, which owns the whole list: `news.fabrikam.com`." in body


def test_links_that_hold_are_not_drift(tmp_path, capsys):
    document = fixture("link-removed")
    document["steps"] = [s for s in document["steps"] if s["op"] != "update"]
    assert check(tmp_path, capsys, document)[:2] == (0, None)


def test_every_drift_at_once_is_one_body_naming_each(tmp_path, capsys):
    document = fixture("none")
    for name in ("numbers-released", "domain-unverified", "link-removed"):
        document["steps"] += [s for s in fixture(name)["steps"] if s["op"] == "update"]
    code, body, printed, _ = check(tmp_path, capsys, document)
    assert code == 1
    assert "found 3 resources of stack `prod` that differ" in body
    for words in ("was released outside Pulumi", "lost its verification", "is no longer linked"):
        assert body.count(words) == 1
    assert "drift in 3 resources" in printed


# Other resources: what the provider reports, with values where they are plain.


def test_other_resources_are_named_with_the_properties_that_differ(tmp_path, capsys):
    document = fixture("none")
    vault = next(s for s in document["steps"] if s["urn"] == VAULT)["oldState"]
    refreshed = copy.deepcopy(vault)
    refreshed["outputs"]["properties"]["networkAcls"]["defaultAction"] = "Allow"
    document["steps"].append(
        {
            "op": "update",
            "urn": VAULT,
            "oldState": refreshed,
            "newState": {k: v for k, v in vault.items() if k not in ("outputs", "id")},
            "diffReasons": ["properties"],
            "detailedDiff": {"properties.networkAcls.defaultAction": {"kind": "update", "inputDiff": False}},
        }
    )
    subscription = next(s for s in document["steps"] if "SystemTopicEventSubscription" in s["urn"])["oldState"]
    document["steps"].append(
        {"op": "create", "urn": subscription["urn"], "newState": subscription, "detailedDiff": None}
    )
    code, body, _, _ = check(tmp_path, capsys, document)
    assert code == 1
    assert "### `keyvault-vault` (azure-native:keyvault:Vault)" in body
    assert '`properties.networkAcls.defaultAction`: "Allow" in Azure, "Deny" in the stack' in body
    assert "It is not in Azure any more (deleted outside Pulumi?): the next deployment creates it again." in body


# A key rotation that falls due is not drift.


def test_a_rotation_due_today_is_expected_not_drift(tmp_path, capsys):
    code, body, printed, _ = check(tmp_path, capsys, fixture("rotation-due"), "dev")
    assert (code, body) == (0, None)
    assert "expected, not drift: credentials-acs-contoso-dev-eu-keys: key rotation generation 3 -> 4" in printed
    assert "expected, not drift: credentials-acs-contoso-dev-eu: the secret moves to the rotated key" in printed


def test_a_secret_changed_outside_the_rotation_is_drift(tmp_path, capsys):
    document = fixture("rotation-due")
    secret = next(s for s in document["steps"] if s["op"] == "update" and "keyvault:Secret" in s["urn"])
    secret["detailedDiff"]["properties.contentType"] = {"kind": "update", "inputDiff": False}
    secret["oldState"]["outputs"]["properties"]["contentType"] = "text/plain"
    code, body, _, _ = check(tmp_path, capsys, document, "dev")
    assert code == 1
    assert "### `credentials-acs-contoso-dev-eu` (azure-native:keyvault:Secret)" in body
    assert '`properties.contentType`: "text/plain" in Azure, "text/plain; acs-connection-string" in the stack' in body
    assert "Expected changes, not drift" in body  # the rotation itself still is expected


def test_a_rotation_going_back_a_generation_is_drift(tmp_path, capsys):
    document = fixture("rotation-due")
    rotation = next(s for s in document["steps"] if s["op"] == "update" and "AcsKeyRotation" in s["urn"])
    rotation["newState"]["inputs"]["generation"] = 2  # a configuration rolled back: not the calendar
    code, body, _, _ = check(tmp_path, capsys, document, "dev")
    assert code == 1
    assert "`credentials-acs-contoso-dev-eu-keys` (pulumi-python:dynamic/keyrotation:AcsKeyRotation)" in body


# What is not a preview of the stack: exit 2, the issue left alone.


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "no such file (did `pulumi preview --json` run?)"),
        ("error: could not load plugin", "no JSON object found"),
        ('{"resources": []}', "not the JSON of `pulumi preview --json`"),
        ('{"steps": {"op": "same"}}', "steps: expected a list"),
        ('{"steps": [{"op": "same"}]}', "steps[0]: a step needs a string `op` and `urn`"),
        ('{"steps": [{"op": "same", "urn": "acs-contoso-prod-eu"}]}', "is not a Pulumi URN"),
    ],
)
def test_what_is_not_a_preview_exits_2_and_writes_no_body(tmp_path, capsys, content, words):
    preview = tmp_path / "preview.json"
    if content is not None:
        preview.write_text(content)
    out = tmp_path / "body.md"
    code = main(["--stack", "prod", "--preview-json", str(preview), "--out", str(out)])
    _, errors = capsys.readouterr()
    assert code == 2 and not out.exists()
    assert errors.startswith("error: ") and words in errors


def test_a_preview_of_another_stack_exits_2(tmp_path, capsys):
    code, body, _, errors = check(tmp_path, capsys, fixture("numbers-released"), "dev")
    assert (code, body) == (2, None)
    assert "is a resource of stack 'prod', not 'dev'" in errors


def test_a_preview_that_failed_exits_2_with_its_errors(tmp_path, capsys):
    document = fixture("numbers-released")
    document["diagnostics"] = [
        {"message": "a warning that changes nothing", "severity": "warning"},
        {
            "urn": POOL,
            "message": "error: reading phone number pool: (AuthorizationFailed) the client has no access\n",
            "severity": "error",
        },
    ]
    code, body, _, errors = check(tmp_path, capsys, document)
    assert (code, body) == (2, None)
    assert "the preview failed, so it says nothing about drift" in errors
    assert "(AuthorizationFailed) the client has no access" in errors
    assert "a warning" not in errors


# Direct Routing: trunks and routes edited in the portal, in the words of a voice engineer.

ROUTING = (
    "urn:pulumi:prod::acs-platform::acs-platform:index:AcsInstance"
    "$pulumi-python:dynamic/siprouting:SipRouting::acs-contoso-prod-us-direct-routing"
)
SBC1, SBC2 = "sbc1.voice.contoso.com", "sbc2.voice.contoso.com"
EMERGENCY = {"name": "emergency", "numberPattern": "^(911|933)$", "trunks": [SBC1, SBC2]}
US = {"name": "us-numbers", "numberPattern": "^\\+1(\\d{10})$", "trunks": [SBC1, SBC2]}
DECLARED = {
    "endpoint": "https://acs-contoso-prod-us.unitedstates.communication.azure.com",
    "exclusive": True,
    "trunks": [{"fqdn": SBC1, "port": 5061}, {"fqdn": SBC2, "port": 5061}],
    "routes": [EMERGENCY, US],
}


def routing_drift(azure: dict) -> dict:
    """The prod preview with the Direct Routing refreshed to `azure` (its outputs) and declared as committed."""
    document = fixture("none")
    state = {"type": "pulumi-python:dynamic/siprouting:SipRouting", "urn": ROUTING, "custom": True}
    document["steps"].append(
        {
            "op": "update",
            "urn": ROUTING,
            "oldState": {**state, "inputs": DECLARED, "outputs": {**DECLARED, **azure}},
            "newState": {**state, "inputs": DECLARED},
            "diffReasons": sorted(azure),
            "detailedDiff": {key: {"kind": "update", "inputDiff": False} for key in azure},
        }
    )
    return document


def test_a_route_edited_and_reordered_in_the_portal_is_drift_in_plain_words(tmp_path, capsys):
    portal = {**US, "numberPattern": "^\\+1425(\\d{7})$"}
    code, body, _, _ = check(tmp_path, capsys, routing_drift({"routes": [portal, EMERGENCY]}))
    assert code == 1
    assert "### Direct Routing `acs-contoso-prod-us-direct-routing` (SIP trunks and voice routes)" in body
    assert (
        'Route `us-numbers`: `numberPattern` is "^\\\\+1425(\\\\d{7})$" in Azure, "^\\\\+1(\\\\d{10})$" in the stack.'
        in body
    )
    assert "tried in another order in Azure (us-numbers, emergency) than the stack's (emergency, us-numbers)" in body
    assert "The next deployment sets the declared trunks and routes back, routes in the declared order." in body


def test_a_trunk_gone_or_moved_and_entries_made_outside_an_exclusive_stack_are_named(tmp_path, capsys):
    azure = {
        "trunks": [{"fqdn": SBC1, "port": 5062}, {"fqdn": "sbc9.voice.contoso.com", "port": 5061}],
        "routes": [EMERGENCY, {"name": "test", "numberPattern": "^\\+1555$", "trunks": [SBC1]}],
        "undeclared": {"trunks": ["sbc9.voice.contoso.com"], "routes": ["test"]},
    }
    _, body, _, _ = check(tmp_path, capsys, routing_drift(azure))
    assert f"Trunk `{SBC1}` signals on port 5062 in Azure, 5061 in the stack." in body
    assert f"Trunk `{SBC2}` is gone from Azure" in body
    assert "Route `us-numbers` is gone from Azure: the numbers it matched go to a later route, or nowhere." in body
    assert (
        "Made outside the stack, which owns the whole configuration: trunk `sbc9.voice.contoso.com`, route `test`."
        in body
    )
