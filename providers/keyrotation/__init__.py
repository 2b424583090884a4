"""Scheduled dual-key rotation of ACS access keys, for a Key Vault secret holding a connection string."""
