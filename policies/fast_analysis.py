"""The pack's analyzer does per resource only what its verdict needs. Three things, the same verdicts:

- `Analyze` runs the resource policies that judge the resource's type (each rule declares its
  types, see `support.resource_rule`): the others would return at once, after pulumi-policy had
  built their arguments anyway.
- `AnalyzeStack` hands each stack policy the resources of its types only (`support.stack_rule`:
  the policy sees no others anyway).
- Each resource's properties are decoded once per call to the pack, not once per policy.

pulumi-policy 1.21's analyzer turns a resource's properties from protobuf into Python values (with
`json_format.MessageToDict`, then `deserialize_properties`) again for every policy it runs, so a
pack of 46 policies decodes each resource 46 times in `Analyze`, and builds every resource of the
stack anew for each stack policy in `AnalyzeStack`: most of the pack's time on a large stack.
Within one call the message is the same object each time, so its decoding is kept, by that
object, until the call ends. The rules only read the values they are given (through
pulumi-policy's read-only proxy), so sharing them changes no verdict. `install()` is called once, when the pack starts.
"""

from collections.abc import Callable
from typing import Any

import pulumi_policy.policy as pulumi_policy
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from .support import judged_types

# Kept for one call: id(message) -> (message, its dict); id(dict) -> message; and the decoded values
# by (id(message), proxy_secrets). The message itself is held, so its id is not reused meanwhile.
_as_dict: dict[int, tuple[Any, dict]] = {}
_message_of: dict[int, Any] = {}
_decoded: dict[tuple[int, bool], Any] = {}


class _JsonFormat:
    """`json_format` for pulumi-policy: `MessageToDict(message)` gives the same dict for the same
    message within a call; everything else is protobuf's own."""

    def MessageToDict(self, message: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 (protobuf's name)
        if args or kwargs:
            return json_format.MessageToDict(message, *args, **kwargs)
        found = _as_dict.get(id(message))
        if found is None or found[0] is not message:
            found = (message, json_format.MessageToDict(message))
            _as_dict[id(message)] = found
            _message_of[id(found[1])] = message
        return found[1]

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)


def _decoding_once(deserialize: Callable[..., Any]) -> Callable[..., Any]:
    def decode(props: Any, proxy_secrets: bool = False) -> Any:
        message = _message_of.get(id(props))
        if message is None:  # not a dict of this call's MessageToDict: decoded as it comes
            return deserialize(props, proxy_secrets)
        key = (id(message), proxy_secrets)
        if key not in _decoded:
            _decoded[key] = deserialize(props, proxy_secrets)
        return _decoded[key]

    return decode


def _forgetting_after(method: Callable[..., Any]) -> Callable[..., Any]:
    def call(self: Any, request: Any, context: Any) -> Any:
        try:
            return method(self, request, context)
        finally:
            _as_dict.clear()
            _message_of.clear()
            _decoded.clear()

    return call


def judges(policy: Any, resource_type: str) -> bool:
    """Whether `policy` has anything to say about a resource of `resource_type` in `Analyze`."""
    if not isinstance(policy, ResourceValidationPolicy):
        return True  # pulumi-policy skips these itself
    types = judged_types(policy)
    return types is None or resource_type in types


class _Judging:
    """The servicer as one `Analyze` call sees it: its policies are those judging the resource."""

    def __init__(self, servicer: Any, policies: list[Any]):
        self._servicer = servicer
        self._PolicyAnalyzerServicer__policies = policies  # the attribute `self.__policies` reads there

    def __getattr__(self, name: str) -> Any:
        return getattr(self._servicer, name)


def _judging_only(analyze: Callable[..., Any]) -> Callable[..., Any]:
    def call(self: Any, request: Any, context: Any) -> Any:
        policies = [p for p in self._PolicyAnalyzerServicer__policies if judges(p, request.type)]
        return analyze(_Judging(self, policies), request, context)

    return call


class _Resources:
    """An AnalyzeStackRequest as pulumi-policy reads it (`resources` alone), with some of its resources."""

    def __init__(self, resources: list[Any]):
        self.resources = resources


def _stack_judging_only(analyze_stack: Callable[..., Any]) -> Callable[..., Any]:
    """`AnalyzeStack` with each stack policy given only the resources of its types (`support.stack_rule`:
    all it sees anyway). pulumi-policy builds every resource of the request anew for each stack policy."""

    def call(self: Any, request: Any, context: Any) -> Any:
        resources = list(request.resources)  # held for the call: each one's properties decode once
        response = analyzer_pb2.AnalyzeResponse()
        for policy in self._PolicyAnalyzerServicer__policies:
            if not isinstance(policy, StackValidationPolicy):
                continue
            types = judged_types(policy)
            seen = resources if types is None else [r for r in resources if r.type in types]
            response.MergeFrom(analyze_stack(_Judging(self, [policy]), _Resources(seen), context))
        return response

    return call


def install() -> None:
    servicer = pulumi_policy._PolicyAnalyzerServicer
    if getattr(servicer, "_fast_analysis", False):
        return
    pulumi_policy.json_format = _JsonFormat()
    pulumi_policy.deserialize_properties = _decoding_once(pulumi_policy.deserialize_properties)
    servicer.Analyze = _judging_only(servicer.Analyze)
    servicer.AnalyzeStack = _stack_judging_only(servicer.AnalyzeStack)
    for name in ("Analyze", "AnalyzeStack", "Remediate"):
        setattr(servicer, name, _forgetting_after(getattr(servicer, name)))
    servicer._fast_analysis = True
