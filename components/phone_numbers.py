"""Phone number pools of one ACS instance, bought and released through the ACS data plane.

Numbers are billed from the moment they are bought and may never come back once released, so
pools are protected and retained on delete where the stack says so (prod by default): a removed
pool, or a `pulumi destroy`, then leaves the numbers in place, to be released by hand.

A purchase whose outcome could not be observed in time is kept in the pool's state as pending. The
provider cannot fail and keep a state at once, so the program fails instead, once the state is saved:
`pulumi up` then ends in an error that names the numbers, and the next `up` settles them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from providers.numberpools.pool import PhoneNumberPool, PhoneNumberPoolArgs
from stackconfig.phone_numbers import PoolConfig

from .credentials import connection_string_env


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


def settled(pool_name: str, pending: dict[str, Any] | None) -> None:
    """Fails the program when a pool's purchase is still pending: its numbers may be billed."""
    if pending:
        raise pulumi.RunError(
            f"phone number pool {pool_name}: the outcome of purchasing {', '.join(pending['numbers'])} "
            f"(search {pending['searchId']}, requested {pending['requestedAt']}) was not seen before the deadline. "
            "They are kept in the stack's state as pending, so nothing is bought twice or forgotten: run "
            "`pulumi up` again later, and it adopts the numbers that turned up and buys only what is missing"
        )


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
                    # None when the pool adopts nothing: the input is then not sent, as before adoption existed.
                    adopt_numbers=list(pool.config.adopt_numbers) or None,
                ),
                opts=pulumi.ResourceOptions(parent=self, protect=pool.protected, retain_on_delete=pool.protected),
            )
            for pool in args.pools
        }

        # Part of the outputs, so that the program waits for the check and fails when it raises.
        checks = [
            pool.pending_purchase.apply(lambda pending, key=key: settled(f"'{key}' of {args.instance}", pending))
            for key, pool in self.pools.items()
        ]
        self.register_outputs(
            {
                "phoneNumbers": {key: pool.phone_numbers for key, pool in self.pools.items()},
                "settled": pulumi.Output.all(*checks).apply(lambda _: True),
            }
        )
