"""Phone number pools of one ACS instance, bought and released through the ACS data plane.

Numbers are billed from the moment they are bought and may never come back once released, so
pools are protected and retained on delete where the stack says so (prod by default): a removed
pool, or a `pulumi destroy`, then leaves the numbers in place, to be released by hand.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from numberpools.pool import PhoneNumberPool, PhoneNumberPoolArgs
from stackconfig.phone_numbers import PoolConfig


@dataclass(frozen=True)
class ProtectedPool:
    config: PoolConfig
    protected: bool


@dataclass(frozen=True)
class PhoneNumbersArgs:
    instance: str
    endpoint: pulumi.Input[str]  # the instance's data-plane endpoint, https://<host name>
    local_auth: bool  # whether a connection string may be used, from the environment
    pools: Sequence[ProtectedPool]


def connection_string_env(instance: str) -> str:
    """Where a connection string for the instance may be given, when it allows local auth."""
    return "ACS_CONNECTION_STRING_" + re.sub("[^A-Z0-9]", "_", instance.upper())


class PhoneNumbers(pulumi.ComponentResource):
    pools: dict[str, PhoneNumberPool]

    def __init__(self, name: str, args: PhoneNumbersArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("acs-platform:components:PhoneNumbers", name, None, opts)

        self.pools = {
            pool.config.name: PhoneNumberPool(
                f"{name}-{pool.config.name}",
                PhoneNumberPoolArgs(
                    endpoint=args.endpoint,
                    country_code=pool.config.country_code,
                    number_type=pool.config.number_type,
                    assignment_type=pool.config.assignment_type,
                    sms=pool.config.sms,
                    calling=pool.config.calling,
                    quantity=pool.config.quantity,
                    area_code=pool.config.area_code,
                    locality=pool.config.locality,
                    agree_to_not_resell=pool.config.agree_to_not_resell,
                    allow_replacement=pool.config.allow_replacement,
                    connection_string_env=connection_string_env(args.instance) if args.local_auth else None,
                ),
                opts=pulumi.ResourceOptions(parent=self, protect=pool.protected, retain_on_delete=pool.protected),
            )
            for pool in args.pools
        }

        self.register_outputs({"phoneNumbers": {key: pool.phone_numbers for key, pool in self.pools.items()}})
