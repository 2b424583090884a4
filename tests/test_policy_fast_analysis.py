"""The pack decodes each resource's properties once per call, whatever the number of policies, and
the verdicts are the ones pulumi-policy's own decoding gives."""

from google.protobuf import json_format, struct_pb2
from pulumi_policy import policy as pulumi_policy

from policies import fast_analysis


def message(**values):
    properties = struct_pb2.Struct()
    properties.update(values)
    return properties


def test_one_message_is_decoded_once_per_call_and_forgotten_after_it(monkeypatch):
    fast_analysis.install()
    calls = []
    original = json_format.MessageToDict
    monkeypatch.setattr(json_format, "MessageToDict", lambda m, *a, **k: calls.append(m) or original(m, *a, **k))
    first, second = message(name="a"), message(name="b")

    def analyze(_self, _request, _context):
        values = [
            pulumi_policy.deserialize_properties(pulumi_policy.json_format.MessageToDict(m)) for m in (first,) * 42
        ]
        other = pulumi_policy.deserialize_properties(pulumi_policy.json_format.MessageToDict(second))
        return values, other

    values, other = fast_analysis._forgetting_after(analyze)(None, None, None)
    assert calls == [first, second]  # 43 decodings asked for, two made
    assert all(v == {"name": "a"} for v in values) and other == {"name": "b"}
    assert not fast_analysis._as_dict and not fast_analysis._decoded  # nothing kept past the call


def test_the_pack_is_installed_with_it():
    fast_analysis.install()
    assert pulumi_policy._PolicyAnalyzerServicer._fast_analysis
    assert isinstance(pulumi_policy.json_format, fast_analysis._JsonFormat)


def test_analyze_runs_only_the_resource_policies_that_judge_the_type():
    from policies.catalog import POLICIES
    from policies.support import judged_types

    acs = "azure-native:communication:CommunicationService"
    judging = [p for p in POLICIES if fast_analysis.judges(p, acs)]
    for policy in POLICIES:
        types = judged_types(policy)
        if isinstance(policy, pulumi_policy.ResourceValidationPolicy) and types is not None and acs not in types:
            assert policy not in judging  # it would have returned at once
        else:
            assert policy in judging
    assert 0 < len(judging) < len(POLICIES)


def stack_policy(name, types):
    from policies.support import stack_rule

    seen = []

    @stack_rule(name=name, description=name, types=types, severity=pulumi_policy.Severity.LOW, remediation="", url="")
    def check(args, _report):
        seen.append([r.resource_type for r in args.resources])

    return check, seen


def test_analyze_stack_hands_each_stack_policy_only_the_resources_of_its_types():
    from pulumi.runtime.proto import analyzer_pb2

    lock_rule, _ = stack_policy("locks", ["lock"])
    every_rule, _ = stack_policy("everything", None)
    request = analyzer_pb2.AnalyzeStackRequest(
        resources=[analyzer_pb2.AnalyzerResource(type=t, urn=f"urn:{i}") for i, t in enumerate(["acs", "lock", "dns"])]
    )
    calls = []

    def analyze_stack(view, stack_request, _context):
        (policy,) = view._PolicyAnalyzerServicer__policies
        calls.append((policy.name, [r.type for r in stack_request.resources]))
        return analyzer_pb2.AnalyzeResponse(diagnostics=[analyzer_pb2.AnalyzeDiagnostic(policyName=policy.name)])

    class Servicer:
        _PolicyAnalyzerServicer__policies = [lock_rule, every_rule]

    response = fast_analysis._stack_judging_only(analyze_stack)(Servicer(), request, None)
    assert calls == [("locks", ["lock"]), ("everything", ["acs", "lock", "dns"])]
    assert [d.policyName for d in response.diagnostics] == ["locks", "everything"]  # in the pack's order


def test_a_stack_rule_sees_only_its_types_however_it_is_called():
    rule, seen = stack_policy("locks", ["lock"])
    options = pulumi_policy.PolicyResourceOptions(False, [], None, [], None, [])
    resources = [
        pulumi_policy.PolicyResource(t, {}, f"urn:{t}", t, options, None, None, [], {}) for t in ("acs", "lock")
    ]
    rule.validate(pulumi_policy.StackValidationArgs(resources), lambda *_: None)
    assert seen == [["lock"]]
