"""Environment tiers and the defaults each one brings.

A stack names its tier; a setting the stack does not give takes the tier's default. prod gets the
hardened defaults. Security settings (local auth off, managed identity, `protect`) default to the
hardened value in every tier: a dev stack that relaxes one says so in its own stack file.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class TierDefaults:
    lock: str  # management lock on every ACS resource and the resource group
    log_retention_days: int  # Log Analytics retention
    purge_protection: bool  # Key Vault purge protection: irreversible, so dev may leave it off
    protect_phone_numbers: bool  # keep bought numbers through a delete or a destroy
    # Log Analytics: diagnostic settings reach the workspace over Microsoft's network either way;
    # these close what comes from public networks (agents, APIs; queries from the portal).
    public_ingestion: str
    public_query: str
    # The dead-letter storage account: its replication, and how long deleted blobs and containers
    # can be restored.
    dead_letter_redundancy: str
    dead_letter_soft_delete_days: int
    # Direct Routing: whether the stack owns an instance's whole SIP configuration and removes the trunks
    # and routes it does not declare (prod), or keeps what others added by hand (dev).
    direct_routing_exclusive: bool
    # The monthly cost budget on the resource group (acs-platform:budget.amount), in the billing account's
    # currency: Azure has no currency field, so 100 is USD 100 on a USD account and EUR 100 on a EUR one.
    budget_amount: float


TIERS: dict[str, TierDefaults] = {
    "dev": TierDefaults(
        lock="None",
        log_retention_days=30,
        purge_protection=False,
        protect_phone_numbers=False,
        public_ingestion="Enabled",
        public_query="Enabled",
        dead_letter_redundancy="Standard_LRS",
        dead_letter_soft_delete_days=7,
        direct_routing_exclusive=False,
        budget_amount=100,
    ),
    "prod": TierDefaults(
        lock="CanNotDelete",
        log_retention_days=365,
        purge_protection=True,
        protect_phone_numbers=True,
        public_ingestion="Disabled",
        # Querying with public access disabled needs an Azure Monitor Private Link Scope: without
        # one, operators could not read the logs from the portal. A stack that has one says so.
        public_query="Enabled",
        dead_letter_redundancy="Standard_ZRS",
        dead_letter_soft_delete_days=30,
        direct_routing_exclusive=True,
        budget_amount=1000,
    ),
}
