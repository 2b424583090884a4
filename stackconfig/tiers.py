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


TIERS: dict[str, TierDefaults] = {
    "dev": TierDefaults(lock="None", log_retention_days=30, purge_protection=False, protect_phone_numbers=False),
    "prod": TierDefaults(
        lock="CanNotDelete", log_retention_days=365, purge_protection=True, protect_phone_numbers=True
    ),
}
