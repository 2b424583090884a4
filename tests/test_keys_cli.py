"""python -m preflight.keys: the schedule's status, and "rotate now" with a dry run."""

import os
import re
import stat
from datetime import date

import pytest

from preflight.keys import main
from tests.stacks import REPO

DEV_STACK = REPO / "Pulumi.dev.yaml"
INSTANCE = "acs-contoso-dev-eu"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def fake_pulumi(tmp_path, monkeypatch):
    """A `pulumi` on PATH that records its arguments and exits with FAKE_PULUMI_EXIT."""
    log = tmp_path / "pulumi.log"
    script = tmp_path / "pulumi"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {log}\nexit "${{FAKE_PULUMI_EXIT:-0}}"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    return log


def test_status_shows_each_instance_with_a_connection_string(capsys):
    code, out, _ = run(capsys, "status", "--stack", "dev")
    assert code == 0
    assert out.startswith("Key rotation of stack 'dev': every 90 days from 2026-01-01")
    assert re.search(rf"{INSTANCE}: generation \d+ \(0 rotated now\), secret {INSTANCE}-connection-string expires", out)


def test_status_of_a_stack_without_local_auth_says_there_is_nothing_to_rotate(capsys):
    _, out, _ = run(capsys, "status", "--stack", "prod")
    assert "no instance allows local auth" in out


def test_a_dry_run_says_what_would_change_and_changes_nothing(capsys, fake_pulumi):
    before = DEV_STACK.read_text()
    code, out, _ = run(capsys, "rotate", "--stack", "dev", "--instance", INSTANCE, "--dry-run")
    assert code == 0
    generations = re.search(r"generation (\d+) -> (\d+)\.", out)
    assert int(generations[2]) == int(generations[1]) + 1
    assert "regenerate the standby key" in out and f"move secret {INSTANCE}-connection-string" in out
    assert f"'acs-platform:keyRotation.extraRotations[\"{INSTANCE}\"]' 1 --stack dev" in out
    assert DEV_STACK.read_text() == before
    assert not fake_pulumi.exists()


def test_rotate_records_the_rotation_then_updates_only_the_keys_and_the_secret(capsys, fake_pulumi):
    code, out, _ = run(capsys, "rotate", "--stack", "dev", "--instance", INSTANCE)
    assert code == 0
    config_set, up = fake_pulumi.read_text().splitlines()
    assert config_set == f'config set --path acs-platform:keyRotation.extraRotations["{INSTANCE}"] 1 --stack dev'
    assert up.startswith("up --stack dev --yes --target urn:pulumi:dev::acs-platform::")
    assert up.count("--target") == 2
    assert f"AcsKeyRotation::{INSTANCE}-keys" in up and f"Secret::{INSTANCE}-connection-string" in up
    assert "Commit Pulumi.dev.yaml" in out


def test_a_failing_cli_stops_and_exits_1(capsys, fake_pulumi, monkeypatch):
    monkeypatch.setenv("FAKE_PULUMI_EXIT", "3")
    code, _, err = run(capsys, "rotate", "--stack", "dev", "--instance", INSTANCE)
    assert code == 1
    assert len(fake_pulumi.read_text().splitlines()) == 1  # `pulumi up` never ran
    assert "pulumi config set failed" in err


def test_without_the_cli_only_the_dry_run_works(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, err = run(capsys, "rotate", "--stack", "dev", "--instance", INSTANCE)
    assert code == 2 and "the Pulumi CLI is needed" in err


@pytest.mark.parametrize(
    ("stack", "instance", "words"),
    [
        ("dev", "acs-nowhere", "stack 'dev' has no instance 'acs-nowhere'; instances: acs-contoso-dev-eu"),
        ("prod", "acs-contoso-prod-eu", "acs-contoso-prod-eu has local auth disabled"),
        ("staging", INSTANCE, "unknown stack 'staging'"),
    ],
)
def test_a_rotation_that_cannot_be_done_is_refused_clearly(capsys, stack, instance, words):
    code, out, err = run(capsys, "rotate", "--stack", stack, "--instance", instance, "--dry-run")
    assert (code, out) == (2, "")
    assert err.startswith("error: ") and words in err


# `due`: what the scheduled rotation (.github/workflows/rotate-keys.yml) runs, computed offline.

ROTATION_URN = (
    "urn:pulumi:dev::acs-platform::acs-platform:index:AcsInstance"
    f"$pulumi-python:dynamic/keyrotation:AcsKeyRotation::{INSTANCE}-keys"
)
SECRET_URN = (
    "urn:pulumi:dev::acs-platform::acs-platform:index:AcsInstance"
    f"$azure-native:keyvault:Secret::{INSTANCE}-connection-string"
)


def github_outputs(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT as GitHub reads it: `key=value`, or `key<<DELIMITER` up to the DELIMITER line."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<", 1)[0]:
            key, delimiter = line.split("<<", 1)
            value = []
            for item in lines:
                if item == delimiter:
                    break
                value.append(item)
            else:
                raise AssertionError(f"{key}: no closing {delimiter}")
            outputs[key] = "\n".join(value)
        else:
            key, value = line.split("=", 1)
            outputs[key] = value
    return outputs


@pytest.fixture
def on(monkeypatch):
    """Runs `due` as if today were the given day (UTC)."""
    import preflight.keys as cli

    def set_today(day: date) -> None:
        monkeypatch.setattr(cli, "_today", lambda: day)

    return set_today


def test_due_names_what_to_target_and_changes_nothing(capsys, fake_pulumi, on):
    on(date(2026, 6, 15))
    before = DEV_STACK.read_text()
    code, out, err = run(capsys, "due", "--stack", "dev")
    assert (code, err) == (0, "")
    assert out.startswith("Key rotation of stack 'dev' on 2026-06-15: every 90 days from 2026-01-01;")
    assert "the next generation starts on 2026-06-30." in out
    assert f"  {INSTANCE}: generation 1 today" in out
    assert f"--target '{ROTATION_URN}' --target '{SECRET_URN}'" in out
    assert "pulumi up --stack dev --yes --policy-pack policies --policy-pack-config policies/config/dev.json" in out
    assert DEV_STACK.read_text() == before
    assert not fake_pulumi.exists()  # computed offline: no CLI, no state


def test_due_for_github_gives_outputs_with_one_target_a_line(capsys, on):
    on(date(2026, 6, 15))
    code, out, _ = run(capsys, "due", "--stack", "dev", "--format", "github")
    assert code == 0
    outputs = github_outputs(out)
    assert outputs == {
        "stack": "dev",
        "rotate": "true",
        "starts-today": "false",
        "instances": INSTANCE,
        "targets": f"{ROTATION_URN}\n{SECRET_URN}",
    }


@pytest.mark.parametrize(
    ("day", "starts_today", "generation"),
    [
        (date(2026, 3, 31), "false", 0),  # the day before the first due date
        (date(2026, 4, 1), "true", 1),  # 2026-01-01 + 90 days: a new generation, a new key
        (date(2026, 4, 2), "false", 1),  # the day after: still due if yesterday's run failed
        (date(2026, 1, 1), "false", 0),  # the start date: generation 0, the first key, no rotation
    ],
)
def test_due_says_whether_a_new_generation_starts_today(capsys, on, day, starts_today, generation):
    on(day)
    _, out, _ = run(capsys, "due", "--stack", "dev", "--format", "github")
    assert github_outputs(out)["starts-today"] == starts_today
    _, text, _ = run(capsys, "due", "--stack", "dev")
    assert f"{INSTANCE}: generation {generation} today" in text
    # Targets do not depend on the day: the workflow always runs the targeted up, a no-op when the
    # deployed generation is today's.
    assert github_outputs(out)["targets"] == f"{ROTATION_URN}\n{SECRET_URN}"


def test_due_of_a_stack_without_keys_has_nothing_to_rotate(capsys, on):
    on(date(2026, 4, 1))
    code, out, _ = run(capsys, "due", "--stack", "prod", "--format", "github")
    assert code == 0
    assert github_outputs(out) == {
        "stack": "prod",
        "rotate": "false",
        "starts-today": "true",
        "instances": "",
        "targets": "",
    }
    _, text, _ = run(capsys, "due", "--stack", "prod")
    assert "no instance allows local auth: there are no keys to rotate, nothing to run" in text
    assert "--target" not in text


def test_due_targets_each_instance_its_own_rotation_even_when_names_overlap(tmp_path):
    # "acs-contoso-eu" ends the name of "x-acs-contoso-eu"'s key rotation too: the rotation is the
    # one the instance's secret depends on, never another instance's.
    from preflight.keys import due
    from preflight.stacks import load_project
    from tests.stacks import minimal_config, write_stack

    config = minimal_config(disableLocalAuth=False)
    config["acs-platform:instances"] = [
        {"name": "x-acs-contoso-eu", "dataLocation": "Europe", "disableLocalAuth": False},
        {"name": "acs-contoso-eu", "dataLocation": "Europe", "disableLocalAuth": False},
    ]
    write_stack(tmp_path, "test", config)
    report = due(load_project(REPO, tmp_path), "test", date(2026, 6, 15))
    assert report.rotate and list(report.generations) == ["x-acs-contoso-eu", "acs-contoso-eu"]
    names = [urn.rsplit("::", 1)[1] for urn in report.urns]
    assert names == [
        "x-acs-contoso-eu-keys",
        "x-acs-contoso-eu-connection-string",
        "acs-contoso-eu-keys",
        "acs-contoso-eu-connection-string",
    ]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["due", "--stack", "staging"], "unknown stack 'staging'"),
        (["due", "--stack", "dev", "--format", "yaml"], "invalid choice: 'yaml'"),
    ],
)
def test_due_refuses_what_it_cannot_do(capsys, argv, words):
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse refuses a bad option itself, with exit code 2
        code = exit_.code
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert words in err


def test_a_rotation_plans_the_stack_file_as_edited_keeping_an_unnamespaced_key(tmp_path):
    # `keyRotation:` without its namespace is the project's: the rotation is recorded under it, not
    # beside it (two keys for one setting would be refused as given twice).
    from preflight.keys import plan_rotation
    from preflight.stacks import load_project
    from tests.stacks import minimal_config, write_stack

    path = write_stack(tmp_path, "test", minimal_config(disableLocalAuth=False))
    path.write_text(path.read_text() + "  # rotation settings\n  keyRotation:\n    extraRotations: {acs-test-eu: 2}\n")
    rotation = plan_rotation(load_project(REPO, tmp_path), "test", "acs-test-eu")
    assert rotation.extra_rotations == 3
    assert rotation.generation[1] == rotation.generation[0] + 1
