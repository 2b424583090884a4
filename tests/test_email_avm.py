"""Email as Azure Verified Modules models it (issue 17): a domain's `domainManagement`, Exchange Online
domains, every custom domain's verification records as an output, and the instance's active sender."""

import asyncio
import json
from types import SimpleNamespace

import pulumi
import pytest
from pydantic import ValidationError

from components.email import records_of
from components.email_outputs import SenderCandidate, active_sender, choose_active_sender, sender_candidates
from preflight.__main__ import main
from preflight.plan import UNKNOWN
from stackconfig.email import DomainConfig
from tests.stacks import (
    DOMAIN_VERIFICATION,
    EMAIL_DOMAIN,
    LINKED_DOMAINS,
    RECORD_SET,
    REPO,
    minimal_config,
    one,
    plan_committed,
    plan_config,
    sources,
    write_stack,
)

EXCHANGE = {"name": "mail.fabrikam.com", "domainManagement": "CustomerManagedInExchangeOnline"}
ZONED = {"name": "mail.contoso.com", "dnsZone": {"name": "contoso.com", "resourceGroup": "rg-dns"}}
BY_HAND = {"name": "news.contoso.com"}
EMAIL = {"domains": [{"name": "AzureManagedDomain"}, ZONED, BY_HAND, EXCHANGE]}


# --- config ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "management"),
    [
        ({"name": "AzureManagedDomain"}, "AzureManaged"),
        ({"name": "AzureManagedDomain", "domainManagement": "AzureManaged"}, "AzureManaged"),
        ({"name": "mail.contoso.com"}, "CustomerManaged"),
        ({"name": "mail.contoso.com", "domainManagement": "CustomerManaged"}, "CustomerManaged"),
        (EXCHANGE, "CustomerManagedInExchangeOnline"),
        ({**EXCHANGE, "senders": [{"username": "billing"}], "engagementTracking": True}, EXCHANGE["domainManagement"]),
    ],
)
def test_domain_management_is_as_configured_or_derived_from_the_name(domain, management):
    config = DomainConfig.model_validate(domain)
    assert config.management == management
    assert config.exchange_online is (management == "CustomerManagedInExchangeOnline")


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ({"name": "AzureManagedDomain", "domainManagement": "CustomerManaged"}, "can only be 'AzureManaged'"),
        (
            {"name": "AzureManagedDomain", "domainManagement": "CustomerManagedInExchangeOnline"},
            "can only be 'AzureManaged'",
        ),
        ({"name": "mail.contoso.com", "domainManagement": "AzureManaged"}, "is for AzureManagedDomain only"),
        ({"name": "mail.contoso.com", "domainManagement": "ExchangeOnline"}, "Input should be 'AzureManaged'"),
        ({"name": "mail.contoso.com", "domainManagement": "customermanaged"}, "Input should be 'AzureManaged'"),
        ({**EXCHANGE, "dnsZone": {"name": "fabrikam.com", "resourceGroup": "rg-dns"}}, "keeps its DNS records"),
        ({**EXCHANGE, "apexTxtRecords": ["v=spf1 -all"]}, "keeps its DNS records"),
        ({**EXCHANGE, "dmarc": "v=DMARC1; p=none"}, "keeps its DNS records"),
    ],
)
def test_domain_management_refuses(domain, message):
    with pytest.raises(ValidationError, match=message):
        DomainConfig.model_validate(domain)


def test_a_wrong_domain_management_in_a_stack_file_names_the_key(capsys, tmp_path):
    bad = minimal_config(email={"domains": [{"name": "mail.contoso.com", "domainManagement": "AzureManaged"}]})
    write_stack(tmp_path, "bad", bad)
    assert main(["plan", "--stack", "bad", "--stacks-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "domains" in err and "AzureManagedDomain only" in err


# --- the plan ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    return plan_config(tmp_path_factory.mktemp("email-avm"), minimal_config("prod", email=EMAIL))


def domain(plan, name: str):
    return next(d for d in plan.of_type(EMAIL_DOMAIN) if d.inputs["domainName"] == name)


def verification_of(plan, name: str):
    urn = domain(plan, name).urn
    return next(v for v in plan.of_type(DOMAIN_VERIFICATION) if sources(v, "domainId") == [urn])


def test_the_domain_resource_takes_its_management(plan):
    managements = {d.inputs["domainName"]: d.inputs["domainManagement"] for d in plan.of_type(EMAIL_DOMAIN)}
    assert managements == {
        "AzureManagedDomain": "AzureManaged",
        "mail.contoso.com": "CustomerManaged",
        "news.contoso.com": "CustomerManaged",
        "mail.fabrikam.com": "CustomerManagedInExchangeOnline",
    }
    exchange = domain(plan, "mail.fabrikam.com")
    assert exchange.inputs["location"] == "global" and exchange.inputs["userEngagementTracking"] == "Disabled"
    assert exchange.protect


def test_an_exchange_online_domain_gets_no_dns_records_and_is_verified_without_waiting(plan):
    # Only the zoned domain's records: apex TXT and two DKIM CNAMEs, none in fabrikam.com.
    assert {r.inputs["zoneName"] for r in plan.of_type(RECORD_SET)} == {"contoso.com"}
    assert len(plan.of_type(RECORD_SET)) == 3
    verification = verification_of(plan, "mail.fabrikam.com")
    assert verification.inputs["wait"] is False
    assert verification.inputs["recordTypes"] == ["Domain", "SPF", "DKIM", "DKIM2"]
    assert not set(verification.dependencies) & {r.urn for r in plan.of_type(RECORD_SET)}
    assert len(plan.of_type(DOMAIN_VERIFICATION)) == 3  # every custom domain, none for the Azure-managed one


def test_an_exchange_online_domain_is_linked_through_its_verification_only(plan):
    link = one(plan, LINKED_DOMAINS)
    linked_from = set(sources(link, "domainIds"))
    assert verification_of(plan, "mail.fabrikam.com").urn in linked_from
    assert domain(plan, "mail.fabrikam.com").urn not in linked_from
    assert linked_from == {domain(plan, "AzureManagedDomain").urn, *(v.urn for v in plan.of_type(DOMAIN_VERIFICATION))}


def test_the_policy_gate_passes_a_stack_with_an_exchange_online_domain(capsys, tmp_path):
    write_stack(tmp_path, "exo", minimal_config("prod", email={"domains": [{"name": "AzureManagedDomain"}, EXCHANGE]}))
    arguments = ["--stacks-dir", str(tmp_path), "--policy-config", str(REPO / "policies" / "config" / "prod.json")]
    code = main(["check", "--stack", "exo", "--format", "json", *arguments])
    assert json.loads(capsys.readouterr().out)["violations"] == []
    assert code == 0


# --- outputs -----------------------------------------------------------------------------------------------


def test_every_custom_domain_outputs_its_verification_records_the_hand_made_ones_also_as_records_to_create(plan):
    outputs = plan.outputs["instances"]["acs-test-eu"]
    domains = outputs["emailDomains"]
    assert set(domains) == {"AzureManagedDomain", "mail.contoso.com", "news.contoso.com", "mail.fabrikam.com"}
    assert set(domains["AzureManagedDomain"]) == {"fromSenderDomain", "mailFromSenderDomain", "verificationStates"}
    common = {"fromSenderDomain", "mailFromSenderDomain", "verificationStates", "verificationRecords"}
    assert set(domains["mail.contoso.com"]) == common  # the zone is managed here: nothing to create by hand
    assert set(domains["news.contoso.com"]) == {*common, "recordsToCreate"}
    assert set(domains["mail.fabrikam.com"]) == {*common, "recordsToCreate"}
    # Computed by Azure: unknown offline, known once deployed.
    assert all(d["verificationRecords"] == UNKNOWN for n, d in domains.items() if n != "AzureManagedDomain")


def test_the_active_sender_is_known_after_deploy_and_not_a_secret(plan):
    assert plan.outputs["instances"]["acs-test-eu"]["activeSender"] == UNKNOWN


def test_an_instance_without_email_has_no_active_sender(tmp_path):
    plan = plan_config(tmp_path, minimal_config())
    assert "activeSender" not in plan.outputs["instances"]["acs-test-eu"]


def test_records_of_lists_what_acs_reports_with_a_default_ttl():
    record = SimpleNamespace
    records = SimpleNamespace(
        domain=record(type="TXT", name="@", value="ms-domain-verification=abc", ttl=3600),
        s_pf=record(type="TXT", name="@", value="v=spf1 include:spf.protection.outlook.com -all", ttl=None),
        d_kim=record(type="CNAME", name="selector1-azurecomm-prod-net._domainkey", value="a.example", ttl=3600),
        d_kim2=None,
        d_marc=None,
    )
    assert records_of(records) == [
        {"type": "TXT", "name": "@", "value": "ms-domain-verification=abc", "ttl": 3600},
        {"type": "TXT", "name": "@", "value": "v=spf1 include:spf.protection.outlook.com -all", "ttl": 3600},
        {"type": "CNAME", "name": "selector1-azurecomm-prod-net._domainkey", "value": "a.example", "ttl": 3600},
    ]
    assert records_of(None) == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_committed_stacks_keep_their_domains_and_gain_only_the_new_outputs(stack):
    plan = plan_committed(stack)
    for resource in plan.of_type(EMAIL_DOMAIN):
        managed = resource.inputs["domainName"] == "AzureManagedDomain"
        assert resource.inputs["domainManagement"] == ("AzureManaged" if managed else "CustomerManaged")
    for outputs in plan.outputs["instances"].values():
        assert outputs["activeSender"] == UNKNOWN
        for name, domain_outputs in outputs["emailDomains"].items():
            assert ("verificationRecords" in domain_outputs) is (name != "AzureManagedDomain")


# --- the active sender -------------------------------------------------------------------------------------

SERVICE_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Communication/emailServices/e"
MANAGED_ID = f"{SERVICE_ID}/domains/AzureManagedDomain"
CUSTOM_ID = f"{SERVICE_ID}/domains/mail.contoso.com"
OTHER_ID = f"{SERVICE_ID}/domains/news.contoso.com"


def managed(username="DoNotReply", sender_domain="1234.azurecomm.net"):
    return SenderCandidate(username, sender_domain, azure_managed=True, verified=True, domain_id=MANAGED_ID)


def custom(verified=True, domain_id=CUSTOM_ID, username="billing", sender_domain="mail.contoso.com"):
    return SenderCandidate(username, sender_domain, azure_managed=False, verified=verified, domain_id=domain_id)


def test_a_verified_and_linked_custom_domain_beats_the_managed_one():
    candidates = [managed(), custom()]
    assert choose_active_sender(candidates, [MANAGED_ID, CUSTOM_ID]) == "billing@mail.contoso.com"


def test_an_unverified_custom_domain_leaves_the_managed_one():
    assert choose_active_sender([managed(), custom(verified=False)], [MANAGED_ID, CUSTOM_ID]) == (
        "DoNotReply@1234.azurecomm.net"
    )


def test_a_verified_custom_domain_not_linked_yet_leaves_the_managed_one():
    assert choose_active_sender([managed(), custom()], [MANAGED_ID]) == "DoNotReply@1234.azurecomm.net"
    assert choose_active_sender([managed(), custom()], None) == "DoNotReply@1234.azurecomm.net"


def test_no_managed_domain_and_no_verified_custom_one_is_none():
    assert choose_active_sender([custom(verified=False)], [CUSTOM_ID]) is None
    assert choose_active_sender([custom()], []) is None
    assert choose_active_sender([], [CUSTOM_ID]) is None


def test_the_first_ready_custom_domain_in_config_order_wins_and_ids_compare_case_insensitively():
    first = custom(domain_id=OTHER_ID, username="news", sender_domain="news.contoso.com")
    candidates = [managed(), custom(verified=False), first, custom()]
    assert choose_active_sender(candidates, [CUSTOM_ID, OTHER_ID.upper()]) == "news@news.contoso.com"


def test_a_custom_domain_without_its_sender_domain_yet_is_skipped():
    assert choose_active_sender([managed(), custom(sender_domain=None)], [CUSTOM_ID]) == (
        "DoNotReply@1234.azurecomm.net"
    )


def resolved(make_output):
    """The value of the output `make_output()` builds, in an event loop of its own (as Pulumi's runtime has)."""

    async def value():
        return await make_output().future()

    return asyncio.run(value())


def fake_email(linked, verified, with_link=True):
    known = pulumi.Output.from_input
    domains = {
        "AzureManagedDomain": SimpleNamespace(id=known(MANAGED_ID), from_sender_domain=known("1234.azurecomm.net")),
        "mail.contoso.com": SimpleNamespace(id=known(CUSTOM_ID), from_sender_domain=known("mail.contoso.com")),
    }
    return SimpleNamespace(
        domains=domains,
        verifications={"mail.contoso.com": SimpleNamespace(verified=known(verified))},
        link=SimpleNamespace(linked_domains=known(linked)) if with_link else None,
    )


CONFIGS = [
    DomainConfig.model_validate({"name": "AzureManagedDomain"}),
    DomainConfig.model_validate({"name": "mail.contoso.com", "senders": [{"username": "billing"}, {"username": "x"}]}),
]


@pytest.mark.parametrize(
    ("linked", "verified", "with_link", "expected"),
    [
        ([MANAGED_ID, CUSTOM_ID], True, True, "billing@mail.contoso.com"),
        ([MANAGED_ID, CUSTOM_ID], False, True, "DoNotReply@1234.azurecomm.net"),
        ([MANAGED_ID], True, True, "DoNotReply@1234.azurecomm.net"),
        (None, None, True, "DoNotReply@1234.azurecomm.net"),  # the verification's outputs before its first run
        ([], True, False, "DoNotReply@1234.azurecomm.net"),  # no link of its own: nothing custom is linked
    ],
)
def test_active_sender_reads_the_email_components_outputs(linked, verified, with_link, expected):
    def sender():
        email = fake_email(linked, verified, with_link)
        return active_sender(sender_candidates(email, CONFIGS), email.link.linked_domains if email.link else [])

    assert resolved(sender) == expected


def test_a_linked_domain_of_the_stack_s_email_service_is_a_candidate_after_the_instance_s_own():
    def sender():
        email = fake_email([MANAGED_ID, CUSTOM_ID, OTHER_ID], False)  # its own custom domain is not verified
        shared = {
            "username": "news",
            "from_sender_domain": "news.contoso.com",
            "azure_managed": False,
            "verified": True,
            "domain_id": OTHER_ID,
        }
        return active_sender(
            [*sender_candidates(email, CONFIGS), pulumi.Output.from_input(shared)], email.link.linked_domains
        )

    assert resolved(sender) == "news@news.contoso.com"
