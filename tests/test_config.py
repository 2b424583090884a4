"""The stack configuration is validated whole, before any resource, with errors that say where."""

from datetime import date

import pytest

from preflight.stacks import as_cli_value
from stackconfig import ConfigError
from stackconfig.loader import validate_stack_config
from stackconfig.roles import BUILT_IN_ROLES, role_definition_guid, role_display_name
from tests.stacks import PRINCIPAL, UAMI, minimal_config, with_changes


def validate(config, stack="test", secret_keys=frozenset()):
    """As the program gets it from the CLI: strings as they are, everything else as JSON."""
    return validate_stack_config(stack, {k: as_cli_value(v) for k, v in config.items()}, secret_keys)


def problems(config, **kwargs) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        validate(config, **kwargs)
    return caught.value.problems


def only_problem(config, **kwargs) -> str:
    found = problems(config, **kwargs)
    assert len(found) == 1, found
    return found[0]


HUB = (
    "/subscriptions/6f1c2a52-4f0e-4b8e-9d0a-5d3f2c1b7a10/resourceGroups/rg-apps/providers"
    "/Microsoft.EventHub/namespaces/eh-apps/eventhubs/sms"
)
WEBHOOK = {"webhook": {"url": "https://hooks.example/sms"}}


def subscription(**overrides):
    return {"name": "sms", "eventTypes": ["Microsoft.Communication.SMSReceived"], "destination": WEBHOOK, **overrides}


def assignment(**overrides):
    return {"principalId": PRINCIPAL, "principalType": "Group", "role": "Reader", **overrides}


class TestTierDefaults:
    def test_dev_takes_dev_defaults_and_names_from_the_stack(self):
        config = validate(minimal_config("dev"), stack="dev")
        assert config.protection.lock == "None"
        assert config.monitoring.log_retention_days == 30
        assert config.resource_group.name == "rg-acs-dev"
        assert config.monitoring.workspace_name == "log-acs-dev"
        assert config.environment == "dev"

    def test_prod_takes_the_hardened_defaults(self):
        config = validate(minimal_config("prod"), stack="prod")
        assert config.protection.lock == "CanNotDelete"
        assert config.monitoring.log_retention_days == 365

    @pytest.mark.parametrize("tier", ["dev", "prod"])
    def test_security_defaults_are_hardened_in_every_tier(self, tier):
        config = validate(minimal_config(tier))
        instance = config.instances[0]
        assert instance.disable_local_auth is True
        assert instance.managed_identities.system_assigned is True
        assert config.protection.protect is True

    def test_a_stack_overrides_one_default_and_keeps_the_others(self):
        config = validate(with_changes(minimal_config("prod"), monitoring={"logRetentionDays": 90}))
        assert config.monitoring.log_retention_days == 90
        assert config.monitoring.workspace_name == "log-acs-test"
        assert config.protection.lock == "CanNotDelete"

    def test_dev_relaxes_local_auth_only_when_it_says_so(self):
        config = validate(minimal_config("dev", disableLocalAuth=False))
        assert config.instances[0].disable_local_auth is False


class TestTags:
    def test_standard_tags_come_from_their_keys_and_extra_tags_are_kept(self):
        config = validate(with_changes(minimal_config(), tags={"criticality": "high"}, environment="staging"))
        assert config.tags_for({"team": "sms"}) == {
            "criticality": "high",
            "team": "sms",
            "environment": "staging",
            "owner": "platform-team@contoso.com",
            "cost-center": "CC-4711",
            "managed-by": "acs-platform",
        }

    @pytest.mark.parametrize("name", ["environment", "Owner", "cost-center", "managed-by"])
    def test_a_standard_tag_cannot_be_overridden(self, name):
        message = only_problem(with_changes(minimal_config(), tags={name: "x"}))
        assert message.startswith("acs-platform:tags: ")
        assert f"tag {name!r} is set by acs-platform itself" in message

    def test_tag_names_follow_azure_rules(self):
        message = only_problem(with_changes(minimal_config(), tags={"a/b": "x"}))
        assert "acs-platform:tags" in message and "without < > % & \\ ? /" in message


# (what to change, the key path the error must name, words that say what is allowed)
BAD_INPUTS = [
    ({"azure-native:location": "West Europe"}, "azure-native:location", "lower case"),
    ({"azure-native:location": None}, "azure-native:location", "should be a valid string"),
    ({"acs-platform:tier": "staging"}, "acs-platform:tier", "'dev' or 'prod'"),
    ({"acs-platform:owner": ""}, "acs-platform:owner", "at least 1 character"),
    ({"acs-platform:costCenter": {"id": 4711}}, "acs-platform:costCenter", "should be a valid string"),
    ({"acs-platform:instances": []}, "acs-platform:instances", "at least 1 item"),
    ({"acs-platform:instances": "acs-one"}, "acs-platform:instances", "should be a valid list"),
    ({"acs-platform:resourceGroup": {"name": "rg."}}, "acs-platform:resourceGroup.name", "not ending with '.'"),
    (
        {"acs-platform:resourceGroup": {"name": "rg-x", "existing": "yes"}},
        "acs-platform:resourceGroup.existing",
        "valid boolean",
    ),
    (
        {"acs-platform:monitoring": {"logRetentionDays": 7}},
        "acs-platform:monitoring.logRetentionDays",
        "30 to 730 days",
    ),
    (
        {"acs-platform:monitoring": {"logRetentionDays": "90"}},
        "acs-platform:monitoring.logRetentionDays",
        "valid integer",
    ),
    ({"acs-platform:monitoring": {"workspaceName": "log"}}, "acs-platform:monitoring.workspaceName", "4 to 63"),
    ({"acs-platform:protection": {"lock": "ReadOnly"}}, "acs-platform:protection.lock", "'CanNotDelete' or 'None'"),
    ({"acs-platform:protection": {"protect": "false"}}, "acs-platform:protection.protect", "valid boolean"),
    ({"azure-native:tenantId": "contoso"}, "azure-native:tenantId", "a GUID"),
    ({"acs-platform:keyVault": {"name": "kv"}}, "acs-platform:keyVault.name", "3 to 24 letters"),
    ({"acs-platform:keyVault": {"name": "kv--acs"}}, "acs-platform:keyVault.name", "single hyphens"),
    (
        {"acs-platform:keyVault": {"softDeleteRetentionDays": 5}},
        "acs-platform:keyVault.softDeleteRetentionDays",
        "7 to 90 days",
    ),
    ({"acs-platform:keyVault": {"allowedIpRanges": ["300.1.1.1"]}}, "acs-platform:keyVault.allowedIpRanges[0]", "IPv4"),
    ({"acs-platform:keyRotation": {"periodDays": 0}}, "acs-platform:keyRotation.periodDays", "1 to 365 days"),
    ({"acs-platform:keyRotation": {"startDate": "soon"}}, "acs-platform:keyRotation.startDate", "valid date"),
    (
        {"acs-platform:keyRotation": {"extraRotations": {"acs-other": 1}}},
        "acs-platform:keyRotation",
        "extraRotations names acs-other; instances: acs-test-eu",
    ),
    (
        {"acs-platform:deadLetterStorage": {"accountName": "St-Acs"}},
        "acs-platform:deadLetterStorage.accountName",
        "lower-case",
    ),
]

BAD_INSTANCES = [
    ({"name": "acs contoso"}, "acs-platform:instances[0].name", "1 to 63 letters, digits, '-' or '_'"),
    ({"name": "a" * 64}, "acs-platform:instances[0].name", "1 to 63"),
    ({"dataLocation": "Mars"}, "acs-platform:instances[0].dataLocation", "allowed: Africa, Asia Pacific"),
    ({"dataLocation": "westeurope"}, "acs-platform:instances[0].dataLocation", "United States"),
    ({"disableLocalAuth": "true"}, "acs-platform:instances[0].disableLocalAuth", "valid boolean"),
    ({"publicNetworkAccess": "Open"}, "acs-platform:instances[0].publicNetworkAccess", "'SecuredByPerimeter'"),
    (
        {"managedIdentities": {"userAssignedResourceIds": ["id-acs-sender"]}},
        "acs-platform:instances[0].managedIdentities.userAssignedResourceIds[0]",
        "Microsoft.ManagedIdentity/userAssignedIdentities",
    ),
    (
        {"roleAssignments": [assignment(principalId="platform-team")]},
        "acs-platform:instances[0].roleAssignments[0].principalId",
        "a GUID",
    ),
    (
        {"roleAssignments": [assignment(principalType="Team")]},
        "acs-platform:instances[0].roleAssignments[0].principalType",
        "'ServicePrincipal'",
    ),
    (
        {"roleAssignments": [assignment(role="SMS Sender")]},
        "acs-platform:instances[0].roleAssignments[0].role",
        "Communication and Email Service Owner",
    ),
    (
        {"events": {"subscriptions": [subscription(eventTypes=["Microsoft.Communication.SmsReceived"])]}},
        "acs-platform:instances[0].events.subscriptions[0].eventTypes[0]",
        "is not an event type ACS publishes",
    ),
    (
        {"events": {"subscriptions": [subscription(destination={"webhook": {"url": "http://hooks.example/sms"}})]}},
        "acs-platform:instances[0].events.subscriptions[0].destination.webhook.url",
        "must be an https:// URL",
    ),
    (
        {"events": {"subscriptions": [subscription(destination={})]}},
        "acs-platform:instances[0].events.subscriptions[0].destination",
        "needs exactly one destination; got 0",
    ),
    (
        {"events": {"subscriptions": [subscription(destination={**WEBHOOK, "eventHub": {"resourceId": HUB}})]}},
        "acs-platform:instances[0].events.subscriptions[0].destination",
        "needs exactly one destination; got 2",
    ),
    (
        {"events": {"subscriptions": [subscription(maxDeliveryAttempts=31)]}},
        "acs-platform:instances[0].events.subscriptions[0].maxDeliveryAttempts",
        "1 to 30 attempts",
    ),
    (
        {"events": {"subscriptions": [subscription(eventTimeToLiveMinutes=0)]}},
        "acs-platform:instances[0].events.subscriptions[0].eventTimeToLiveMinutes",
        "1 to 1440 minutes",
    ),
    (
        {"events": {"subscriptions": [subscription(advancedFilters=[{"operatorType": "StringIn", "key": "data.to"}])]}},
        "acs-platform:instances[0].events.subscriptions[0].advancedFilters[0]",
        "StringIn needs 'values'",
    ),
    (
        {"events": {"subscriptions": [subscription(), subscription()]}},
        "acs-platform:instances[0].events.subscriptions",
        "has the name 'sms' more than once",
    ),
    (
        {"events": {"subscriptions": [subscription(destination={"serviceBusQueue": {"resourceId": "sb-apps/sms"}})]}},
        "acs-platform:instances[0].events.subscriptions[0].destination.serviceBusQueue.resourceId",
        "an Azure resource id",
    ),
    (
        {"email": {"dataLocation": "UK", "domains": [{"name": "AzureManagedDomain"}]}},
        "acs-platform:instances[0].email.dataLocation",
        "unknown key; allowed keys here: domains, exclusiveLinkedDomains, smtpUsernames",
    ),
    (
        {"email": {"domains": [{"name": "AzureManagedDomain"}], "exclusiveLinkedDomains": "yes"}},
        "acs-platform:instances[0].email.exclusiveLinkedDomains",
        "valid boolean",
    ),
    (
        {"email": {"domains": [{"name": "Mail.Contoso"}]}},
        "acs-platform:instances[0].email.domains[0].name",
        "must be 'AzureManagedDomain' (Azure-managed) or a lower-case DNS name",
    ),
    (
        {"email": {"domains": [{"name": "contoso.com", "senders": [{"username": "info"}, {"username": "Info"}]}]}},
        "acs-platform:instances[0].email.domains[0].senders",
        "has the sender 'Info' more than once",
    ),
    (
        {"email": {"domains": [{"name": "AzureManagedDomain", "dmarc": "v=DMARC1; p=none;"}]}},
        "acs-platform:instances[0].email.domains[0]",
        "the Azure-managed domain has no DNS zone",
    ),
    (
        {
            "email": {
                "domains": [
                    {"name": "mail.fabrikam.com", "dnsZone": {"name": "contoso.com", "resourceGroup": "rg-dns"}}
                ]
            }
        },
        "acs-platform:instances[0].email.domains[0]",
        "mail.fabrikam.com is not in the DNS zone contoso.com",
    ),
    (
        {"email": {"domains": [{"name": "contoso.com", "apexTxtRecords": ["v=spf1 a -all", "v=spf1 mx -all"]}]}},
        "acs-platform:instances[0].email.domains[0].apexTxtRecords",
        "more than one SPF record",
    ),
    (
        {"email": {"domains": [{"name": "contoso.com", "dmarc": "p=reject"}]}},
        "acs-platform:instances[0].email.domains[0].dmarc",
        "starting with 'v=DMARC1;'",
    ),
    (
        {"email": {"domains": [{"name": "contoso.com"}, {"name": "contoso.com"}]}},
        "acs-platform:instances[0].email.domains",
        "has the domain 'contoso.com' more than once",
    ),
    (
        {"roleAssignments": [{"principalId": PRINCIPAL, "role": "Reader"}]},
        "acs-platform:instances[0].roleAssignments[0].principalType",
        "is required",
    ),
]


@pytest.mark.parametrize(("change", "key", "allowed"), BAD_INPUTS)
def test_a_bad_stack_value_names_its_key_the_value_and_what_is_allowed(change, key, allowed):
    config = {**minimal_config(), **change}
    if change.get("azure-native:location", "") is None:
        del config["azure-native:location"]
        allowed = "is required"
    message = only_problem(config)
    assert message.startswith(f"{key}: ")
    assert allowed in message


@pytest.mark.parametrize(("change", "key", "allowed"), BAD_INSTANCES)
def test_a_bad_instance_value_names_its_key_the_value_and_what_is_allowed(change, key, allowed):
    message = only_problem(minimal_config(**change))
    assert message.startswith(f"{key}: ")
    assert allowed in message


@pytest.mark.parametrize(("given", "exclusive"), [({}, False), ({"exclusiveLinkedDomains": True}, True)])
def test_the_stack_owns_an_instance_s_whole_linked_domains_list_only_when_it_says_so(given, exclusive):
    config = validate(minimal_config(email={"domains": [{"name": "AzureManagedDomain"}], **given}))
    assert config.instances[0].email.exclusive_linked_domains is exclusive


def test_the_offending_value_is_quoted():
    assert only_problem(minimal_config(dataLocation="Mars")).startswith(
        "acs-platform:instances[0].dataLocation: 'Mars' is not an ACS data location"
    )


def test_a_data_location_in_the_wrong_case_gets_a_hint():
    assert "did you mean 'United States'?" in only_problem(minimal_config(dataLocation="united states"))


def test_prod_keeps_purge_protection_on_and_dev_may_leave_it_off():
    message = only_problem(with_changes(minimal_config("prod"), keyVault={"purgeProtection": False}))
    assert message == (
        "acs-platform:keyVault: purgeProtection is always on in prod: a purged vault loses every secret at once"
    )
    assert validate(minimal_config("dev")).key_vault.purge_protection is False
    assert validate(minimal_config("prod")).key_vault.purge_protection is True


def test_a_rotation_start_date_is_a_date_quoted_or_not():
    for given in ("2026-03-01", date(2026, 3, 1)):  # YAML reads an unquoted date as a date
        config = validate(with_changes(minimal_config(), keyRotation={"startDate": given}))
        assert config.key_rotation.start_date.isoformat() == "2026-03-01"


class TestUnknownKeys:
    def test_an_unknown_key_in_the_namespace_lists_the_keys_there(self):
        message = only_problem({**minimal_config(), "acs-platform:instanes": []})
        assert message.startswith("acs-platform:instanes: unknown key")
        assert "costCenter, deadLetterStorage, environment, instances, keyRotation, keyVault, monitoring" in message
        assert "location" not in message.split("allowed keys here:")[1].split(", ")

    def test_an_unknown_nested_key_lists_the_keys_of_its_object(self):
        message = only_problem(minimal_config(dataLocaton="Europe"))
        assert message.startswith("acs-platform:instances[0].dataLocaton: unknown key")
        assert "dataLocation, disableLocalAuth, email, events, managedIdentities" in message

    def test_other_namespaces_are_not_ours_to_judge(self):
        validate({**minimal_config(), "azure-native:subscriptionId": "anything", "pulumi:tags": "{}"})


class TestDuplicates:
    def test_instance_names_are_unique_ignoring_case(self):
        config = minimal_config()
        config["acs-platform:instances"].append({"name": "ACS-TEST-EU", "dataLocation": "UK"})
        assert only_problem(config) == "acs-platform:instances: has the name 'ACS-TEST-EU' more than once"

    def test_one_principal_gets_a_role_once_however_the_role_is_written(self):
        guid = BUILT_IN_ROLES["Reader"]
        message = only_problem(minimal_config(roleAssignments=[assignment(), assignment(role=guid)]))
        assert message.startswith("acs-platform:instances[0].roleAssignments: has the assignment")
        assert PRINCIPAL in message

    def test_user_assigned_identities_are_unique(self):
        message = only_problem(minimal_config(managedIdentities={"userAssignedResourceIds": [UAMI, UAMI.upper()]}))
        assert message.startswith(
            "acs-platform:instances[0].managedIdentities.userAssignedResourceIds: has the identity"
        )


def test_every_error_is_reported_at_once_with_the_stack_and_its_file():
    config = with_changes(minimal_config(dataLocation="Mars", name="bad name"), tier="qa", owner="")
    with pytest.raises(ConfigError) as caught:
        validate(config, stack="prod")
    error = caught.value
    assert len(error.problems) == 4
    assert str(error).startswith("stack 'prod' (Pulumi.prod.yaml) has 4 configuration errors:")
    for key in ("tier", "owner", "instances[0].name", "instances[0].dataLocation"):
        assert f"acs-platform:{key}:" in str(error)


def test_an_unknown_tier_does_not_bring_errors_of_its_own_defaults():
    assert problems(with_changes(minimal_config(), tier="qa")) == [
        "acs-platform:tier: 'qa' is not allowed; allowed: 'dev' or 'prod'"
    ]


def test_a_secret_value_is_not_repeated_in_an_error():
    config = with_changes(minimal_config(), owner="")
    message = only_problem(config, secret_keys=frozenset({"acs-platform:owner"}))
    assert message == "acs-platform:owner: [secret] should have at least 1 character"


def test_a_user_assigned_identity_and_role_assignments_are_accepted():
    config = validate(
        minimal_config(
            managedIdentities={"systemAssigned": False, "userAssignedResourceIds": [UAMI]},
            roleAssignments=[assignment(role="Communication and Email Service Owner", description="senders")],
        )
    )
    instance = config.instances[0]
    assert instance.managed_identities.user_assigned_resource_ids == [UAMI]
    assert instance.role_assignments[0].role_definition_guid == "09976791-48a7-449e-bb21-39d1a415f350"


class TestRoles:
    @pytest.mark.parametrize(
        "role",
        [
            "Reader",
            "ACDD72A7-3385-48EF-BD42-F606FBA81AE7",
            "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
            "/subscriptions/11111111-2222-3333-4444-555555555555/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
        ],
    )
    def test_a_role_by_name_guid_or_id_is_one_role_definition(self, role):
        assert role_definition_guid(role) == "acdd72a7-3385-48ef-bd42-f606fba81ae7"
        assert role_display_name(role) == "Reader"

    def test_a_custom_role_keeps_the_name_it_was_given(self):
        custom = "0b8c7a1e-2f4d-4e6a-9c3b-5d7e9f1a2b3c"
        assert role_display_name(custom) == custom

    def test_an_unknown_role_name_is_refused(self):
        with pytest.raises(ValueError, match="built-in roles: Communication and Email Service Owner"):
            role_definition_guid("Communication Owner")


def test_a_number_given_for_a_text_key_is_text_as_the_cli_passes_it():
    assert validate(with_changes(minimal_config(), costCenter=4711)).cost_center == "4711"


@pytest.mark.parametrize(
    ("pool", "key", "words"),
    [
        ({"countryCode": "usa"}, "countryCode", "ISO 3166 country code"),
        ({"numberType": "landline"}, "numberType", "'geographic', 'tollFree' or 'mobile'"),
        ({"sms": "both"}, "sms", "'inbound+outbound'"),
        ({"quantity": 0}, "quantity", "1 to 1000 numbers"),
        ({"sms": "none", "calling": "none"}, None, "neither sms nor calling"),
    ],
)
def test_a_bad_pool_names_its_key(pool, key, words):
    base = {"name": "sms", "countryCode": "US", "numberType": "tollFree", "sms": "inbound+outbound", "quantity": 1}
    message = only_problem(minimal_config(phoneNumbers={"pools": [{**base, **pool}]}))
    path = "acs-platform:instances[0].phoneNumbers.pools[0]" + (f".{key}" if key else "")
    assert message.startswith(f"{path}: ") and words in message


def test_pool_names_are_unique_per_instance():
    pool = {"name": "sms", "countryCode": "US", "numberType": "tollFree", "sms": "inbound", "quantity": 1}
    message = only_problem(minimal_config(phoneNumbers={"pools": [pool, pool]}))
    assert message == "acs-platform:instances[0].phoneNumbers.pools: has the pool 'sms' more than once"
