"""preflight check end to end: committed stacks pass; each faulty stack fails with exactly its
fault, at the right enforcement level, in every format, with exit code 1."""

import json
import re

import pytest

from preflight.__main__ import main
from tests.stacks import REPO

FIXTURES = REPO / "tests" / "fixtures" / "baseline-faults"
PROD_POLICY = str(REPO / "policies" / "config" / "prod.json")

# stack -> (arguments locating it, the violations expected: (level, policy, resource name))
FAULTS = {
    "data-location-outside": (
        ["--stacks-dir", str(REPO / "tests" / "stacks")],
        [("mandatory", "acs-data-location-allowed", "acs-contoso-fault-jp-acs")],
    ),
    "prod-local-auth": (
        ["--stacks-dir", str(REPO / "tests" / "stacks")],
        [("mandatory", "acs-local-auth-disabled", "acs-contoso-fault-eu-acs")],
    ),
    "phone-not-sold": (
        ["--stacks-dir", str(REPO / "tests" / "stacks")],
        [("mandatory", "phone-number-availability", "acs-contoso-fault-uk-numbers-london")],
    ),
    "email-geography": (
        ["--project-dir", str(FIXTURES)],
        [("mandatory", "email-domain-same-geography", "acs")],
    ),
    "vault-purge": (
        ["--project-dir", str(FIXTURES)],
        [("mandatory", "keyvault-purge-protection", "vault")],
    ),
    "http-webhook": (
        ["--project-dir", str(FIXTURES)],
        [("mandatory", "eventgrid-webhook-https", "sms-received")],
    ),
}


def check(capsys, stack, *arguments, fmt="json"):
    code = main(["check", "--stack", stack, "--format", fmt, *arguments])
    out, err = capsys.readouterr()
    return code, out, err


def as_triples(document) -> list[tuple[str, str, str]]:
    return sorted((v["enforcementLevel"], v["policy"], v["resourceName"]) for v in document["violations"])


def test_the_committed_prod_stack_passes_with_no_violation(capsys):
    code, out, _ = check(capsys, "prod")
    assert code == 0
    assert json.loads(out)["violations"] == []


def test_the_committed_dev_stack_passes_with_its_relaxations_as_advice(capsys):
    code, out, _ = check(capsys, "dev")
    assert code == 0
    assert as_triples(json.loads(out)) == [
        ("advisory", "acs-local-auth-disabled", "acs-contoso-dev-eu-acs"),
        ("advisory", "keyvault-purge-protection", "shared-keyvault-vault"),
    ]


def test_the_clean_fixture_has_no_violation(capsys):
    code, out, _ = check(capsys, "clean", "--project-dir", str(FIXTURES), "--policy-config", PROD_POLICY)
    assert (code, json.loads(out)["violations"]) == (0, [])


@pytest.mark.parametrize("stack", FAULTS)
def test_a_fault_gives_exactly_its_violation_in_json(capsys, stack):
    arguments, expected = FAULTS[stack]
    code, out, _ = check(capsys, stack, *arguments, "--policy-config", PROD_POLICY)
    assert code == 1
    document = json.loads(out)
    assert as_triples(document) == sorted(expected)
    assert document["summary"] == {"mandatory": len(expected), "advisory": 0}


@pytest.mark.parametrize("stack", FAULTS)
def test_a_fault_shows_in_text_sarif_and_markdown_with_exit_1(capsys, stack):
    arguments, expected = FAULTS[stack]
    [(level, policy, resource)] = expected
    code, text, _ = check(capsys, stack, *arguments, "--policy-config", PROD_POLICY, fmt="text")
    assert code == 1
    assert re.search(rf"✗ {level}  {policy} \[\w+\]", text)
    assert resource in text and "fix: " in text
    assert text.rstrip().splitlines()[-1].startswith("FAILED: 1 mandatory, 0 advisory violations")

    code, sarif, _ = check(capsys, stack, *arguments, "--policy-config", PROD_POLICY, fmt="sarif")
    assert code == 1
    results = json.loads(sarif)["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [(policy, "error")]

    code, markdown, _ = check(capsys, stack, *arguments, "--policy-config", PROD_POLICY, fmt="markdown")
    assert code == 1
    assert policy in markdown and resource in markdown


def test_a_missing_policy_config_is_a_usage_error(capsys, tmp_path):
    code, out, err = check(capsys, "prod", "--policy-config", str(tmp_path / "none.json"))
    assert (code, out) == (2, "")
    assert err == f"error: {tmp_path / 'none.json'}: no such policy config file\n"


def test_a_stack_config_error_still_exits_2(capsys):
    code, _, err = check(capsys, "staging")
    assert code == 2 and "unknown stack 'staging'" in err


def test_one_run_writes_every_report_asked_for_as_each_format_alone_would(capsys, tmp_path):
    arguments = ["--project-dir", str(FIXTURES), "--policy-config", PROD_POLICY]
    sarif, markdown = tmp_path / "policy.sarif", tmp_path / "policy.md"
    code, text, _ = check(
        capsys, "vault-purge", *arguments, "--report", f"sarif={sarif}", "--report", f"markdown={markdown}", fmt="text"
    )
    assert code == 1 and "keyvault-purge-protection" in text
    assert sarif.read_text(encoding="utf-8") == check(capsys, "vault-purge", *arguments, fmt="sarif")[1]
    assert markdown.read_text(encoding="utf-8") == check(capsys, "vault-purge", *arguments, fmt="markdown")[1]


def test_a_report_without_a_known_format_is_a_usage_error(capsys, tmp_path):
    with pytest.raises(SystemExit) as exited:
        check(capsys, "prod", "--report", f"xml={tmp_path / 'policy.xml'}")
    assert exited.value.code == 2
    assert "expected FORMAT=FILE, FORMAT one of text, json, sarif, markdown" in capsys.readouterr().err
    assert not (tmp_path / "policy.xml").exists()
