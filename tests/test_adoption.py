"""`acs-platform:adopt`: existing resources the stack imports instead of creating, and the names that let
the stack declare them as they are (email.serviceName, events.topicName, a sender's resourceName, an
address's addressId)."""

import pytest

from preflight.render import render_json, render_tree
from tests.stacks import minimal_config, plan_config, with_changes
from tests.test_config import only_problem, validate

SUB = "00000000-0000-0000-0000-0000000000aa"
GROUP = "rg-comms"
PROVIDERS = f"/subscriptions/{SUB}/resourceGroups/{GROUP}/providers"
ACS_ID = f"{PROVIDERS}/Microsoft.Communication/communicationServices/acs-test-eu"
SERVICE_ID = f"{PROVIDERS}/Microsoft.Communication/emailServices/email-comms"
DOMAIN_ID = f"{SERVICE_ID}/domains/mail.contoso.com"
SENDER_ID = f"{DOMAIN_ID}/senderUsernames/DoNotReply"
LIST_ID = f"{DOMAIN_ID}/suppressionLists/blocked"
ADDRESS_ID = f"{LIST_ID}/suppressionListAddresses/3c1e"
TOPIC_ID = f"{PROVIDERS}/Microsoft.EventGrid/systemTopics/acs-events"
SUBSCRIPTION_ID = f"{TOPIC_ID}/eventSubscriptions/sms"
FUNCTION = f"/subscriptions/{SUB}/resourceGroups/rg-apps/providers/Microsoft.Web/sites/fn-sms/functions/OnSms"

ADOPTED_INSTANCE = {
    "disableLocalAuth": False,
    "email": {
        "serviceName": "email-comms",
        "domains": [
            {
                "name": "mail.contoso.com",
                "senders": [{"username": "DoNotReply", "resourceName": "DoNotReply"}],
                "suppressionLists": [
                    {"name": "blocked", "addresses": [{"email": "x@example.com", "addressId": "3c1e"}]}
                ],
            }
        ],
    },
    "events": {
        "topicName": "acs-events",
        "subscriptions": [
            {
                "name": "sms",
                "eventTypes": ["Microsoft.Communication.SMSReceived"],
                "destination": {"azureFunction": {"resourceId": FUNCTION}},
                "deadLetter": False,
            }
        ],
    },
}
ALL_IDS = [ACS_ID, SERVICE_ID, DOMAIN_ID, SENDER_ID, LIST_ID, ADDRESS_ID, TOPIC_ID, SUBSCRIPTION_ID]


def adopting(ids=ALL_IDS, existing=True, **instance):
    config = minimal_config(**{**ADOPTED_INSTANCE, **instance})
    return with_changes(config, resourceGroup={"name": GROUP, "existing": existing}, adopt=list(ids))


def test_every_resource_the_stack_declares_may_be_adopted():
    config = validate(adopting())
    assert config.adopt == ALL_IDS


def test_an_id_the_stack_does_not_declare_is_refused_naming_the_near_one():
    wrong = f"{PROVIDERS}/Microsoft.Communication/communicationServices/acs-test-e"
    problem = only_problem(adopting([wrong]))
    assert problem.startswith("acs-platform:adopt:")
    assert f"{wrong}: the stack declares no such resource (did you mean the ACS resource acs-test-eu?)" in problem


def test_an_id_in_another_resource_group_is_refused():
    other = ACS_ID.replace(GROUP, "rg-other")
    assert f"is in the resource group rg-other, not the stack's ({GROUP}" in only_problem(adopting([other]))


def test_adopting_needs_the_existing_resource_group():
    problem = only_problem(adopting([ACS_ID], existing=False))
    assert "set acs-platform:resourceGroup.existing: true" in problem


def test_ids_of_two_subscriptions_are_refused():
    other = SERVICE_ID.replace(SUB, "00000000-0000-0000-0000-0000000000bb")
    assert "the ids are in 2 subscriptions" in only_problem(adopting([ACS_ID, other]))


def test_an_id_given_twice_in_another_case_is_refused():
    assert "acs-platform:adopt" in only_problem(adopting([ACS_ID, ACS_ID.lower()]))


def test_something_that_is_not_a_resource_id_is_refused():
    assert "'acs-test-eu' is not an Azure resource id" in only_problem(adopting(["acs-test-eu"]))


def test_two_instances_cannot_share_an_email_service():
    email = {"serviceName": "email-shared", "domains": [{"name": "AzureManagedDomain"}]}
    config = minimal_config(email=email)
    config["acs-platform:instances"].append({"name": "acs-test-us", "dataLocation": "Europe", "email": email})
    problem = only_problem(config)
    assert "acs-test-eu and acs-test-us would both have the email service email-shared" in problem


@pytest.mark.parametrize(
    ("instance", "key"),
    [
        ({"email": {"serviceName": "email_comms", "domains": [{"name": "AzureManagedDomain"}]}}, "email.serviceName"),
        (
            {
                "events": {
                    "topicName": "t",
                    "subscriptions": [
                        {
                            "name": "sms",
                            "eventTypes": ["Microsoft.Communication.SMSReceived"],
                            "destination": {"azureFunction": {"resourceId": FUNCTION}},
                        }
                    ],
                }
            },
            "events.topicName",
        ),
    ],
)
def test_a_name_azure_refuses_is_refused(instance, key):
    assert f"acs-platform:instances[0].{key}:" in only_problem(minimal_config(**instance))


@pytest.fixture(scope="module")
def adopted_plan(tmp_path_factory):
    return plan_config(tmp_path_factory.mktemp("adopted"), adopting())


def test_each_adopted_resource_is_imported_with_its_id_as_azure_spells_it(adopted_plan):
    imported = {r.import_id for r in adopted_plan.resources if r.import_id}
    assert imported == set(ALL_IDS)


def test_adopted_resources_keep_their_names(adopted_plan):
    by_import = {r.import_id: r for r in adopted_plan.resources if r.import_id}
    assert by_import[SERVICE_ID].inputs["emailServiceName"] == "email-comms"
    assert by_import[SENDER_ID].inputs["senderUsername"] == "DoNotReply"
    assert by_import[ADDRESS_ID].inputs["addressId"] == "3c1e"
    assert by_import[TOPIC_ID].inputs["systemTopicName"] == "acs-events"
    assert by_import[SUBSCRIPTION_ID].inputs["systemTopicName"] == "acs-events"


def test_the_import_leaves_the_tags_as_they_are_and_a_topic_s_identity(adopted_plan):
    by_import = {r.import_id: r for r in adopted_plan.resources if r.import_id}
    assert by_import[ACS_ID].ignore_changes[:2] == ["linkedDomains", "tags"]
    assert by_import[DOMAIN_ID].ignore_changes == ["tags"]
    assert by_import[TOPIC_ID].ignore_changes == ["tags", "identity"]


def test_the_import_takes_from_azure_what_the_stack_does_not_set(adopted_plan):
    by_import = {r.import_id: r for r in adopted_plan.resources if r.import_id}
    assert by_import[SENDER_ID].ignore_changes == ["displayName"]  # no displayName in the stack file
    assert by_import[ADDRESS_ID].ignore_changes == ["firstName", "lastName", "notes"]
    subscription = by_import[SUBSCRIPTION_ID].ignore_changes
    assert {"labels", "deadLetterWithResourceIdentity", "filter.subjectBeginsWith"} <= set(subscription)
    # What the stack sets is compared, never ignored: it must be what Azure has.
    assert not {"filter", "filter.includedEventTypes", "destination", "retryPolicy"} & set(subscription)


def test_what_is_not_adopted_is_created(adopted_plan):
    created = {r.type.rsplit(":", 1)[-1] for r in adopted_plan.resources if r.custom and not r.import_id}
    assert {"Workspace", "Vault", "DiagnosticSetting", "DomainVerification", "LinkedDomains"} <= created
    assert not {"CommunicationService", "EmailService", "Domain", "SystemTopic"} & created


def test_without_adopt_nothing_is_imported(tmp_path):
    plan = plan_config(tmp_path, adopting(ids=[]))
    assert not [r for r in plan.resources if r.import_id]
    acs = next(r for r in plan.resources if r.type.endswith("CommunicationService"))
    assert acs.ignore_changes == ["linkedDomains"]


def test_the_plan_marks_imports_and_says_from_which_id(adopted_plan):
    tree = render_tree(adopted_plan)
    assert "= azure-native:communication:CommunicationService  acs-test-eu-acs  [protected]" in tree
    assert f"import: {ACS_ID}" in tree
    assert "left as Azure has it: linkedDomains, tags" in tree
    assert "+ azure-native:operationalinsights:Workspace  shared-workspace" in tree
    assert f"Azure resources to create, {len(ALL_IDS)} to import (" in tree
    assert f'"import": "{TOPIC_ID}"' in render_json(adopted_plan)


ASSIGNMENT = "9237b909-e8fb-4bb8-8194-34aae537cee2"
PRINCIPAL = "9c4e1b2a-3d5f-4a6b-8c7d-1e2f3a4b5c6d"


def with_interface(ids, **named):
    role = {"role": "Reader", "principalId": PRINCIPAL, "principalType": "Group", **named}
    return adopting(ids, lock={"kind": "CanNotDelete", "name": "lock-acs-test-eu"}, roleAssignments=[role])


def test_a_named_lock_and_role_assignment_made_earlier_are_taken_over(tmp_path):
    lock_id = f"{ACS_ID}/providers/Microsoft.Authorization/locks/lock-acs-test-eu"
    role_id = f"{ACS_ID}/providers/Microsoft.Authorization/roleAssignments/{ASSIGNMENT}"
    plan = plan_config(tmp_path, with_interface([ACS_ID, lock_id, role_id], name=ASSIGNMENT))
    imported = {r.type.rsplit(":", 1)[-1]: r.import_id for r in plan.resources if r.import_id}
    assert imported == {"CommunicationService": ACS_ID, "ManagementLockByScope": lock_id, "RoleAssignment": role_id}


def test_an_assignment_without_its_name_cannot_be_taken_over():
    role_id = f"{ACS_ID}/providers/Microsoft.Authorization/roleAssignments/{ASSIGNMENT}"
    problem = only_problem(with_interface([ACS_ID, role_id]))
    assert f"{role_id}: the stack declares no such resource" in problem
