"""Pulumi components of the ACS platform: one module each, each with a typed args dataclass."""
