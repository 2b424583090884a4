"""The Direct Routing of one ACS instance: its SIP trunks and voice routes, set in the ACS data plane.

No ARM resource holds them, so the project's own dynamic resource does (`providers.siprouting`). Voice
routes decide where the company's calls go: where the stack protects its resources (prod), the
resource is protected, so that removing the instance's `directRouting`, or a destroy, is refused
rather than leaving calls with no route.
"""

import pulumi

from providers.siprouting import SipRouting, SipRoutingArgs, SipTrunkArgs, VoiceRouteArgs
from stackconfig.direct_routing import DirectRoutingConfig

from .credentials import connection_string_env


def direct_routing(
    name: str,
    *,
    instance: str,
    config: DirectRoutingConfig,
    exclusive: bool,  # the instance's own `exclusive`, else the stack's default
    endpoint: pulumi.Input[str],  # the instance's data-plane endpoint, https://<host name>
    local_auth: bool,  # whether the provider may sign in with the instance's connection string
    protect: bool,
    parent: pulumi.Resource,
) -> SipRouting:
    return SipRouting(
        name,
        SipRoutingArgs(
            endpoint=endpoint,
            trunks=[SipTrunkArgs(trunk.fqdn, trunk.port) for trunk in config.trunks],
            # In the order written: the first route whose pattern matches a number takes the call.
            routes=[
                VoiceRouteArgs(route.name, route.number_pattern, route.trunks, route.description)
                for route in config.routes
            ],
            exclusive=exclusive,
            connection_string_env=connection_string_env(instance) if local_auth else None,
        ),
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
