"""preflight check starts the policy pack before it plans and has it judge each resource as the
program registers it: the verdict is the one of a finished plan, errors come in the same order as
before, and no pack process outlives the check, whatever happens. The program runs with the
garbage collector tuned and without the provider's type aliases, and plans the same."""

import gc
import json
import subprocess
import sys

import pulumi
import pulumi_azure_native.resources as resources
import pytest

import preflight.__main__ as cli
from preflight.analyzer import PACK_DIR, PackProcess, analyze
from preflight.policy_config import load_policy_config
from preflight.report import render_json
from preflight.runner import PROGRAM_GC_THRESHOLDS, _is_type_alias, plan_stack, record_preview
from preflight.stacks import load_project
from tests.stacks import REPO, minimal_config, with_changes, write_stack


@pytest.fixture
def packs(monkeypatch) -> list[PackProcess]:
    """Every pack process the command line starts."""
    started: list[PackProcess] = []

    class Recorded(PackProcess):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(cli, "PackProcess", Recorded)
    return started


def ended(pack: PackProcess) -> bool:
    return pack._process.returncode is not None


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_verdict_is_the_one_of_the_finished_plan(capsys, packs):
    code, out, err = run(capsys, "check", "--stack", "dev", "--format", "json")
    assert (code, err) == (0, "")
    config = REPO / "policies" / "config" / "dev.json"
    finished = analyze(plan_stack(load_project(REPO), "dev"), load_policy_config(config), config)
    assert json.loads(out) == json.loads(render_json(finished))
    assert len(packs) == 1 and ended(packs[0])


def test_a_stack_that_cannot_be_read_starts_no_pack(capsys, packs):
    code, _, err = run(capsys, "check", "--stack", "no-such-stack")
    assert code == cli.EXIT_CONFIG and "unknown stack 'no-such-stack'" in err
    assert packs == []


def test_a_configuration_error_of_the_program_ends_the_started_pack(capsys, packs, tmp_path):
    write_stack(tmp_path, "bad", with_changes(minimal_config(), tier="staging"))
    code, out, err = run(capsys, "check", "--stack", "bad", "--stacks-dir", str(tmp_path))
    assert code == cli.EXIT_CONFIG and out == "" and err.startswith("error: ")
    assert len(packs) == 1 and ended(packs[0])


def test_the_program_error_comes_before_a_missing_policy_config(capsys, packs, tmp_path):
    write_stack(tmp_path, "bad", with_changes(minimal_config(), tier="staging"))
    missing = tmp_path / "missing.json"
    code, _, err = run(
        capsys, "check", "--stack", "bad", "--stacks-dir", str(tmp_path), "--policy-config", str(missing)
    )
    assert code == cli.EXIT_CONFIG and "no such policy config file" not in err
    assert len(packs) == 1 and ended(packs[0])


def test_a_missing_policy_config_is_reported_after_the_plan(capsys, packs, tmp_path):
    missing = tmp_path / "missing.json"
    code, out, err = run(capsys, "check", "--stack", "dev", "--policy-config", str(missing))
    assert code == cli.EXIT_CONFIG and out == ""
    assert err == f"error: {missing}: no such policy config file\n"
    assert len(packs) == 1 and ended(packs[0])


def test_a_policy_config_the_pack_refuses_ends_the_pack(capsys, packs, tmp_path):
    config = tmp_path / "unknown.json"
    config.write_text('{"no-such-policy": "mandatory"}', encoding="utf-8")
    code, _, err = run(capsys, "check", "--stack", "dev", "--policy-config", str(config))
    assert code == cli.EXIT_CONFIG and "unknown policies no-such-policy" in err
    assert len(packs) == 1 and ended(packs[0])


def test_a_pack_that_does_not_start_fails_the_check_after_the_plan(capsys, packs, monkeypatch, tmp_path):
    (tmp_path / "__main__.py").write_text("import sys\nsys.exit('no pack here')\n", encoding="utf-8")
    monkeypatch.setattr(cli, "PACK_DIR", tmp_path)
    code, out, err = run(capsys, "check", "--stack", "dev", "--policy-config", str(PACK_DIR / "config" / "dev.json"))
    assert code == cli.EXIT_FAILED and out == ""
    assert f"the policy pack in {tmp_path} did not start" in err and "no pack here" in err
    assert len(packs) == 1 and ended(packs[0])


def test_a_program_that_fails_ends_the_started_pack(capsys, packs, monkeypatch):
    def failing(*_args, **_kwargs):
        raise RuntimeError("the program failed")

    monkeypatch.setattr(cli, "plan_stack", failing)
    with pytest.raises(RuntimeError, match="the program failed"):
        cli.main(["check", "--stack", "dev"])
    assert len(packs) == 1 and ended(packs[0])


FAULTY = ["--stacks-dir", str(REPO / "tests" / "stacks"), "--policy-config", str(PACK_DIR / "config" / "prod.json")]


@pytest.mark.parametrize(("stack", "arguments", "expected"), [("dev", [], 0), ("prod-local-auth", FAULTY, 1)])
def test_as_a_fresh_process_the_verdict_is_all_written_before_it_exits(tmp_path, stack, arguments, expected):
    """`python -m preflight` ends without tearing its objects down: every output is flushed first."""
    out, text = tmp_path / "verdict.json", tmp_path / "verdict.txt"
    command = [sys.executable, "-m", "preflight", "check", "--stack", stack, *arguments, "--format", "json"]
    command += ["--report", f"text={text}"]
    piped = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    written = subprocess.run([*command, "--out", str(out)], cwd=REPO, capture_output=True, text=True, check=False)
    assert (piped.returncode, written.returncode) == (expected, expected)
    assert json.loads(piped.stdout) == json.loads(out.read_text(encoding="utf-8"))
    assert text.read_text(encoding="utf-8").rstrip().endswith("resources.")


def test_plan_does_not_start_a_pack(capsys, packs):
    code, _, _ = run(capsys, "plan", "--stack", "dev", "--format", "json")
    assert code == 0 and packs == []


class TestTheProgramRun:
    def test_no_stack_trace_is_captured_while_the_program_runs_and_capture_comes_back_after(self):
        from pulumi.runtime import resource
        from pulumi.runtime.proto import source_pb2

        capture, seen = resource._get_stack_trace, []
        record_preview(
            lambda: seen.append((resource._get_stack_trace is capture, resource._get_stack_trace())), "p", "s"
        )
        assert seen == [(False, source_pb2.StackTrace())] and resource._get_stack_trace is capture

    def test_the_collector_is_tuned_while_the_program_runs_and_restored_after(self):
        seen = []
        before = gc.get_threshold()
        record_preview(lambda: seen.append(gc.get_threshold()), "p", "s")
        assert seen == [PROGRAM_GC_THRESHOLDS] and gc.get_threshold() == before

    def test_the_collector_is_restored_when_the_program_fails(self):
        before = gc.get_threshold()

        def failing():
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            record_preview(failing, "p", "s")
        assert gc.get_threshold() == before

    def test_the_providers_type_aliases_are_left_out_and_the_programs_own_kept(self):
        def program():
            own = [
                pulumi.Alias(name="old-rg"),
                pulumi.Alias(name="older", type_="azure-native:resources/v1:ResourceGroup"),
            ]
            resources.ResourceGroup("rg", location="westeurope", opts=pulumi.ResourceOptions(aliases=own))

        monitor = record_preview(program, "p", "s")
        group = next(request for _, request in monitor.registrations if request.name == "rg")
        assert [(a.spec.name, a.spec.type) for a in group.aliases] == [
            ("old-rg", ""),
            ("older", "azure-native:resources/v1:ResourceGroup"),
        ]

    @pytest.mark.parametrize(
        ("alias", "expected"),
        [
            (pulumi.Alias(type_="azure-native:communication/v20230331:CommunicationService"), True),
            (pulumi.Alias(type_="azure-native:communication:CommunicationService"), False),  # its own type
            (pulumi.Alias(type_="azure-native:communication/v20230331:EmailService"), False),  # another type
            (pulumi.Alias(type_="azure-native:insights:CommunicationService"), True),  # a renamed module
            (pulumi.Alias(type_="azure-native:insights/v20210501:CommunicationService"), True),
            (pulumi.Alias(type_="azure:communication/v20230331:CommunicationService"), False),  # another package
            (pulumi.Alias(type_="azure-native:communication/v20230331:CommunicationService", name="x"), False),
            (pulumi.Alias(type_="azure-native:communication/v20230331:CommunicationService", parent=None), False),
            (pulumi.Alias(name="renamed"), False),
            ("urn:pulumi:s::p::azure-native:communication:CommunicationService::old", False),
        ],
    )
    def test_a_type_alias_is_only_an_older_token_of_the_same_resource_type(self, alias, expected):
        assert _is_type_alias(alias, "azure-native:communication:CommunicationService") is expected

    def test_each_resource_is_handed_on_as_it_is_registered(self):
        seen = []
        plan = plan_stack(load_project(REPO), "dev", on_resource=seen.append)
        assert sorted(r.urn for r in seen) == sorted(r.urn for r in plan.resources)
        assert {id(r) for r in seen} == {id(r) for r in plan.resources}
