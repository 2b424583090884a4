"""Email services of the stack on their own (`acs-platform:emailServices`), as AVM's email-service module
deploys them, and instances that send from their domains (`linkedDomains: [<service>/<domain>]`)."""

import pytest

from tests.stacks import minimal_config, plan_config, with_changes
from tests.test_config import only_problem, validate

SHARED = {
    "name": "email-contoso-shared",
    "dataLocation": "Europe",
    "tags": {"team": "mail"},
    "domains": [{"name": "AzureManagedDomain"}, {"name": "mail.contoso.com"}],
}
LINKS = ["email-contoso-shared/AzureManagedDomain", "email-contoso-shared/mail.contoso.com"]
OUTSIDE = (
    "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-mail/providers"
    "/Microsoft.Communication/emailServices/email-other/domains/AzureManagedDomain"
)
LINKS_TYPE = "pulumi-python:dynamic/emaildomains:LinkedDomains"


def two_instances_sharing(**second) -> dict:
    config = with_changes(minimal_config(linkedDomains=LINKS), emailServices=[SHARED])
    config["acs-platform:instances"].append(
        {"name": "acs-test-eu2", "dataLocation": "Europe", "linkedDomains": LINKS[:1], **second}
    )
    return config


def test_two_instances_of_one_geography_may_link_domains_of_one_service():
    config = validate(two_instances_sharing())
    assert [i.linked_domains for i in config.instances] == [LINKS, LINKS[:1]]


def test_a_domain_of_another_geography_is_refused():
    problem = only_problem(two_instances_sharing(dataLocation="Germany"))
    assert "'email-contoso-shared/AzureManagedDomain' keeps its data in Europe, acs-test-eu2 in Germany" in problem
    assert "InvalidLinkedDomains" in problem


def test_a_domain_the_stack_does_not_have_is_refused_naming_those_it_has():
    config = with_changes(
        minimal_config(linkedDomains=["email-contoso-shared/mail.fabrikam.com"]), emailServices=[SHARED]
    )
    problem = only_problem(config)
    assert "is no domain of acs-platform:emailServices" in problem
    assert "allowed: email-contoso-shared/AzureManagedDomain, email-contoso-shared/mail.contoso.com" in problem


def test_a_domain_outside_the_stack_is_linked_by_its_id():
    assert validate(minimal_config(linkedDomains=[OUTSIDE])).instances[0].linked_domains == [OUTSIDE]


@pytest.mark.parametrize("wrong", ["email-contoso-shared", "/subscriptions/x/domains/y"])
def test_a_linked_domain_that_is_neither_is_refused(wrong):
    assert "acs-platform:instances[0].linkedDomains[0]:" in only_problem(minimal_config(linkedDomains=[wrong]))


def test_a_stack_may_deploy_email_services_only():
    config = validate(with_changes(minimal_config(), instances=[], emailServices=[SHARED]))
    assert config.instances == [] and config.email_services[0].name == "email-contoso-shared"


def test_a_stack_with_nothing_to_deploy_is_refused():
    assert "give at least one instance, or an email service" in only_problem(
        with_changes(minimal_config(), instances=[])
    )


def test_an_instance_s_email_service_cannot_take_the_name_of_the_stack_s():
    email = {"serviceName": "email-contoso-shared", "domains": [{"name": "AzureManagedDomain"}]}
    config = with_changes(minimal_config(email=email), emailServices=[SHARED])
    assert "the stack and acs-test-eu would both have the email service email-contoso-shared" in only_problem(config)


@pytest.fixture(scope="module")
def shared_plan(tmp_path_factory):
    return plan_config(tmp_path_factory.mktemp("email-services"), two_instances_sharing())


def test_the_service_and_its_domains_belong_to_the_shared_component(shared_plan):
    (service,) = shared_plan.of_type("azure-native:communication:EmailService")
    assert service.inputs["emailServiceName"] == "email-contoso-shared"
    assert service.inputs["dataLocation"] == "Europe"
    assert service.inputs["tags"]["team"] == "mail" and service.inputs["tags"]["managed-by"] == "acs-platform"
    assert "SharedInfrastructure" in service.urn
    domains = shared_plan.of_type("azure-native:communication:Domain")
    assert sorted(d.inputs["domainName"] for d in domains) == ["AzureManagedDomain", "mail.contoso.com"]


def test_each_instance_links_the_domains_it_names_and_the_service_links_none(shared_plan):
    links = {r.name: r for r in shared_plan.of_type(LINKS_TYPE)}
    assert set(links) == {"acs-test-eu-links", "acs-test-eu2-links"}  # the instances' own: none for the service
    verification = next(r for r in shared_plan.resources if r.type.endswith("DomainVerification"))
    managed = next(r for r in shared_plan.of_type("azure-native:communication:Domain") if r.name.endswith("managed"))
    assert set(links["acs-test-eu-links"].property_dependencies["domainIds"]) == {verification.urn, managed.urn}
    assert links["acs-test-eu2-links"].property_dependencies["domainIds"] == [managed.urn]


def test_an_instance_with_an_email_service_of_its_own_links_both(tmp_path):
    own = {"domains": [{"name": "AzureManagedDomain"}]}
    config = with_changes(minimal_config(email=own, linkedDomains=LINKS[:1]), emailServices=[SHARED])
    plan = plan_config(tmp_path, config)
    (link,) = [r for r in plan.of_type(LINKS_TYPE)]
    managed = {r.urn for r in plan.of_type("azure-native:communication:Domain") if r.name.endswith("azure-managed")}
    assert len(managed) == 2
    assert set(link.property_dependencies["domainIds"]) == managed


def test_an_email_only_stack_plans_without_an_acs_resource(tmp_path):
    plan = plan_config(tmp_path, with_changes(minimal_config(), instances=[], emailServices=[SHARED]))
    assert not plan.of_type("azure-native:communication:CommunicationService")
    assert len(plan.of_type("azure-native:communication:EmailService")) == 1
    assert not plan.of_type(LINKS_TYPE)


def test_an_instance_that_only_links_has_an_active_sender_too(shared_plan):
    # Known once deployed: the linked domains' senders, verification and the instance's own link.
    assert {name: "activeSender" in out for name, out in shared_plan.outputs["instances"].items()} == {
        "acs-test-eu": True,
        "acs-test-eu2": True,
    }
