"""Phone number pools of ACS: numbers searched, bought, grown, shrunk and released by `pulumi up`.

Phone numbers are data plane only (no ARM resource, so no azure-native resource for them), and each
one is billed from its purchase: `providers.numberpools.pool.PhoneNumberPool` is a Pulumi dynamic resource over
`azure.communication.phonenumbers.PhoneNumbersClient`. `providers.numberpools.client` builds that client (bounded
retries, bounded long-running operations) and `providers.numberpools.numbers` holds the service steps: search,
purchase with its clean-up on failure, release, capability updates, listing.
"""

from providers.numberpools.client import PhoneNumberPoolError
from providers.numberpools.pool import PhoneNumberPool, PhoneNumberPoolArgs, PhoneNumberPoolProvider

__all__ = ["PhoneNumberPool", "PhoneNumberPoolArgs", "PhoneNumberPoolError", "PhoneNumberPoolProvider"]
