"""`python -m preflight adopt` end to end: the real SDK clients read the tenant issue 16 describes from the
fakes of ARM and of the ACS data planes (tests/adoption_tenant.py), and the stack file written plans, marks
every existing resource with its exact id, buys no number, is the same on a second run, and nothing in
Azure is changed."""

import json

import pytest

from preflight.__main__ import EXIT_CONFIG, EXIT_OK, main
from preflight.runner import plan_stack
from preflight.stack_yaml import read_yaml
from preflight.stacks import load_project
from tests.adoption_tenant import CUSTOM_DOMAIN, EU_HOST, TENANT_ID, US_HOST, WRITES
from tests.stacks import REPO

STACK = "adopted"
PROD_POLICIES = REPO / "policies" / "config" / "prod.json"
POOL = "pulumi-python:dynamic/numberpools:PhoneNumberPool"


def run_adopt(fakes, stacks_dir, *extra: str) -> int:
    argv = [
        "adopt",
        "--subscription",
        fakes.tenant.subscription,
        "--resource-group",
        fakes.tenant.resource_group,
        "--stack",
        STACK,
        "--stacks-dir",
        str(stacks_dir),
        "--tenant-id",
        TENANT_ID,
        "--owner",
        "platform-team@contoso.com",
        "--cost-center",
        "CC-4711",
        *extra,
    ]
    return main(argv, read=lambda subscription, group, _credential: fakes.read(group, subscription))


@pytest.fixture
def adopted(tenant_fakes, tmp_path, capsys):
    assert run_adopt(tenant_fakes, tmp_path) == EXIT_OK
    said = capsys.readouterr().out
    return tenant_fakes, tmp_path, said


def test_every_existing_resource_is_marked_with_its_exact_id(adopted):
    fakes, stacks_dir, _ = adopted
    tenant = fakes.tenant
    config = read_yaml(stacks_dir / f"Pulumi.{STACK}.yaml")["config"]
    assert set(config["acs-platform:adopt"]) == {
        tenant.eu_id,
        tenant.us_id,
        tenant.email_service_id,
        tenant.azure_domain_id,
        tenant.custom_domain_id,
        *tenant.sender_ids.values(),
        tenant.suppression_list_id,
        *tenant.address_ids.values(),
        tenant.topic_id,
        tenant.queue_subscription_id,  # the webhook's is left alone: its URL cannot be read
    }


def test_the_stack_file_plans_importing_each_of_them(adopted):
    fakes, stacks_dir, _ = adopted
    config = read_yaml(stacks_dir / f"Pulumi.{STACK}.yaml")["config"]
    plan = plan_stack(load_project(REPO, stacks_dir), STACK)
    imported = sorted(r.import_id for r in plan.resources if r.import_id)
    assert imported == sorted(config["acs-platform:adopt"])
    eu = next(r for r in plan.resources if r.import_id == fakes.tenant.eu_id)
    assert eu.inputs["disableLocalAuth"] is False and eu.inputs["dataLocation"] == "Europe"
    custom = next(r for r in plan.resources if r.import_id == fakes.tenant.custom_domain_id)
    assert custom.inputs["domainName"] == CUSTOM_DOMAIN


def test_the_pools_take_the_numbers_and_buy_none(adopted):
    fakes, stacks_dir, _ = adopted
    plan = plan_stack(load_project(REPO, stacks_dir), STACK)
    pools = plan.of_type(POOL)
    assert sorted(n for p in pools for n in p.inputs["adoptNumbers"]) == sorted(
        fakes.tenant.numbers[EU_HOST] + fakes.tenant.numbers[US_HOST]
    )
    assert all(p.inputs["quantity"] == len(p.inputs["adoptNumbers"]) for p in pools)


def test_it_reads_only(adopted):
    fakes, _, _ = adopted
    seen = fakes.methods()
    assert seen.get("GET", 0) > 0
    assert {method: seen.get(method, 0) for method in WRITES} == dict.fromkeys(WRITES, 0)


def test_a_second_adopt_writes_the_same_file(adopted):
    fakes, stacks_dir, _ = adopted
    target = stacks_dir / f"Pulumi.{STACK}.yaml"
    first = target.read_text()
    assert run_adopt(fakes, stacks_dir, "--force") == EXIT_OK
    assert target.read_text() == first


def test_it_says_what_it_found_left_alone_and_what_the_first_up_does(adopted):
    _, _, said = adopted
    assert "ACS resource acs-contoso-eu (Europe): email service email-contoso-eu" in said
    assert "event subscription sms-webhook of acs-contoso-us-events: a webhook's URL" in said
    assert "takes 3 phone numbers into pools and buys none" in said


def test_an_existing_stack_file_is_not_overwritten(adopted, capsys):
    fakes, stacks_dir, _ = adopted
    target = stacks_dir / f"Pulumi.{STACK}.yaml"
    before = target.read_text()
    assert run_adopt(fakes, stacks_dir) == EXIT_CONFIG
    assert "exists already" in capsys.readouterr().err
    assert target.read_text() == before


def test_a_missing_resource_group_is_an_error_naming_it(tenant_fakes, tmp_path, capsys):
    code = main(
        ["adopt", "--subscription", tenant_fakes.tenant.subscription, "--resource-group", "rg-nope", "--stack", STACK]
        + ["--stacks-dir", str(tmp_path), "--tenant-id", TENANT_ID, "--owner", "a@contoso.com", "--cost-center", "1"],
        read=lambda subscription, group, _credential: tenant_fakes.read(group, subscription),
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "rg-nope" in err and "Traceback" not in err
    assert not (tmp_path / f"Pulumi.{STACK}.yaml").exists()


def test_the_policy_pack_judges_what_was_adopted(adopted, capsys):
    _, stacks_dir, _ = adopted
    code = main(
        ["check", "--stack", STACK, "--stacks-dir", str(stacks_dir), "--policy-config", str(PROD_POLICIES)]
        + ["--format", "json"]
    )
    verdict = json.loads(capsys.readouterr().out)
    assert code == 1
    # acs-contoso-eu was made with local auth on: adopted as it is, the gate says so at once.
    assert {
        (v["policy"], v["resourceName"]) for v in verdict["violations"] if v["policy"] == "acs-local-auth-disabled"
    } == {("acs-local-auth-disabled", "acs-contoso-eu-acs")}
