"""python -m keyrotation: the schedule's status, and "rotate now" with a dry run."""

import os
import re
import stat

import pytest

from keyrotation.__main__ import main
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
    assert f"AcsKeyRotation::credentials-{INSTANCE}-keys" in up and f"Secret::credentials-{INSTANCE}" in up
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
