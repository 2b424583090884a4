"""Preflight: the plan of a stack, from the real Pulumi program under Pulumi's mocks, offline."""
