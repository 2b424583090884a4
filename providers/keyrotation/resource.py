"""AcsKeyRotation: the connection string of an ACS resource's active key, rotated by generation.

A Pulumi dynamic resource. Its provider is pickled into the stack's state (by reference, as
`providers.keyrotation.resource.AcsKeyRotationProvider`: the provider process imports this package from the
project directory), so it holds nothing but code: each operation opens and closes its own client.
"""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic

from providers.arm import ClientFactory, default_client, parse_resource_id
from providers.keyrotation.keys import connection_string, regenerate
from stackconfig.rotation import KEY_TYPES, RotationSchedule

# Python attribute and argument names <-> the resource's property names in the state.
_PROPERTY_NAMES = {
    "communication_service_id": "communicationServiceId",
    "generation": "generation",
    "arm_endpoint": "armEndpoint",
    "active_key": "activeKey",
    "connection_string": "connectionString",
}
_ATTRIBUTE_NAMES = {prop: attribute for attribute, prop in _PROPERTY_NAMES.items()}


def standby(active_key: str) -> str:
    """The key that is not `active_key`."""
    return next(k for k in KEY_TYPES if k != active_key)


class AcsKeyRotationProvider(pulumi.dynamic.ResourceProvider):
    """Pulumi calls create, diff, update and delete; the `*_with` methods hold the logic and take the
    client factory, so tests can point them at another endpoint and credential."""

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        return self.create_with(props, default_client)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        # Only what changes the key counts: a new ARM endpoint for the same resource is just another
        # way to reach it and is picked up by the next update.
        replaced = olds.get("communicationServiceId") != news.get("communicationServiceId")
        changed = replaced or olds.get("generation") != news.get("generation")
        replaces = ["communicationServiceId"] if replaced else []
        return pulumi.dynamic.DiffResult(changes=changed, replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        return self.update_with(olds, news, default_client)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # The keys belong to the ACS resource and live as long as it does. Regenerating one here would
        # break whatever still uses the secret; deleting the ACS resource removes them anyway.
        pass

    def create_with(self, props: dict[str, Any], client_factory: ClientFactory) -> pulumi.dynamic.CreateResult:
        # A first deployment, or adopting an ACS resource that is already in use: the keys it has
        # are valid, so read the active one and regenerate nothing.
        key = RotationSchedule.active_key(int(props["generation"]))
        outs = self._outputs(props, key, rotate=False, client_factory=client_factory)
        return pulumi.dynamic.CreateResult(id_=props["communicationServiceId"], outs=outs)

    def update_with(
        self, olds: dict[str, Any], news: dict[str, Any], client_factory: ClientFactory
    ) -> pulumi.dynamic.UpdateResult:
        # A later generation, one period on or several (a missed due date, a "rotate now" on top),
        # moves to the standby key: the one the secret does not hold. Choosing by the generation's
        # parity instead, a jump of two would regenerate the key in use. An equal or lower
        # generation (a configuration rolled back) just reads: going back must never replace a key
        # the secret holds. A failed update leaves the old state, so the next run flips again.
        if int(news["generation"]) > int(olds["generation"]):
            key, rotate = standby(olds["activeKey"]), True
        else:
            key, rotate = olds["activeKey"], False
        return pulumi.dynamic.UpdateResult(outs=self._outputs(news, key, rotate, client_factory))

    def _outputs(self, props: dict[str, Any], key: str, rotate: bool, client_factory: ClientFactory) -> dict[str, Any]:
        subscription, resource_group, name = parse_resource_id(props["communicationServiceId"])
        generation = int(props["generation"])  # numbers come back from the state as floats
        with client_factory(subscription, props["armEndpoint"]) as client:
            value = (regenerate if rotate else connection_string)(client, resource_group, name, key)
        return {
            "communicationServiceId": props["communicationServiceId"],
            "generation": generation,
            "armEndpoint": props["armEndpoint"],
            "activeKey": key,
            "connectionString": value,
        }


@dataclass(frozen=True)
class AcsKeyRotationArgs:
    communication_service_id: pulumi.Input[str]
    generation: int  # RotationSchedule.generation(today, extra_rotations)
    arm_endpoint: str = "https://management.azure.com"

    def __post_init__(self) -> None:
        if isinstance(self.generation, bool) or not isinstance(self.generation, int) or self.generation < 0:
            raise ValueError(f"generation must be a whole number, at least 0: {self.generation!r}")


class AcsKeyRotation(pulumi.dynamic.Resource, module="keyrotation", name="AcsKeyRotation"):
    """The connection string of the active key of one ACS resource at one generation: a Pulumi secret."""

    connection_string: pulumi.Output[str]
    active_key: pulumi.Output[str]
    generation: pulumi.Output[int]

    def __init__(self, name: str, args: AcsKeyRotationArgs, opts: pulumi.ResourceOptions | None = None):
        props = {
            "communication_service_id": args.communication_service_id,
            "generation": args.generation,
            "arm_endpoint": args.arm_endpoint,
            "active_key": None,
            "connection_string": None,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=["connectionString"])
        super().__init__(AcsKeyRotationProvider(), name, props, pulumi.ResourceOptions.merge(opts, secret))

    def translate_input_property(self, prop: str) -> str:
        return _PROPERTY_NAMES.get(prop, prop)

    def translate_output_property(self, prop: str) -> str:
        return _ATTRIBUTE_NAMES.get(prop, prop)
