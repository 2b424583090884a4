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
    ({"acs-platform:owner": ""}, "acs-platform:owner", "is required"),
    ({"acs-platform:costCenter": {"id": 4711}}, "acs-platform:costCenter", "should be a valid string"),
    (
        {"acs-platform:instances": []},
        "acs-platform:instances",
        "give at least one instance, or an email service (emailServices)",
    ),
    ({"acs-platform:instances": "acs-one"}, "acs-platform:instances", "should be a valid list"),
    ({"acs-platform:resourceGroup": {"name": "rg."}}, "acs-platform:resourceGroup.name", "not ending with '.'"),
    (
        {"acs-platform:resourceGroup": {"name": "rg-x", "existing": "yes"}},
        "acs-platform:resourceGroup.existing",
        "'yes' is not a boolean; allowed: true or false",
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
    ({"acs-platform:protection": {"protect": "false"}}, "acs-platform:protection.protect", "true or false, unquoted"),
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
    ({"disableLocalAuth": "true"}, "acs-platform:instances[0].disableLocalAuth", "'true' is text, not a boolean"),
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
        "StringIn needs `values` (a list of strings)",
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
        "unknown key; allowed keys here: domains, exclusiveLinkedDomains, lock, roleAssignments, serviceName, "
        "smtpUsernames, tags",
    ),
    (
        {"email": {"domains": [{"name": "AzureManagedDomain"}], "exclusiveLinkedDomains": "yes"}},
        "acs-platform:instances[0].email.exclusiveLinkedDomains",
        "'yes' is not a boolean; allowed: true or false",
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
        assert (
            "costCenter, deadLetterStorage, emailServices, environment, instances, keyRotation, keyVault, monitoring"
            in message
        )
        assert "location" not in message.split("allowed keys here:")[1].split(", ")

    def test_an_unknown_nested_key_lists_the_keys_of_its_object(self):
        message = only_problem(minimal_config(dataLocaton="Europe"))
        assert message.startswith("acs-platform:instances[0].dataLocaton: unknown key")
        assert (
            "dataLocation, diagnosticSettings, directRouting, disableLocalAuth, email, events, expectedMonthlyUsage"
            in message
        )

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
    config = with_changes(minimal_config(), owner="x" * 300)
    found = problems(config, secret_keys=frozenset({"acs-platform:owner"}))
    assert "acs-platform:owner: [secret] is 300 characters; it becomes a tag value, at most 256" in found
    assert not any("xxx" in p for p in found)


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


# Issue 11: values as `pulumi up` reads them (YAML 1.2, strings from the CLI, JSON for objects).

POOL = {"name": "sms", "countryCode": "US", "numberType": "tollFree", "sms": "inbound", "quantity": 1}
DOMAIN = {"name": "AzureManagedDomain"}
# Every boolean key: how to set it, and the key path an error names.
BOOLEAN_KEYS = [
    (lambda v: minimal_config(disableLocalAuth=v), "instances[0].disableLocalAuth"),
    (
        lambda v: minimal_config(managedIdentities={"systemAssigned": v}),
        "instances[0].managedIdentities.systemAssigned",
    ),
    (
        lambda v: minimal_config(email={"domains": [{**DOMAIN, "engagementTracking": v}]}),
        "instances[0].email.domains[0].engagementTracking",
    ),
    (
        lambda v: minimal_config(email={"domains": [DOMAIN], "exclusiveLinkedDomains": v}),
        "instances[0].email.exclusiveLinkedDomains",
    ),
    (
        lambda v: minimal_config(phoneNumbers={"pools": [{**POOL, "agreeToNotResell": v}]}),
        "instances[0].phoneNumbers.pools[0].agreeToNotResell",
    ),
    (
        lambda v: minimal_config(phoneNumbers={"pools": [{**POOL, "protect": v}]}),
        "instances[0].phoneNumbers.pools[0].protect",
    ),
    (
        lambda v: minimal_config(phoneNumbers={"pools": [{**POOL, "allowReplacement": v}]}),
        "instances[0].phoneNumbers.pools[0].allowReplacement",
    ),
    (
        lambda v: minimal_config(events={"subscriptions": [subscription(deadLetter=v)]}),
        "instances[0].events.subscriptions[0].deadLetter",
    ),
    (lambda v: with_changes(minimal_config(), protection={"lock": "None", "protect": v}), "protection.protect"),
    (lambda v: with_changes(minimal_config(), resourceGroup={"name": "rg-x", "existing": v}), "resourceGroup.existing"),
    (lambda v: with_changes(minimal_config(), keyVault={"purgeProtection": v}), "keyVault.purgeProtection"),
]


class TestBooleans:
    @pytest.mark.parametrize(("config", "key"), BOOLEAN_KEYS, ids=[k for _, k in BOOLEAN_KEYS])
    @pytest.mark.parametrize("value", [True, False])
    def test_true_and_false_are_booleans(self, config, key, value):
        validate(config(value))

    @pytest.mark.parametrize(("config", "key"), BOOLEAN_KEYS, ids=[k for _, k in BOOLEAN_KEYS])
    @pytest.mark.parametrize("value", ["no", "yes", "on", "off", "1", "True", 1, 0])
    def test_anything_else_is_refused_naming_key_value_and_what_is_allowed(self, config, key, value):
        message = only_problem(config(value))
        assert message.startswith(f"acs-platform:{key}: {value!r} ")
        assert "allowed: true or false" in message

    def test_yaml_1_1_words_get_a_hint(self):
        message = only_problem(minimal_config(disableLocalAuth="no"))
        assert message == (
            "acs-platform:instances[0].disableLocalAuth: 'no' is not a boolean; allowed: true or false "
            "(YAML 1.2, as Pulumi reads stack files: yes, no, on and off are text)"
        )

    def test_no_model_has_a_plain_bool_field(self):
        """A plain `bool` would say "Input should be a valid boolean" and nothing of true or false."""
        from pydantic import BaseModel

        from stackconfig import model

        def plain_bools(annotation):
            if annotation is bool:
                return True
            if getattr(annotation, "__metadata__", None):  # Annotated[bool, BeforeValidator(_bool)]
                return False
            return any(plain_bools(arg) for arg in getattr(annotation, "__args__", ()))

        seen, todo, found = set(), [model.StackConfig], []
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            for name, field in current.model_fields.items():
                if plain_bools(field.annotation) and not any("_bool" in repr(m) for m in field.metadata):
                    found.append(f"{current.__name__}.{name}")
                todo.extend(
                    arg for arg in _all_args(field.annotation) if isinstance(arg, type) and issubclass(arg, BaseModel)
                )
        assert len(seen) > 15 and found == []


def _all_args(annotation):
    yield annotation
    for arg in getattr(annotation, "__args__", ()):
        yield from _all_args(arg)


class TestEmptyIsMissing:
    @pytest.mark.parametrize("empty", ["", "null", "   ", None])
    @pytest.mark.parametrize("key", ["acs-platform:owner", "acs-platform:costCenter", "acs-platform:tier"])
    def test_a_required_key_given_empty_is_required(self, key, empty):
        message = only_problem({**minimal_config(), key: empty})
        assert message == f"{key}: is required"

    @pytest.mark.parametrize("empty", ["", "null", None])
    def test_an_empty_location_is_required_and_never_shown_as_null(self, empty):
        message = only_problem({**minimal_config(), "azure-native:location": empty})
        assert message == "azure-native:location: is required"

    def test_a_null_inside_an_object_is_missing_too(self):
        config = minimal_config()
        config["acs-platform:instances"][0]["name"] = None
        assert only_problem(config) == "acs-platform:instances[0].name: is required"

    def test_an_empty_optional_key_takes_its_default(self):
        config = validate({**minimal_config(), "acs-platform:environment": "", "acs-platform:tags": "null"}, stack="qa")
        assert config.environment == "qa" and config.tags == {}


class TestTagLimits:
    # The owner is also the budget's contact where the budget names none: an email address, so that it fits.
    @pytest.mark.parametrize(
        ("key", "suffix"), [("owner", "@" + "d" * 187 + ".com"), ("costCenter", ""), ("environment", "")]
    )
    def test_a_value_that_becomes_a_tag_is_at_most_256_characters(self, key, suffix):
        assert validate(with_changes(minimal_config(), **{key: "x" * (256 - len(suffix)) + suffix}))
        message = only_problem(with_changes(minimal_config(), **{key: "x" * (257 - len(suffix)) + suffix}))
        assert message.startswith(f"acs-platform:{key}: 'xxx")
        assert message.endswith("is 257 characters; it becomes a tag value, at most 256")

    def test_a_tag_name_is_at_most_512_characters(self):
        assert validate(with_changes(minimal_config(), tags={"n" * 512: "x"}))
        assert "1 to 512 characters" in only_problem(with_changes(minimal_config(), tags={"n" * 513: "x"}))

    def test_tag_names_reaching_the_dead_letter_account_are_at_most_128(self):
        events = {"subscriptions": [subscription()]}
        assert validate(with_changes(minimal_config(events=events), tags={"n" * 128: "x"}))
        assert validate(with_changes(minimal_config(), tags={"n" * 129: "x"}))  # no storage account
        message = only_problem(with_changes(minimal_config(events=events), tags={"n" * 129: "x"}))
        assert message.startswith("acs-platform:tags: tag name 'nnn")
        assert "go to the dead-letter storage account too, whose tag names are at most 128 characters" in message

    def test_the_stack_s_tags_leave_room_for_the_standard_ones(self):
        assert validate(with_changes(minimal_config(), tags={f"t{i}": "x" for i in range(46)}))
        message = only_problem(with_changes(minimal_config(), tags={f"t{i}": "x" for i in range(47)}))
        assert message.startswith("acs-platform:tags: has 47 tags; a resource carries at most 50")

    def test_an_instance_s_tags_count_with_the_stack_s(self):
        stack_tags = {f"s{i}": "x" for i in range(30)}
        fits = with_changes(minimal_config(tags={f"s{i}": "y" for i in range(16)}), tags=stack_tags)  # same names
        assert validate(fits)
        message = only_problem(with_changes(minimal_config(tags={f"i{i}": "y" for i in range(17)}), tags=stack_tags))
        assert message.startswith(
            "acs-platform:tags: with instances[0].tags, the ACS resource acs-test-eu would carry 51"
        )


@pytest.fixture
def june_first(monkeypatch):
    from datetime import UTC, datetime

    from stackconfig import fields

    monkeypatch.setattr(fields, "utc_now", lambda: datetime(2026, 6, 1, 9, 30, tzinfo=UTC))


class TestExpiresOn:
    KEY = "acs-platform:instances[0].events.subscriptions[0].expiresOn"

    @pytest.mark.parametrize("when", ["2026-06-02", "2026-06-01T10:00:00Z", "2027-01-01T00:00:00+01:00"])
    def test_a_date_to_come_is_accepted(self, june_first, when):
        validate(minimal_config(events={"subscriptions": [subscription(expiresOn=when)]}))

    @pytest.mark.parametrize("when", ["2026-05-31", "2026-06-01T09:00:00Z", "2020-01-01T00:00:00"])
    def test_a_date_gone_by_is_refused_with_today_s_date(self, june_first, when):
        message = only_problem(minimal_config(events={"subscriptions": [subscription(expiresOn=when)]}))
        assert message.startswith(f"{self.KEY}: ")
        assert "is in the past (today is 2026-06-01 UTC); allowed: a date-time after now" in message


class TestRegions:
    @pytest.mark.parametrize("region", ["westeurope", "eastus2", "swedencentral", "polandcentral"])
    def test_an_azure_region_is_accepted(self, region):
        assert validate({**minimal_config(), "azure-native:location": region}).location == region

    @pytest.mark.parametrize(
        ("given", "meant"), [("westeurpoe", "westeurope"), ("West Europe", "westeurope"), ("eastus3", "eastus2")]
    )
    def test_a_misspelled_region_suggests_the_closest(self, given, meant):
        message = only_problem({**minimal_config(), "azure-native:location": given})
        assert message.startswith(f"azure-native:location: {given!r} is not an Azure region; did you mean ")
        assert meant in message.split("?")[0]
        assert "stackconfig/data/azure-regions.yaml, as of 2026-03-12" in message

    def test_global_is_set_by_the_program_not_the_stack(self):
        message = only_problem({**minimal_config(), "azure-native:location": "global"})
        assert message.startswith("azure-native:location: 'global' is not a region: the resources that are global")

    def test_a_geography_is_not_a_region(self):
        message = only_problem({**minimal_config(), "azure-native:location": "europe"})
        assert message.startswith("azure-native:location: 'europe' is a geography, not a region")

    def test_the_region_list_is_dated_and_has_its_source(self):
        import yaml

        from stackconfig.azure_rules import _REGIONS_PATH

        document = yaml.safe_load(_REGIONS_PATH.read_text(encoding="utf-8"))
        assert document["source"].startswith("https://github.com/Azure/")
        assert str(document["read_on"]) == "2026-12-01" and str(document["data_as_of"]) == "2026-03-12"
        assert {"westeurope", "eastus2", "germanywestcentral"} <= set(document["regions"])
        assert "global" in document["logical"] and "global" not in document["regions"]


class TestDefaultNamesFromTheStackName:
    # Pulumi takes letters, digits, '-', '_' and '.', up to 100 characters.
    @pytest.mark.parametrize("stack", ["team.eu-dev", "Team_EU.dev", "dev.", "___", "a" * 100, "a." * 50, "x-" * 50])
    def test_every_stack_name_gives_valid_default_names(self, stack):
        from stackconfig import azure_rules as rules

        config = validate(minimal_config(), stack=stack)
        assert rules.RESOURCE_GROUP_NAME.match(config.resource_group.name)
        assert rules.WORKSPACE_NAME.match(config.monitoring.workspace_name)
        assert rules.KEY_VAULT_NAME.match(config.key_vault.name)
        assert rules.STORAGE_ACCOUNT_NAME.match(config.dead_letter_storage.account_name)
        assert config.environment == stack

    def test_a_dotted_stack_keeps_its_group_name_and_gets_a_normalized_workspace(self):
        config = validate(minimal_config(), stack="team.eu-dev")
        assert config.resource_group.name == "rg-acs-team.eu-dev"
        assert config.monitoring.workspace_name.startswith("log-acs-team-eu-dev-")
        assert validate(minimal_config(), stack="team-eu-dev").monitoring.workspace_name == "log-acs-team-eu-dev"

    def test_a_long_stack_name_is_shortened_with_a_stable_hash(self):
        first = validate(minimal_config(), stack="a" * 100)
        assert len(first.resource_group.name) == 90 and len(first.monitoring.workspace_name) == 63
        assert first.resource_group.name == validate(minimal_config(), stack="a" * 100).resource_group.name
        assert first.resource_group.name != validate(minimal_config(), stack="a" * 99).resource_group.name

    def test_names_of_stacks_that_were_valid_do_not_change(self):
        config = validate(minimal_config(), stack="prod")
        assert (config.resource_group.name, config.monitoring.workspace_name) == ("rg-acs-prod", "log-acs-prod")
        assert config.key_vault.name.startswith("kv-acs-prod-") and len(config.key_vault.name) == 18


class TestAdvancedFilterMessages:
    KEY = "acs-platform:instances[0].events.subscriptions[0].advancedFilters[0]"

    def _message(self, **advanced_filter):
        config = minimal_config(
            events={"subscriptions": [subscription(advancedFilters=[{"key": "data.to", **advanced_filter}])]}
        )
        return only_problem(config)

    @pytest.mark.parametrize(
        ("given", "says"),
        [
            ({"operatorType": "NumberIn", "value": 5}, "NumberIn takes `values` (a list of numbers), not `value`"),
            ({"operatorType": "StringIn", "value": "x"}, "StringIn takes `values` (a list of strings), not `value`"),
            (
                {"operatorType": "BoolEquals", "values": [True]},
                "BoolEquals takes `value` (true or false), not `values`",
            ),
            (
                {"operatorType": "NumberGreaterThan", "values": [1]},
                "NumberGreaterThan takes `value` (a number), not `values`",
            ),
            (
                {"operatorType": "NumberIn", "values": ["a"]},
                "NumberIn takes `values`: a list of numbers, at least one; got ['a']",
            ),
            (
                {"operatorType": "StringIn", "values": [1, 2]},
                "StringIn takes `values`: a list of strings, at least one; got [1, 2]",
            ),
            ({"operatorType": "BoolEquals", "value": "no"}, "BoolEquals takes `value`: true or false; got 'no'"),
            ({"operatorType": "NumberLessThan", "value": [1]}, "NumberLessThan takes `value`: a number; got [1]"),
            ({"operatorType": "IsNotNull", "value": 1}, "IsNotNull takes no `value` or `values`"),
        ],
    )
    def test_the_operand_is_named_as_its_operator_takes_it(self, given, says):
        message = self._message(**given)
        assert message.startswith(f"{self.KEY}: {says}")
        assert ".float" not in message and ".bool" not in message and "list[" not in message

    @pytest.mark.parametrize(
        "given",
        [
            {"operatorType": "NumberIn", "values": [1, 2.5]},
            {"operatorType": "StringIn", "values": ["+1425"]},
            {"operatorType": "BoolEquals", "value": False},
            {"operatorType": "NumberGreaterThan", "value": 5},
            {"operatorType": "IsNotNull"},
        ],
    )
    def test_the_right_operand_is_accepted(self, given):
        config = minimal_config(events={"subscriptions": [subscription(advancedFilters=[{"key": "data.to", **given}])]})
        validate(config)

    def test_an_unknown_operator_with_a_list_value_names_no_pydantic_internals(self):
        message = self._message(operatorType="NumberBetween", value=[1, 2])
        found = problems(
            minimal_config(
                events={
                    "subscriptions": [subscription(advancedFilters=[{"key": "k", "operatorType": "X", "value": [1]}])]
                }
            )
        )
        assert message.startswith(f"{self.KEY}.operatorType: 'NumberBetween' is not allowed")
        assert all("float" not in p and "bool]" not in p for p in found), found


class TestMisspelledKeys:
    @pytest.mark.parametrize(
        ("key", "meant"),
        [
            ("acs_platform:tier", "acs-platform:tier"),
            ("acsplatform:owner", "acs-platform:owner"),
            ("acs-platfrom:costCenter", "acs-platform:costCenter"),
            ("azure_native:location", "azure-native:location"),
            ("azurenative:tenantID", "azure-native:tenantId"),
        ],
    )
    def test_a_misspelled_namespace_says_what_was_probably_meant(self, key, meant):
        found = problems({**minimal_config(), key: "x"})
        assert f"{key}: unknown namespace {key.split(':')[0]!r} (did you mean {meant}?)" in found

    def test_the_required_key_it_meant_is_reported_missing_as_well(self):
        config = minimal_config()
        config["acs_platform:tier"] = config.pop("acs-platform:tier")
        assert problems(config) == [
            "acs-platform:tier: is required",
            "acs_platform:tier: unknown namespace 'acs_platform' (did you mean acs-platform:tier?)",
        ]

    def test_a_misspelled_key_says_what_was_probably_meant(self):
        message = only_problem({**minimal_config(), "acs-platform:costCentre": "x"})
        assert message.startswith("acs-platform:costCentre: unknown key (did you mean costCenter?); allowed keys here:")
        nested = only_problem(minimal_config(disableLocalAuh=False))
        assert nested.startswith(
            "acs-platform:instances[0].disableLocalAuh: unknown key (did you mean disableLocalAuth?)"
        )

    def test_other_namespaces_and_unrelated_keys_are_not_judged(self):
        validate(
            {
                **minimal_config(),
                "azure:location": "westeurope",
                "azure-native:subscriptionId": "x",
                "pulumi:tags": "{}",
            }
        )


NETWORK = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network"
SUBNET = f"{NETWORK}/virtualNetworks/vnet-hub/subnets/private-endpoints"
VAULT_ZONE = f"{NETWORK}/privateDnsZones/privatelink.vaultcore.azure.net"


class TestHardening:
    """Dead-letter storage, workspace network access and the vault's private endpoint (issue 13)."""

    @pytest.mark.parametrize(
        ("tier", "redundancy", "days", "ingestion", "query"),
        [("dev", "Standard_LRS", 7, "Enabled", "Enabled"), ("prod", "Standard_ZRS", 30, "Disabled", "Enabled")],
    )
    def test_tier_defaults(self, tier, redundancy, days, ingestion, query):
        config = validate(minimal_config(tier))
        dead_letters = config.dead_letter_storage
        assert dead_letters.redundancy == redundancy
        assert dead_letters.blob_soft_delete_days == dead_letters.container_soft_delete_days == days
        assert (config.monitoring.public_ingestion, config.monitoring.public_query) == (ingestion, query)
        assert config.key_vault.private_endpoint is None

    def test_given_values_are_kept(self):
        config = validate(
            with_changes(
                minimal_config("prod"),
                deadLetterStorage={
                    "redundancy": "Standard_GZRS",
                    "blobSoftDeleteDays": 1,
                    "containerSoftDeleteDays": 365,
                },
                monitoring={"publicIngestion": "Enabled", "publicQuery": "Disabled"},
                keyVault={"privateEndpoint": {"subnetId": SUBNET, "privateDnsZoneId": VAULT_ZONE}},
            )
        )
        assert config.dead_letter_storage.redundancy == "Standard_GZRS"
        assert (
            config.dead_letter_storage.blob_soft_delete_days,
            config.dead_letter_storage.container_soft_delete_days,
        ) == (1, 365)
        assert (config.monitoring.public_ingestion, config.monitoring.public_query) == ("Enabled", "Disabled")
        assert config.key_vault.private_endpoint.subnet_id == SUBNET
        assert config.key_vault.private_endpoint.private_dns_zone_id == VAULT_ZONE

    def test_dev_may_choose_zone_redundancy(self):
        assert validate(with_changes(minimal_config("dev"), deadLetterStorage={"redundancy": "Standard_ZRS"}))

    def test_an_unknown_redundancy_names_the_allowed_skus(self):
        message = only_problem(with_changes(minimal_config(), deadLetterStorage={"redundancy": "ZRS"}))
        assert message.startswith("acs-platform:deadLetterStorage.redundancy: 'ZRS' is not allowed; allowed: ")
        assert "'Standard_ZRS'" in message and "'Standard_GZRS'" in message

    def test_prod_refuses_locally_redundant_dead_letters(self):
        message = only_problem(with_changes(minimal_config("prod"), deadLetterStorage={"redundancy": "Standard_LRS"}))
        assert message.startswith("acs-platform:deadLetterStorage: redundancy: 'Standard_LRS' is not allowed in prod")
        assert "'Standard_ZRS'" in message.split("allowed: ")[1]

    @pytest.mark.parametrize("key", ["blobSoftDeleteDays", "containerSoftDeleteDays"])
    @pytest.mark.parametrize("days", [0, 366])
    def test_soft_delete_days_are_1_to_365(self, key, days):
        message = only_problem(with_changes(minimal_config(), deadLetterStorage={key: days}))
        assert message == f"acs-platform:deadLetterStorage.{key}: {days} must be 1 to 365 days"

    @pytest.mark.parametrize("key", ["publicIngestion", "publicQuery"])
    @pytest.mark.parametrize("value", ["disabled", "Off", False])
    def test_public_access_is_enabled_or_disabled(self, key, value):
        message = only_problem(with_changes(minimal_config(), monitoring={key: value}))
        assert message == f"acs-platform:monitoring.{key}: {value!r} is not allowed; allowed: 'Enabled' or 'Disabled'"

    def test_a_private_endpoint_needs_a_subnet_id(self):
        endpoint = {"subnetId": "/subscriptions/x/subnets/a", "privateDnsZoneId": VAULT_ZONE}
        message = only_problem(with_changes(minimal_config(), keyVault={"privateEndpoint": endpoint}))
        assert message.startswith(
            "acs-platform:keyVault.privateEndpoint.subnetId: '/subscriptions/x/subnets/a' must be a subnet id"
        )

    def test_a_private_endpoint_needs_the_vault_zone(self):
        blob_zone = f"{NETWORK}/privateDnsZones/privatelink.blob.core.windows.net"
        endpoint = {"subnetId": SUBNET, "privateDnsZoneId": blob_zone}
        message = only_problem(with_changes(minimal_config(), keyVault={"privateEndpoint": endpoint}))
        assert message.startswith("acs-platform:keyVault.privateEndpoint.privateDnsZoneId: ")
        assert "must be the id of a private DNS zone named privatelink.vaultcore.azure.net" in message

    def test_a_private_endpoint_needs_both_ids(self):
        message = only_problem(with_changes(minimal_config(), keyVault={"privateEndpoint": {"subnetId": SUBNET}}))
        assert message == "acs-platform:keyVault.privateEndpoint.privateDnsZoneId: is required"

    def test_a_misspelled_private_endpoint_key_is_unknown(self):
        endpoint = {"subnetId": SUBNET, "privateDnsZoneId": VAULT_ZONE, "dnsZoneId": VAULT_ZONE}
        message = only_problem(with_changes(minimal_config(), keyVault={"privateEndpoint": endpoint}))
        assert message.startswith("acs-platform:keyVault.privateEndpoint.dnsZoneId: unknown key")
