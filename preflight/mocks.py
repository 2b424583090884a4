"""Pulumi mocks that answer as a first `pulumi preview` would, and record every registration."""

import copy
from collections.abc import Callable
from typing import Any

from pulumi.runtime import mocks, rpc
from pulumi.runtime.settings import get_project, get_stack

from .plan import ROOT_STACK_TYPE


class OfflineInvokeError(Exception):
    """The program called an invoke that preflight cannot answer offline."""


class PreviewMocks(mocks.Mocks):
    """Resources come back as a provider previews a create: inputs known, the rest unknown."""

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = copy.deepcopy(args.inputs)
        identity = state.get("identity")
        if isinstance(identity, dict) and identity.get("type", "None") != "None":
            # Azure creates the identity's principal with the resource, and answers with the
            # user-assigned identities as a map of id to principal, where the request had a list.
            identity.update(principalId=rpc.UNKNOWN, tenantId=rpc.UNKNOWN)
            if isinstance(identity.get("userAssignedIdentities"), list):
                identity["userAssignedIdentities"] = {
                    uami: {"principalId": rpc.UNKNOWN, "clientId": rpc.UNKNOWN}
                    for uami in identity["userAssignedIdentities"]
                }
        # An empty id is an unknown one during a preview: ids exist once Azure creates them.
        return "", state

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list]:
        # An invoke reads Azure, and its typed result cannot be left unknown: there is no
        # honest offline answer, so the program must not depend on one to be planned.
        raise OfflineInvokeError(f"invoke {args.token} needs Azure; preflight plans without it")


class RecordingMonitor(mocks.MockMonitor):
    """Pulumi's mock resource monitor, keeping each registration request and the stack outputs."""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives: the parent's whole type chain, not the root stack's."""
        qualified = type_
        if parent:
            parent_type = parent.split("::", 3)[2]
            if parent_type != ROOT_STACK_TYPE:
                qualified = f"{parent_type}${type_}"
        return f"urn:pulumi:{get_stack()}::{get_project()}::{qualified}::{name}"

    def __init__(self, mocks_: mocks.Mocks, on_register: Callable[[str, Any], None] | None = None):
        super().__init__(mocks_)
        self.registrations: list[tuple[str, Any]] = []  # (urn, RegisterResourceRequest)
        self.outputs: dict[str, Any] = {}  # urn -> registered outputs, as sent
        self.on_register = on_register  # called with each (urn, request), as it comes

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        self.registrations.append((response.urn, request))
        if self.on_register is not None:
            self.on_register(response.urn, request)
        return response

    def RegisterResourceOutputs(self, request):
        self.outputs[request.urn] = request.outputs
        return super().RegisterResourceOutputs(request)
