"""Every policy of the pack, in one list: the pack and the tests both start here."""

from . import (
    acs_baseline,
    cost_budget,
    credentials,
    direct_routing,
    email_baseline,
    eventgrid_baseline,
    keyvault_baseline,
    monitoring_baseline,
    network_baseline,
    phone_numbers,
    regional,
    storage_baseline,
    tagging,
)

PACK_NAME = "acs-platform"

POLICIES = [
    *regional.POLICIES,
    *acs_baseline.POLICIES,
    *tagging.POLICIES,
    *keyvault_baseline.POLICIES,
    *network_baseline.POLICIES,
    *storage_baseline.POLICIES,
    *monitoring_baseline.POLICIES,
    *eventgrid_baseline.POLICIES,
    *email_baseline.POLICIES,
    *credentials.POLICIES,
    *phone_numbers.POLICIES,
    *direct_routing.POLICIES,
    *cost_budget.POLICIES,
]
