"""Direct Routing of ACS: the SIP trunks (SBCs) and voice routes of an ACS resource, set by `pulumi up`.

Direct Routing is configured in each ACS resource's data plane (no ARM resource, so no azure-native resource
for it): `providers.siprouting.routing.SipRouting` is a Pulumi dynamic resource over
`azure.communication.phonenumbers.siprouting.SipRoutingClient`. `providers.siprouting.client` builds that
client (bounded retries) and `providers.siprouting.configuration` holds the service steps: reading the
configuration, planning a change, applying it in one PATCH and reconciling when an answer is lost.
"""

from providers.siprouting.client import SipRoutingError
from providers.siprouting.routing import (
    SipRouting,
    SipRoutingArgs,
    SipRoutingProvider,
    SipTrunkArgs,
    VoiceRouteArgs,
)

__all__ = ["SipRouting", "SipRoutingArgs", "SipRoutingError", "SipRoutingProvider", "SipTrunkArgs", "VoiceRouteArgs"]
