"""Direct Routing as the program plans it: one resource per instance that declares it, on that
instance's endpoint, protected where the stack protects, signing in as the instance allows, and shown
in the plan in priority order."""

from policies.resource_types import SIP_ROUTING
from preflight.render import render_tree
from tests.stacks import minimal_config, one, plan_config, service, sources, with_changes

SBC = {"fqdn": "sbc1.contoso.com", "port": 5061}
ROUTING = {
    "trunks": [SBC],
    "routes": [
        {"name": "emergency", "numberPattern": "^(911|933)$", "trunks": ["sbc1.contoso.com"]},
        {"name": "us", "numberPattern": r"^\+1(\d{10})$", "trunks": ["sbc1.contoso.com"]},
    ],
}


def test_prods_us_instance_routes_emergency_calls_first_to_its_sbc_pair(prod_plan):
    routing = one(prod_plan, SIP_ROUTING)
    assert routing.name == "acs-contoso-prod-us-direct-routing"
    # On the US instance's own data plane: the endpoint comes from that ACS resource.
    assert sources(routing, "endpoint") == [service(prod_plan, "acs-contoso-prod-us").urn]
    pair = ["sbc1.voice.contoso.com", "sbc2.voice.contoso.com"]
    assert routing.inputs["trunks"] == [{"fqdn": fqdn, "port": 5061} for fqdn in pair]
    assert [(r["name"], r["trunks"]) for r in routing.inputs["routes"]] == [("emergency", pair), ("us-numbers", pair)]
    assert routing.inputs["exclusive"] is True  # the prod tier owns the whole SIP configuration
    assert routing.protect  # removing it, or a destroy, is refused: calls would have no route


def test_an_instance_without_direct_routing_gets_no_sip_configuration(prod_plan):
    eu = service(prod_plan, "acs-contoso-prod-eu")
    assert all(sources(r, "endpoint") != [eu.urn] for r in prod_plan.of_type(SIP_ROUTING))


def test_the_plan_lists_trunks_and_routes_in_the_order_acs_tries_them(prod_plan):
    text = render_tree(prod_plan)
    assert "exclusive: true (trunks and routes not declared here are removed)" in text
    assert "trunks: sbc1.voice.contoso.com:5061, sbc2.voice.contoso.com:5061" in text
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if "1. emergency: ^(911|933)$" in line)
    assert "2. us-numbers: ^\\+1(\\d{10})$ -> sbc1.voice.contoso.com, sbc2.voice.contoso.com" in lines[first + 1]


def test_with_local_auth_the_provider_may_sign_in_with_the_instances_connection_string(tmp_path):
    routing = one(plan_config(tmp_path, minimal_config(directRouting=ROUTING, disableLocalAuth=False)), SIP_ROUTING)
    # The variable's name, never its value, goes to the state.
    assert routing.inputs["connectionStringEnv"] == "ACS_CONNECTION_STRING_ACS_TEST_EU"


def test_with_entra_id_only_there_is_no_connection_string_to_read(tmp_path):
    routing = one(plan_config(tmp_path, minimal_config(directRouting=ROUTING)), SIP_ROUTING)
    assert routing.inputs.get("connectionStringEnv") is None


def test_a_stack_that_does_not_protect_leaves_its_routes_removable(tmp_path):
    config = with_changes(minimal_config(directRouting=ROUTING), protection={"lock": "None", "protect": False})
    assert not one(plan_config(tmp_path, config), SIP_ROUTING).protect
