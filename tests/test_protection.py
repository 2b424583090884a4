"""Protection: CanNotDelete locks on prod's ACS resources and its resource group."""

from tests.stacks import ACS, LOCK, RESOURCE_GROUP, minimal_config, one, plan_config, sources, with_changes


def locked_urns(plan) -> list[str]:
    return sorted(urn for lock in plan.of_type(LOCK) for urn in sources(lock, "scope"))


def test_prod_locks_every_acs_resource_and_the_resource_group(prod_plan):
    expected = sorted([*(r.urn for r in prod_plan.of_type(ACS)), one(prod_plan, RESOURCE_GROUP).urn])
    assert locked_urns(prod_plan) == expected
    for lock in prod_plan.of_type(LOCK):
        assert lock.inputs["level"] == "CanNotDelete"
        assert lock.inputs["lockName"] == "acs-platform-cannotdelete"


def test_dev_has_no_locks(dev_plan):
    assert dev_plan.of_type(LOCK) == []


def test_dev_can_ask_for_locks_and_prod_can_turn_them_off(tmp_path):
    dev_locked = plan_config(tmp_path, with_changes(minimal_config("dev"), protection={"lock": "CanNotDelete"}))
    assert len(dev_locked.of_type(LOCK)) == 2
    prod_unlocked = plan_config(tmp_path, with_changes(minimal_config("prod"), protection={"lock": "None"}))
    assert prod_unlocked.of_type(LOCK) == []


def test_a_resource_group_this_stack_does_not_manage_is_not_locked_by_it(tmp_path):
    config = with_changes(minimal_config("prod"), resourceGroup={"name": "rg-shared-comms", "existing": True})
    plan = plan_config(tmp_path, config)
    assert locked_urns(plan) == [one(plan, ACS).urn]
