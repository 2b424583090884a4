"""Communication: the resource group and one ACS resource per instance, as configured."""

import pytest

from tests.stacks import (
    ACS,
    RESOURCE_GROUP,
    UAMI,
    minimal_config,
    one,
    plan_config,
    service,
    sources,
    with_changes,
)


def test_each_instance_is_a_global_acs_resource_with_its_own_data_location(prod_plan):
    services = {r.inputs["communicationServiceName"]: r for r in prod_plan.of_type(ACS)}
    assert set(services) == {"acs-contoso-prod-eu", "acs-contoso-prod-us"}
    assert services["acs-contoso-prod-eu"].inputs["dataLocation"] == "Europe"
    assert services["acs-contoso-prod-us"].inputs["dataLocation"] == "United States"
    for resource in services.values():
        assert resource.inputs["location"] == "global"
        assert resource.inputs["resourceGroupName"] == "rg-acs-prod"


def test_acs_resources_are_placed_after_the_resource_group_exists(prod_plan):
    group = one(prod_plan, RESOURCE_GROUP)
    assert group.inputs == {
        "location": "westeurope",
        "resourceGroupName": "rg-acs-prod",
        "tags": group.inputs["tags"],
    }
    for resource in prod_plan.of_type(ACS):
        assert sources(resource, "resourceGroupName") == [group.urn]


def test_prod_disables_local_auth_and_dev_relaxes_it_only_where_its_stack_says_so(prod_plan, dev_plan):
    assert all(r.inputs["disableLocalAuth"] is True for r in prod_plan.of_type(ACS))
    assert service(dev_plan, "acs-contoso-dev-eu").inputs["disableLocalAuth"] is False


def test_local_auth_is_disabled_unless_configured(tmp_path):
    plan = plan_config(tmp_path, minimal_config("dev"))
    assert one(plan, ACS).inputs["disableLocalAuth"] is True


def test_public_network_access_is_passed_through(tmp_path):
    plan = plan_config(tmp_path, minimal_config(publicNetworkAccess="SecuredByPerimeter"))
    assert one(plan, ACS).inputs["publicNetworkAccess"] == "SecuredByPerimeter"


@pytest.mark.parametrize(
    ("identities", "expected"),
    [
        ({}, {"type": "SystemAssigned"}),
        (
            {"userAssignedResourceIds": [UAMI]},
            {"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": [UAMI]},
        ),
        (
            {"systemAssigned": False, "userAssignedResourceIds": [UAMI]},
            {"type": "UserAssigned", "userAssignedIdentities": [UAMI]},
        ),
        ({"systemAssigned": False}, {"type": "None"}),
    ],
)
def test_managed_identities_are_the_configured_ones(tmp_path, identities, expected):
    plan = plan_config(tmp_path, minimal_config(managedIdentities=identities))
    assert one(plan, ACS).inputs["identity"] == expected


def test_standard_stack_and_instance_tags_are_on_the_acs_resource(tmp_path):
    config = with_changes(minimal_config(tags={"team": "sms"}), tags={"criticality": "high"})
    plan = plan_config(tmp_path, config)
    standard = {
        "environment": "test",
        "owner": "platform-team@contoso.com",
        "cost-center": "CC-4711",
        "managed-by": "acs-platform",
    }
    assert one(plan, ACS).inputs["tags"] == {**standard, "criticality": "high", "team": "sms"}
    assert one(plan, RESOURCE_GROUP).inputs["tags"] == {**standard, "criticality": "high"}


def test_an_existing_resource_group_is_used_by_name_not_created(tmp_path):
    config = with_changes(minimal_config(), resourceGroup={"name": "rg-shared-comms", "existing": True})
    plan = plan_config(tmp_path, config)
    assert plan.of_type(RESOURCE_GROUP) == []
    assert one(plan, ACS).inputs["resourceGroupName"] == "rg-shared-comms"


@pytest.mark.parametrize("tier", ["dev", "prod"])
def test_acs_resources_and_the_group_are_protected_by_default(tmp_path, tier):
    plan = plan_config(tmp_path, minimal_config(tier))
    assert one(plan, ACS).protect and one(plan, RESOURCE_GROUP).protect


def test_protection_can_be_turned_off_explicitly(tmp_path):
    plan = plan_config(tmp_path, with_changes(minimal_config(), protection={"protect": False}))
    assert not one(plan, ACS).protect and not one(plan, RESOURCE_GROUP).protect


def test_a_data_location_change_is_planned_as_a_replacement_that_protect_refuses(prod_plan):
    for resource in prod_plan.of_type(ACS):
        assert resource.replace_on_changes == ["dataLocation"]
        assert resource.protect


def test_child_names_derive_from_the_component_and_are_parented_to_it(prod_plan):
    shared = one(prod_plan, "acs-platform:index:SharedInfrastructure")
    group = one(prod_plan, RESOURCE_GROUP)
    assert group.parent == shared.urn and group.name.startswith(f"{shared.name}-")
    instances = prod_plan.of_type("acs-platform:index:AcsInstance")
    assert sorted(i.name for i in instances) == sorted(
        r.inputs["communicationServiceName"] for r in prod_plan.of_type(ACS)
    )
    for instance in instances:
        [service] = [r for r in prod_plan.of_type(ACS) if r.parent == instance.urn]
        assert service.name == f"{instance.name}-acs"
        children = [r for r in prod_plan.resources if r.parent == instance.urn]
        assert all(r.name.startswith(f"{instance.name}-") for r in children)
