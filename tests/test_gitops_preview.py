"""The pull request's preview summary (gitops.preview) and its sticky comment (gitops.comment).

The previews are documents of the shape `pulumi preview --json` prints (pulumi/pulumi
pkg/display/json.go, PreviewDigest), in tests/fixtures/previews: no changes; an update of tags; an ACS
resource replaced for a new data location (protected, so the engine's error too); a phone number pool
deleted. policy-events.jsonl is the engine's event log (`--event-log`) of a preview with policy
violations, one apitype.EngineEvent per line. Each rule has a case that trips it and one that does not.
"""

import json
import re

import pytest

from gitops import comment, cost, preview
from gitops.digest import DigestError as PreviewError
from gitops.digest import Preview, parse_preview
from gitops.preview import find_dangers, parse_event_log, summarize
from tests.stacks import REPO

FIXTURES = REPO / "tests" / "fixtures" / "previews"
POOL = "pulumi-python:dynamic/numberpools:PhoneNumberPool"
LINKS = "pulumi-python:dynamic/emaildomains:LinkedDomains"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def load(name: str) -> Preview:
    return parse_preview((FIXTURES / name).read_text(encoding="utf-8"))


def one_step(step: dict) -> Preview:
    return parse_preview(json.dumps({"steps": [step]}))


def step(op: str, type_: str, name: str, *, protect=False, retain=False, old=None, new=None, **extra) -> dict:
    urn = f"urn:pulumi:dev::acs-platform::acs-platform:components:X${type_}::{name}"
    raw = {"op": op, "urn": urn, **extra}
    if op != "create":
        raw["oldState"] = {"urn": urn, "type": type_, "custom": True, "protect": protect, "inputs": old or {}}
        if retain:
            raw["oldState"]["retainOnDelete"] = True
    if op not in ("delete", "delete-replaced"):
        raw["newState"] = {"urn": urn, "type": type_, "custom": True, "protect": protect, "inputs": new or old or {}}
    return raw


def run(capsys, *argv):
    code = preview.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- reading the preview ---------------------------------------------------------------------------


def test_no_changes_is_said_plainly_with_the_counts_of_the_cli():
    summary = summarize("dev", load("no-changes.json"))
    text = preview.render_markdown(summary)
    assert summary.dangers == ()
    assert "**✅ no changes**" in text
    assert "28 unchanged" in text
    assert "No changes: the deployed stack already matches this branch." in text
    assert "| Operation |" not in text  # no table of changes


def test_an_empty_digest_is_no_changes_too():
    summary = summarize("dev", parse_preview("{}\n"))
    assert (summary.dangers, summary.preview.changed) == ((), [])
    assert "**✅ no changes**" in preview.render_markdown(summary)


def test_an_update_of_tags_is_listed_with_its_changed_properties_and_is_not_dangerous():
    summary = summarize("dev", load("tags-update.json"))
    text = preview.render_markdown(summary)
    assert summary.dangers == ()
    assert "**✅ 1 change, none dangerous**" in text
    assert "1 to update, 27 unchanged" in text
    row = next(line for line in text.splitlines() if "communication-acs-contoso-dev-eu" in line)
    assert "| update | azure-native:communication:CommunicationService |" in row
    assert "tags.criticality, tags.owner" in row
    assert "[!CAUTION]" not in text


def test_the_steps_are_read_from_their_documented_fields():
    (stack, update) = load("tags-update.json").steps
    assert stack.type == "pulumi:pulumi:Stack" and stack.op == "same"
    assert update.op == "update"
    assert update.type == "azure-native:communication:CommunicationService"
    assert update.name == "communication-acs-contoso-dev-eu"
    assert update.protect is True
    assert update.diff_reasons == ("tags",)
    assert [(c.path, c.kind) for c in update.changes] == [("tags.criticality", "add"), ("tags.owner", "update")]
    assert update.new_inputs["tags"]["owner"] == "acs-team@contoso.com"


def test_counts_come_from_the_steps_when_the_digest_has_no_change_summary():
    document = fixture("pool-delete.json")
    del document["changeSummary"]
    assert parse_preview(json.dumps(document)).counts() == {"delete": 2}


def test_text_the_cli_printed_before_the_json_is_skipped():
    # Installing a policy pack prints to stdout before the digest (pulumi/pulumi#19775).
    text = "Installing policy pack acs-platform 0.1.0...\nFinished installing policy pack\n\n"
    text += (FIXTURES / "tags-update.json").read_text(encoding="utf-8")
    assert [s.op for s in parse_preview(text).steps] == ["same", "update"]


@pytest.mark.parametrize(
    "text, says",
    [
        ("", "no JSON object"),
        ("error: failed to load the stack\n", "no JSON object"),
        ('{"steps": [', "not valid JSON"),
        ('{"steps": {"op": "update"}}', "steps: expected a list"),
        ('{"steps": [{"op": "update"}]}', "steps[0]: a step needs a string `op` and `urn`"),
        ('{"steps": [{"op": "update", "urn": "u", "diffReasons": "tags"}]}', "steps[0].diffReasons"),
        ('{"changeSummary": {"update": "one"}}', "changeSummary"),
    ],
)
def test_an_unreadable_preview_is_an_error_that_says_what_is_wrong(text, says):
    with pytest.raises(PreviewError, match=re.escape(says)):
        parse_preview(text)


def test_a_replacement_with_its_steps_shown_is_one_danger():
    # --show-replacement-steps lists the replace, then the create-replacement and delete-replaced steps.
    steps = [
        step(op, "azure-native:keyvault:Vault", "keyvault-vault", old={"vaultName": "kv-acs-dev"})
        for op in ("replace", "create-replacement", "delete-replaced")
    ]
    dangers = find_dangers(parse_preview(json.dumps({"steps": steps})))
    assert [(d.step.op, d.label) for d in dangers] == [("replace", "Key Vault")]


# --- the dangers -----------------------------------------------------------------------------------


def test_the_acs_resource_replaced_for_a_new_data_location_is_a_danger_that_says_why():
    summary = summarize("prod", load("acs-data-location.json"))
    text = preview.render_markdown(summary)
    [danger] = summary.dangers
    assert (danger.step.op, danger.label) == ("replace", "ACS resource")
    assert "The data location cannot change in place" in danger.meaning
    assert "phone numbers" in danger.meaning
    # Protected in state: the engine refuses the replacement, and the summary says so.
    assert "It is protected: `pulumi up` refuses to replace it" in danger.meaning
    assert "**🚨 1 dangerous change (of 1)**" in text
    assert "> [!CAUTION]" in text
    assert "> - **replace** ACS resource `communication-acs-contoso-prod-eu`" in text
    assert "dataLocation (replace)" in text
    assert "unable to replace resource" in text  # the engine's error, from the diagnostics


def test_an_update_of_the_acs_resource_in_place_is_no_danger():
    raw = fixture("acs-data-location.json")["steps"][1]
    raw = dict(raw, op="update", replaceReasons=None, detailedDiff={"dataLocation": {"kind": "update"}})
    assert find_dangers(one_step(raw)) == []


def test_a_deleted_phone_number_pool_is_a_danger_numbers_are_released():
    summary = summarize("dev", load("pool-delete.json"))
    [danger] = summary.dangers
    assert (danger.step.op, danger.step.type, danger.label) == ("delete", POOL, "phone number pool")
    assert "numbers are released" in danger.meaning
    assert "cannot be got back" in danger.meaning
    # The component around it goes too, and is no danger: it holds nothing.
    assert [s.type for s in summary.preview.changed] == [POOL, "acs-platform:components:PhoneNumbers"]


def test_a_pool_retained_on_delete_says_azure_keeps_it():
    [danger] = find_dangers(one_step(step("delete", POOL, "numbers-prod-us-support", protect=True, retain=True)))
    assert "retained on delete" in danger.meaning
    assert "refuses to delete it" in danger.meaning


@pytest.mark.parametrize(
    "old, new, dangerous",
    [
        ({"quantity": 5}, {"quantity": 3}, True),
        ({"quantity": 3}, {"quantity": 5}, False),
        ({"quantity": 1, "calling": "none"}, {"quantity": 1, "calling": "inbound+outbound"}, False),
        ({"quantity": 2}, {"quantity": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}, False),  # unknown: no claim
    ],
)
def test_a_pool_update_is_a_danger_only_when_it_shrinks(old, new, dangerous):
    dangers = find_dangers(one_step(step("update", POOL, "numbers-dev-eu-sms", old=old, new=new)))
    assert bool(dangers) is dangerous
    if dangerous:
        assert dangers[0].meaning == (
            "The pool shrinks from 5 to 3: 2 numbers released (newest first), and a released number cannot be got back."
        )


DOMAIN = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Communication/emailServices/e/domains/"


@pytest.mark.parametrize(
    "old, new, says",
    [
        (
            [DOMAIN + "mail.contoso.com", DOMAIN + "AzureManagedDomain"],
            [DOMAIN + "AzureManagedDomain"],
            "mail.contoso.com",
        ),
        ([DOMAIN + "AzureManagedDomain"], [DOMAIN + "AzureManagedDomain", DOMAIN + "mail.contoso.com"], None),
        ([DOMAIN + "AzureManagedDomain"], [DOMAIN.upper() + "AZUREMANAGEDDOMAIN"], None),  # ARM ids ignore case
    ],
)
def test_a_link_update_is_a_danger_only_when_it_unlinks_a_domain(old, new, says):
    raw = step("update", LINKS, "email-dev-eu-links", old={"domainIds": old}, new={"domainIds": new})
    dangers = find_dangers(one_step(raw))
    assert [says in d.meaning for d in dangers] == ([True] if says else [])


SIP_ROUTING = "pulumi-python:dynamic/siprouting:SipRouting"
US = {"name": "us", "numberPattern": "^\\+1(\\d{10})$", "trunks": ["sbc1.contoso.com"]}
EMERGENCY = {"name": "emergency", "numberPattern": "^(911|933)$", "trunks": ["sbc1.contoso.com"]}
SBC1, SBC2 = {"fqdn": "sbc1.contoso.com", "port": 5061}, {"fqdn": "sbc2.contoso.com", "port": 5061}
UNKNOWN_LIST = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # how the engine writes a value not known yet


@pytest.mark.parametrize(
    "old, new, says",
    [
        ({"routes": [EMERGENCY, US], "trunks": [SBC1]}, {"routes": [US], "trunks": [SBC1]}, "voice routes emergency"),
        ({"routes": [US], "trunks": [SBC1, SBC2]}, {"routes": [US], "trunks": [SBC1]}, "SIP trunks sbc2.contoso.com"),
        ({"routes": [US], "trunks": [SBC1]}, {"routes": [EMERGENCY, US], "trunks": [SBC1]}, None),  # one more
        ({"routes": [EMERGENCY, US], "trunks": [SBC1]}, {"routes": [US, EMERGENCY], "trunks": [SBC1]}, None),
        ({"routes": [US], "trunks": [SBC1]}, {"routes": UNKNOWN_LIST, "trunks": [SBC1]}, None),  # no claim
    ],
)
def test_a_direct_routing_update_is_a_danger_only_when_it_removes_a_route_or_a_trunk(old, new, says):
    dangers = find_dangers(one_step(step("update", SIP_ROUTING, "acs-us-direct-routing", old=old, new=new)))
    assert [says in d.meaning for d in dangers] == ([True] if says else [])


def test_direct_routing_becoming_exclusive_is_a_danger():
    routing = {"routes": [US], "trunks": [SBC1]}
    raw = step("update", SIP_ROUTING, "r", old={**routing, "exclusive": False}, new={**routing, "exclusive": True})
    [danger] = find_dangers(one_step(raw))
    assert "every trunk and route made outside the stack is removed" in danger.meaning


def test_a_link_becoming_exclusive_is_a_danger():
    raw = step(
        "update", LINKS, "l", old={"domainIds": [], "exclusive": False}, new={"domainIds": [], "exclusive": True}
    )
    [danger] = find_dangers(one_step(raw))
    assert "every domain linked outside the stack is unlinked" in danger.meaning


@pytest.mark.parametrize(
    "type_",
    [
        "azure-native:communication:EmailService",
        "azure-native:communication:Domain",
        "azure-native:keyvault:Vault",
        "azure-native:storage:StorageAccount",
        "azure-native:operationalinsights:Workspace",
        "azure-native:dns:RecordSet",
        "pulumi-python:dynamic/emaildomains:DomainVerification",
        "pulumi-python:dynamic/emaildomains:LinkedDomains",
        "pulumi-python:dynamic/siprouting:SipRouting",
        "azure-native:resources:ResourceGroup",
    ],
)
@pytest.mark.parametrize("op", ["replace", "delete"])
def test_every_data_bearing_type_replaced_or_deleted_is_a_danger(type_, op):
    [danger] = find_dangers(one_step(step(op, type_, "r")))
    assert danger.label == preview.HAZARDS[type_].label
    assert danger.meaning == (
        preview.HAZARDS[type_].on_replace if op == "replace" else preview.HAZARDS[type_].on_delete
    )


@pytest.mark.parametrize(
    "raw",
    [
        step("delete", "azure-native:communication:SenderUsername", "sender-donotreply"),
        step("replace", "azure-native:eventgrid:SystemTopicEventSubscription", "sms-received"),
        step("create", "azure-native:keyvault:Vault", "keyvault-vault"),
        step("update", "azure-native:keyvault:Vault", "keyvault-vault"),
        step("same", "pulumi-python:dynamic/numberpools:PhoneNumberPool", "numbers"),
    ],
)
def test_other_changes_are_no_danger(raw):
    assert find_dangers(one_step(raw)) == []


def test_a_protected_resource_of_any_type_replaced_is_a_danger():
    raw = step("replace", "azure-native:communication:SenderUsername", "sender-donotreply", protect=True)
    [danger] = find_dangers(one_step(raw))
    assert danger.label == "protected resource"
    assert danger.meaning.startswith("It is protected: `pulumi up` refuses to replace it")


def test_every_danger_type_is_one_the_program_declares(dev_plan, prod_plan):
    # A type misspelt in the list would never match a step. Suppression lists are declared only where a
    # stack configures one, which the committed stacks do not.
    declared = {r.type for plan in (dev_plan, prod_plan) for r in plan.resources}
    assert set(preview.HAZARDS) - declared == {"azure-native:communication:SuppressionList"}


# --- policy violations -----------------------------------------------------------------------------


def test_policy_violations_and_remediations_come_from_the_event_log():
    log = parse_event_log((FIXTURES / "policy-events.jsonl").read_text(encoding="utf-8"))
    assert [(v.enforcement_level, v.policy) for v in log.violations] == [
        ("mandatory", "acs-local-auth-disabled"),
        ("advisory", "keyvault-diagnostic-logs"),
    ]
    assert log.violations[0].severity == "high" and log.violations[0].pack == "acs-platform"
    assert log.remediations == {"no-plain-secret-inputs": 1}
    assert log.skipped_lines == 0


def test_policy_violations_are_listed_and_a_mandatory_one_is_in_the_verdict():
    log = parse_event_log((FIXTURES / "policy-events.jsonl").read_text(encoding="utf-8"))
    text = preview.render_markdown(summarize("prod", load("no-changes.json"), log))
    assert "**❌ no changes; 1 mandatory policy violation**" in text
    assert "#### Policy violations in the preview (2)" in text
    rows = [line for line in text.splitlines() if line.startswith("| mandatory") or line.startswith("| advisory")]
    assert rows[0].startswith("| mandatory | acs-local-auth-disabled | communication-acs-contoso-prod-us |")
    assert rows[1].startswith("| advisory | keyvault-diagnostic-logs | keyvault-vault |")
    assert "Policy remediations applied: `no-plain-secret-inputs` (1)." in text


def test_a_preview_without_policy_events_lists_none():
    log = parse_event_log('{"sequence": 0, "timestamp": 1, "preludeEvent": {"config": {}}}\n')
    text = preview.render_markdown(summarize("dev", load("tags-update.json"), log))
    assert log.violations == ()
    assert "Policy violations" not in text


def test_a_line_of_the_event_log_cut_short_is_skipped_and_counted():
    text = (FIXTURES / "policy-events.jsonl").read_text(encoding="utf-8") + '{"sequence": 8, "policyEv'
    log = parse_event_log(text)
    assert (len(log.violations), log.skipped_lines) == (2, 1)
    assert "1 line of the event log could not be read." in preview.render_markdown(
        summarize("prod", load("no-changes.json"), log)
    )


# --- the markdown ----------------------------------------------------------------------------------


def test_table_cells_are_markdown_inert():
    raw = step("update", "azure-native:communication:Domain", "a|b_*c*", detailedDiff={"x|y": {"kind": "update"}})
    text = preview.render_markdown(summarize("dev", one_step(raw)))
    row = next(line for line in text.splitlines() if "a\\|b" in line)
    assert "a\\|b\\_\\*c\\*" in row and "x\\|y" in row


def test_the_hidden_line_carries_the_verdict_for_the_comment():
    text = preview.render_markdown(summarize("prod", load("acs-data-location.json"), exit_code=255))
    assert text.splitlines()[0] == "<!-- acs-platform:preview stack=prod dangers=1 changes=1 exit=255 -->"
    assert comment.preview_dangers(text) == 1


def test_the_same_preview_gives_the_same_markdown():
    first = preview.render_markdown(summarize("prod", load("acs-data-location.json")))
    assert first == preview.render_markdown(summarize("prod", load("acs-data-location.json")))


def test_a_long_preview_is_cut_to_a_bounded_table():
    steps = [
        step("update", "azure-native:communication:SenderUsername", f"s{i:03}") for i in range(preview.MAX_ROWS + 5)
    ]
    text = preview.render_markdown(summarize("dev", parse_preview(json.dumps({"steps": steps}))))
    assert "… and 5 more changes" in text
    assert "s199" in text and "s200" not in text


# --- the command -----------------------------------------------------------------------------------


def test_the_command_writes_the_summary_and_exits_0_even_with_a_danger(tmp_path, capsys):
    out = tmp_path / "preview-prod.md"
    code, _, _ = run(
        capsys, "--stack", "prod", "--preview-json", str(FIXTURES / "acs-data-location.json"), "--out", str(out)
    )
    assert code == 0
    assert "🚨" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name, expected", [("acs-data-location.json", 1), ("pool-delete.json", 1), ("tags-update.json", 0)]
)
def test_fail_on_danger_exits_1_only_when_there_is_one(capsys, name, expected):
    code, out, _ = run(capsys, "--stack", "s", "--preview-json", str(FIXTURES / name), "--fail-on-danger")
    assert code == expected
    assert out.startswith("<!-- acs-platform:preview stack=s ")


def test_the_event_log_and_exit_code_are_reported(capsys):
    code, out, _ = run(
        capsys,
        "--stack",
        "prod",
        "--preview-json",
        str(FIXTURES / "no-changes.json"),
        "--event-log",
        str(FIXTURES / "policy-events.jsonl"),
        "--pulumi-exit-code",
        "255",
    )
    assert code == 0
    assert "**❌ no changes; `pulumi preview` failed (exit code 255); 1 mandatory policy violation**" in out
    assert "`pulumi up` would fail too" in out


def test_unreadable_json_exits_2_with_a_message_and_a_section_that_says_so(tmp_path, capsys):
    broken = tmp_path / "preview-dev.json"
    broken.write_text("error: getting stack: unauthorized\n", encoding="utf-8")
    out = tmp_path / "preview-dev.md"
    code, stdout, err = run(
        capsys, "--stack", "dev", "--preview-json", str(broken), "--pulumi-exit-code", "255", "--out", str(out)
    )
    assert (code, stdout) == (2, "")
    assert err.startswith(f"error: {broken}: no JSON object found")
    section = out.read_text(encoding="utf-8")
    assert section.startswith("<!-- acs-platform:preview stack=dev dangers=- changes=- exit=255 -->")
    assert "**❌ no preview to show (`pulumi preview` exit code 255)**" in section


def test_a_missing_file_exits_2(tmp_path, capsys):
    code, _, err = run(capsys, "--stack", "dev", "--preview-json", str(tmp_path / "absent.json"))
    assert code == 2
    assert "cannot read it" in err


# --- the sticky comment ----------------------------------------------------------------------------


OFFLINE_DEV = """### Policy check: stack `dev` (acs-platform)

**✅ no mandatory violations (2 advisory)**

Policy pack acs-platform 0.1.0: 28 policies on 28 resources, judged offline.
"""
OFFLINE_PROD = """### Policy check: stack `prod` (acs-platform)

**❌ 1 mandatory violation**

| Enforcement | Severity | Policy | Resource | Message |
|---|---|---|---|---|
| ❌ mandatory | high | acs-local-auth-disabled | communication-acs-contoso-prod-us | local auth is on |
"""


def previews() -> dict[str, str]:
    return {
        "dev": preview.render_markdown(summarize("dev", load("tags-update.json"))),
        "prod": preview.render_markdown(summarize("prod", load("acs-data-location.json"))),
    }


def test_the_comment_starts_with_its_marker():
    body = comment.compose(comment.Reports({"dev": OFFLINE_DEV}, previews(), ("dev", "prod")))
    assert body.splitlines()[0] == comment.MARKER == "<!-- acs-platform:gate -->"
    assert body.count(comment.MARKER) == 1


def test_the_comment_has_one_section_per_stack_with_both_reports_and_a_table_of_verdicts():
    body = comment.compose(comment.Reports({"dev": OFFLINE_DEV, "prod": OFFLINE_PROD}, previews(), ("dev", "prod")))
    assert [line for line in body.splitlines() if line.startswith("## Stack")] == ["## Stack `dev`", "## Stack `prod`"]
    dev, prod = body.split("## Stack `dev`")[1].split("## Stack `prod`")
    assert "### Policy check: stack `dev`" in dev and "### Preview: stack `dev`" in dev
    assert "### Policy check: stack `prod`" in prod and "### Preview: stack `prod`" in prod
    assert "| `dev` | ✅ no mandatory violations (2 advisory) | ✅ 1 change, none dangerous |" in body
    assert "| `prod` | ❌ 1 mandatory violation | 🚨 1 dangerous change (of 1) |" in body


def test_a_danger_in_any_stack_is_called_out_at_the_top():
    body = comment.compose(comment.Reports({}, previews()))
    top = body.split("| Stack |")[0]
    assert "> [!CAUTION]" in top and "**1 dangerous change**" in top


def test_no_danger_no_caution():
    quiet = {"dev": preview.render_markdown(summarize("dev", load("no-changes.json")))}
    assert "[!CAUTION]" not in comment.compose(comment.Reports({"dev": OFFLINE_DEV}, quiet))


def test_a_fork_gets_the_offline_gate_alone_and_is_told_why():
    body = comment.compose(comment.Reports({"dev": OFFLINE_DEV, "prod": OFFLINE_PROD}, {}, ("dev", "prod")), fork=True)
    assert "Previews against the deployed stacks did not run: this pull request comes from a fork." in body
    assert "without the repository's secrets" in body and "OIDC token" in body
    assert "| `dev` | ✅ no mandatory violations (2 advisory) | ⏭️ not run (fork) |" in body
    assert "No preview summary" not in body


def test_a_pull_request_of_this_repository_is_not_told_it_is_a_fork():
    body = comment.compose(comment.Reports({"dev": OFFLINE_DEV}, previews(), ("dev",)))
    assert "fork" not in body


def test_a_missing_report_is_said_not_dropped():
    body = comment.compose(comment.Reports({"dev": OFFLINE_DEV}, {}, ("dev", "prod")))
    assert "| `prod` | ⚠️ no report: see the log | ⚠️ no summary: see the log |" in body
    assert "No offline gate report for this stack" in body.split("## Stack `prod`")[1]


def test_the_jobs_and_the_run_are_linked():
    body = comment.compose(
        comment.Reports({"dev": OFFLINE_DEV}),
        jobs=[("tests and offline gate", "success"), ("previews", "failure")],
        run_url="https://github.example/o/r/actions/runs/1",
    )
    assert "✅ tests and offline gate: success · ❌ previews: failure · [the run, its logs and artifacts]" in body


def test_the_same_reports_give_the_same_comment():
    reports = comment.Reports({"prod": OFFLINE_PROD, "dev": OFFLINE_DEV}, previews(), ("prod", "dev"))
    assert comment.compose(reports) == comment.compose(
        comment.Reports(dict(reversed(reports.offline.items())), previews())
    )


def test_a_comment_too_long_is_cut_at_a_line_and_says_where_the_rest_is():
    long = comment.compose(comment.Reports({"dev": OFFLINE_DEV + "| row |\n" * 20_000}), run_url="https://r")
    assert len(long) <= comment.MAX_CHARS
    assert long.startswith(comment.MARKER)
    assert long.rstrip().endswith("the full reports are in the job summary and artifacts of [the run](https://r).")


def test_the_comment_command_reads_reports_by_file_name(tmp_path):
    (tmp_path / "policy-dev.md").write_text(OFFLINE_DEV, encoding="utf-8")
    (tmp_path / "preview-dev.md").write_text(previews()["dev"], encoding="utf-8")
    (tmp_path / "odd.md").write_text(OFFLINE_PROD, encoding="utf-8")
    out = tmp_path / "comment.md"
    code = comment.main(
        [
            "--out", str(out), "--stack", "dev", "--stack", "prod",
            "--offline", str(tmp_path / "policy-dev.md"), "--offline", f"prod={tmp_path / 'odd.md'}",
            "--preview", str(tmp_path / "preview-dev.md"),
            "--job", "previews=success",
        ]
    )  # fmt: skip
    body = out.read_text(encoding="utf-8")
    assert code == 0
    assert "| `prod` | ❌ 1 mandatory violation | ⚠️ no summary: see the log |" in body
    assert "✅ previews: success" in body


def test_the_comment_command_refuses_two_reports_for_one_stack_and_unreadable_ones(tmp_path, capsys):
    (tmp_path / "policy-dev.md").write_text(OFFLINE_DEV, encoding="utf-8")
    twice = ["--offline", str(tmp_path / "policy-dev.md"), "--offline", f"dev={tmp_path / 'policy-dev.md'}"]
    assert comment.main(["--out", str(tmp_path / "c.md"), *twice]) == 2
    assert comment.main(["--out", str(tmp_path / "c.md"), "--preview", str(tmp_path / "preview-x.md")]) == 2
    err = capsys.readouterr().err
    assert "two offline reports for stack 'dev'" in err and "cannot read" in err
    assert not (tmp_path / "c.md").exists()


# --- the change in monthly cost, in the comment ---------------------------------------------------------


def cost_sections() -> dict[str, str]:
    """gitops.cost's sections: dev unchanged, prod's pool grown from 2 to 1000 numbers."""

    def estimate(stack: str, numbers: int) -> cost.Estimate:
        lease = {"instance": "contoso-us", "resource": "pool", "item": "phone number lease: US toll-free"}
        lease |= {"kind": "fixed", "quantity": numbers, "unit": "number-month", "unitPrice": 2, "source": "lease"}
        lease["monthly"] = 2 * numbers
        amount = {"monthly": 2 * numbers, "known": 2 * numbers, "unknownLines": 0}
        document = {"stack": stack, "project": "acs-platform", "currency": "USD", "pricesReadOn": "2026-11-20"}
        document |= {"total": amount, "instances": [{"name": "contoso-us", **amount}], "lines": [lease]}
        return cost.parse_estimate(json.dumps(document))

    return {
        "dev": cost.render_markdown("dev", estimate("dev", 1), estimate("dev", 1)),
        "prod": cost.render_markdown("prod", estimate("prod", 1000), estimate("prod", 2)),
    }


def test_each_stack_part_of_the_comment_gets_its_cost_and_the_table_a_column():
    offline = {"dev": OFFLINE_DEV, "prod": OFFLINE_PROD}
    body = comment.compose(comment.Reports(offline, previews(), ("dev", "prod"), cost_sections()))
    assert "| Stack | Offline policy gate (first deployment, under mocks) | Preview against the deployed stack " in body
    assert "| Preview against the deployed stack | Monthly cost (offline estimate) |\n|---|---|---|---|" in body
    assert (
        "| `dev` | ✅ no mandatory violations (2 advisory) | ✅ 1 change, none dangerous | no change: $2.00/month |"
        in body
    )
    assert (
        "| `prod` | ❌ 1 mandatory violation | 🚨 1 dangerous change (of 1) | ⬆️ +$1,996.00/month: $4.00 → $2,000.00 |"
        in (body)
    )
    dev, prod = body.split("## Stack `dev`")[1].split("## Stack `prod`")
    # In its stack's part, after the gate and the preview; one comment, one marker.
    assert dev.index("### Policy check") < dev.index("### Preview") < dev.index("### Monthly cost: stack `dev`")
    assert "### Monthly cost: stack `prod`" in prod and "### Monthly cost: stack `prod`" not in dev
    assert "| quantity | contoso-us | pool | phone number lease: US toll-free |" in prod
    assert body.count(comment.MARKER) == 1


def test_a_big_increase_of_the_monthly_cost_is_called_out_at_the_top():
    body = comment.compose(comment.Reports({}, {}, ("dev", "prod"), cost_sections()))
    top = body.split("| Stack |")[0]
    assert "> [!WARNING]" in top and "> **The monthly cost goes up**" in top
    assert "> - `prod`: ⬆️ +$1,996.00/month: $4.00 → $2,000.00" in top
    assert "`dev`" not in top
    quiet = comment.compose(comment.Reports({}, {}, ("dev",), {"dev": cost_sections()["dev"]}))
    assert "[!WARNING]" not in quiet


def test_a_stack_without_its_cost_section_says_so():
    body = comment.compose(comment.Reports({"dev": OFFLINE_DEV}, {}, ("dev", "prod"), {"dev": cost_sections()["dev"]}))
    assert (
        body.splitlines()[body.splitlines().index("## Stack `prod`") + 1 :].count(
            "No estimate of the monthly cost for this stack: see the offline gate's log."
        )
        == 1
    )
    assert "| `prod` | ⚠️ no report: see the log | ⚠️ no summary: see the log | ⚠️ no estimate: see the log |" in body


def test_without_cost_sections_the_comment_has_no_cost_column():
    body = comment.compose(comment.Reports({"dev": OFFLINE_DEV}, previews(), ("dev",)))
    assert "Monthly cost" not in body and "No estimate of the monthly cost" not in body


def test_the_comment_with_cost_sections_still_fits_in_one_comment():
    sections = cost_sections()
    long = comment.compose(comment.Reports({"dev": OFFLINE_DEV + "| row |\n" * 20_000}, previews(), (), sections))
    assert len(long) <= comment.MAX_CHARS
    # The table of verdicts, cost included, is at the top: it survives the cut.
    assert "| `prod` | ⚠️ no report: see the log | 🚨 1 dangerous change (of 1) | ⬆️ +$1,996.00/month" in long


def test_the_comment_command_reads_cost_sections_by_file_name(tmp_path):
    (tmp_path / "cost-prod.md").write_text(cost_sections()["prod"], encoding="utf-8")
    (tmp_path / "x.md").write_text(cost_sections()["dev"], encoding="utf-8")
    out = tmp_path / "comment.md"
    code = comment.main(
        ["--out", str(out), "--cost", str(tmp_path / "cost-prod.md"), "--cost", f"dev={tmp_path / 'x.md'}"]
    )
    assert code == 0
    body = out.read_text(encoding="utf-8")
    assert "### Monthly cost: stack `prod`" in body.split("## Stack `prod`")[1]
    assert "### Monthly cost: stack `dev`" in body.split("## Stack `dev`")[1].split("## Stack `prod`")[0]
    twice = ["--cost", str(tmp_path / "cost-prod.md"), "--cost", f"prod={tmp_path / 'x.md'}"]
    assert comment.main(["--out", str(tmp_path / "again.md"), *twice]) == 2
