"""Stack files read as the Pulumi CLI reads them (yaml.v3, YAML 1.2) and the command line's checks."""

import subprocess
import sys
import textwrap

import pytest

from preflight.stack_yaml import SECRET_PLACEHOLDER, StackFileError, edit_stack_file
from preflight.stacks import check_stack_name, load_project, load_stack_settings
from tests.stacks import REPO, minimal_config, write_stack


def settings(tmp_path, text: str | bytes, stack: str = "test"):
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_bytes(text if isinstance(text, bytes) else textwrap.dedent(text).encode("utf-8"))
    return load_stack_settings(load_project(REPO, tmp_path), stack)


def values(tmp_path, body: str) -> dict[str, str]:
    return settings(tmp_path, "config:\n" + textwrap.indent(textwrap.dedent(body), "  ")).values


def refused(tmp_path, text: str | bytes, stack: str = "test") -> str:
    with pytest.raises(StackFileError) as caught:
        settings(tmp_path, text, stack)
    return str(caught.value)


class TestYaml12Scalars:
    @pytest.mark.parametrize("word", ["no", "yes", "on", "off", "No", "OFF", "y", "n"])
    def test_yaml_1_1_booleans_stay_strings(self, tmp_path, word):
        assert values(tmp_path, f"acs-platform:flag: {word}") == {"acs-platform:flag": word}

    @pytest.mark.parametrize(("text", "passed"), [("true", "true"), ("False", "false"), ("TRUE", "true")])
    def test_only_true_and_false_are_booleans_passed_as_json(self, tmp_path, text, passed):
        assert values(tmp_path, f"acs-platform:flag: {text}") == {"acs-platform:flag": passed}

    def test_booleans_inside_objects_are_json_and_words_stay_strings(self, tmp_path):
        got = values(tmp_path, "acs-platform:o: {a: true, b: no, c: 017, d: 1.0, e: ~}")
        # Go's json.Marshal: keys sorted, compact; 017 is yaml.v3's octal 15; 1.0 is 1.
        assert got == {"acs-platform:o": '{"a":true,"b":"no","c":15,"d":1,"e":null}'}

    def test_a_stray_on_key_is_the_string_key_on(self, tmp_path):
        assert values(tmp_path, "on: push") == {"acs-platform:on": "push"}
        assert values(tmp_path, "acs-platform:o:\n  on: true") == {"acs-platform:o": '{"on":true}'}


class TestDates:
    def test_an_impossible_date_stays_its_text(self, tmp_path):
        got = values(tmp_path, "acs-platform:o:\n  startDate: 2026-13-01\n  other: 2026-02-30")
        assert got == {"acs-platform:o": '{"other":"2026-02-30","startDate":"2026-13-01"}'}

    def test_a_valid_unquoted_date_reaches_the_program_as_go_time_text(self, tmp_path):
        # yaml.v3 decodes it to a time.Time; Pulumi's config object keeps time.Time.String().
        got = values(tmp_path, "acs-platform:d: 2026-01-01\nacs-platform:t: 2099-12-31T23:59:59.5Z")
        assert got == {
            "acs-platform:d": "2026-01-01 00:00:00 +0000 UTC",
            "acs-platform:t": "2099-12-31 23:59:59.5 +0000 UTC",
        }

    def test_a_quoted_date_stays_its_text(self, tmp_path):
        assert values(tmp_path, "acs-platform:d: '2026-01-01'") == {"acs-platform:d": "2026-01-01"}


class TestDuplicateKeys:
    def test_a_key_given_twice_names_the_key_and_both_lines(self, tmp_path):
        message = refused(
            tmp_path, "config:\n  acs-platform:tier: dev\n  acs-platform:owner: x\n  acs-platform:tier: prod\n"
        )
        assert "Pulumi.test.yaml" in message
        assert "'acs-platform:tier' is given twice, on line 2 and on line 4" in message

    def test_a_nested_key_given_twice_is_refused_too(self, tmp_path):
        message = refused(tmp_path, "config:\n  acs-platform:o:\n    a: 1\n    b: 2\n    a: 3\n")
        assert "'a' is given twice, on line 3 and on line 5" in message

    def test_the_same_key_with_and_without_its_namespace_is_refused(self, tmp_path):
        message = refused(tmp_path, "config:\n  tier: dev\n  acs-platform:tier: prod\n")
        assert "'acs-platform:tier' is given twice" in message

    def test_distinct_keys_pass(self, tmp_path):
        assert values(tmp_path, "a: 1\nb: 1") == {"acs-platform:a": "1", "acs-platform:b": "1"}


class TestSecureValues:
    def test_a_secure_value_is_the_placeholder_and_secret(self, tmp_path):
        got = settings(tmp_path, "config:\n  acs-platform:key:\n    secure: v1:abc\n")
        assert (got.values, got.secret_keys) == ({"acs-platform:key": SECRET_PLACEHOLDER}, ["acs-platform:key"])

    def test_a_nested_secure_value_makes_the_whole_key_secret(self, tmp_path):
        text = """\
            config:
              acs-platform:instances:
                - name: acs-x
                  events:
                    subscriptions:
                      - destination:
                          webhook:
                            url:
                              secure: v1:c2VjcmV0
            """
        got = settings(tmp_path, text)
        assert got.secret_keys == ["acs-platform:instances"]
        value = got.values["acs-platform:instances"]
        assert '"url":"[secret]"' in value and "c2VjcmV0" not in value and '"name":"acs-x"' in value

    def test_an_object_without_secure_values_is_not_secret(self, tmp_path):
        got = settings(tmp_path, "config:\n  acs-platform:o:\n    secure: 5\n    other: x\n")
        assert got.secret_keys == [] and got.values == {"acs-platform:o": '{"other":"x","secure":5}'}


class TestUnusableFiles:
    def test_a_file_that_is_not_utf8_is_named(self, tmp_path):
        message = refused(tmp_path, "config:\n  acs-platform:owner: Ren\xe9\n".encode("latin-1"))
        assert "Pulumi.test.yaml: not UTF-8 text (byte 0xe9 on line 2)" in message

    def test_a_utf8_byte_order_mark_is_skipped_as_the_cli_does(self, tmp_path):
        assert settings(tmp_path, b"\xef\xbb\xbfconfig:\n  a: b\n").values == {"acs-platform:a": "b"}

    @pytest.mark.parametrize(
        ("text", "words"),
        [
            ("- config: {}\n", "a stack file must be a mapping (with a 'config' key), not a list"),
            ("just text\n", "a stack file must be a mapping (with a 'config' key), not the scalar 'just text'"),
            ("config:\n  - a: 1\n", "'config' must be a mapping of keys to values"),
            ("config: a=1\n", "'config' must be a mapping of keys to values"),
        ],
    )
    def test_a_stack_file_of_the_wrong_shape_says_what_is_wrong(self, tmp_path, text, words):
        message = refused(tmp_path, text)
        assert message.startswith(str(tmp_path / "Pulumi.test.yaml")) and words in message

    def test_an_empty_file_or_config_is_an_empty_configuration(self, tmp_path):
        assert settings(tmp_path, "# nothing yet\n").values == {}
        assert settings(tmp_path, "config:\n").values == {}


class TestStackNames:
    @pytest.mark.parametrize("name", ["dev", "prod-eu", "a_b.c", "x" * 100, "Dev2"])
    def test_names_pulumi_allows(self, name):
        check_stack_name(name)

    @pytest.mark.parametrize("name", ["", "my stack", "dev!", "café", "org/dev", "x" * 101])
    def test_names_pulumi_refuses(self, name):
        with pytest.raises(StackFileError) as caught:
            check_stack_name(name)
        assert str(caught.value) == (
            f"stack name {name!r}: Pulumi allows only letters, digits, '-', '_' and '.', 1 to 100 characters"
        )

    def test_a_bad_name_is_refused_before_the_stack_file_is_looked_for(self, tmp_path):
        (tmp_path / "Pulumi.my stack.yaml").write_text("config: {}\n")
        with pytest.raises(StackFileError, match="stack name 'my stack': Pulumi allows"):
            load_stack_settings(load_project(REPO, tmp_path), "my stack")


class TestEditing:
    def test_an_edit_keeps_comments_quoting_and_strings(self, tmp_path):
        source = tmp_path / "Pulumi.dev.yaml"
        source.write_text(
            "# the dev stack\nconfig:\n  acs-platform:tier: 'dev'  # quoted\n  acs-platform:x: no\n"
            "  acs-platform:keyRotation:\n    startDate: 2026-13-01\n"
        )
        target = tmp_path / "out" / "Pulumi.dev.yaml"
        target.parent.mkdir()
        edit_stack_file(
            source, target, lambda config: config["acs-platform:keyRotation"].update(extraRotations={"a": 1})
        )
        assert target.read_text() == (
            "# the dev stack\nconfig:\n  acs-platform:tier: 'dev'  # quoted\n  acs-platform:x: no\n"
            "  acs-platform:keyRotation:\n    startDate: 2026-13-01\n    extraRotations:\n      a: 1\n"
        )

    def test_an_edit_refuses_a_file_the_cli_refuses(self, tmp_path):
        source = tmp_path / "Pulumi.dev.yaml"
        source.write_text("config:\n  a: 1\n  a: 2\n")
        with pytest.raises(StackFileError, match="given twice"):
            edit_stack_file(source, tmp_path / "x.yaml", lambda config: None)


# --- the command line: exit 2, a message, no traceback, before any work ------------------------


def preflight(*argv: str, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "preflight", *argv], cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.fixture
def stacks(tmp_path):
    write_stack(tmp_path, "test", minimal_config())
    return tmp_path


POLICY = str(REPO / "policies" / "config" / "dev.json")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["plan", "--out", "{tmp}/missing/plan.txt"], "--out {tmp}/missing/plan.txt: no folder {tmp}/missing"),
        (["plan", "--out", "{tmp}"], "--out {tmp}: is a folder; give a file name"),
        (["check", "--out", "{tmp}"], "--out {tmp}: is a folder; give a file name"),
        (["check", "--report", "sarif={tmp}/none/x.sarif"], "--report sarif={tmp}/none/x.sarif: no folder"),
        (["check", "--report", "markdown={tmp}"], "--report markdown={tmp}: is a folder"),
        (
            ["check", "--out", "{tmp}/verdict", "--report", "sarif={tmp}/verdict"],
            "--report sarif={tmp}/verdict and --out {tmp}/verdict name the same file",
        ),
        (
            ["check", "--report", "sarif={tmp}/v", "--report", "markdown={tmp}/v"],
            "--report markdown={tmp}/v and --report sarif={tmp}/v name the same file",
        ),
        (["plan", "--project-dir", "{tmp}/nowhere"], "--project-dir {tmp}/nowhere: no such folder"),
        (["plan", "--project-dir", "{tmp}"], "--project-dir {tmp}: no Pulumi.yaml in it"),
        (["check", "--project-dir", "{tmp}/project"], "--project-dir {tmp}/project: no __main__.py in it"),
        (["plan", "--stacks-dir", "{tmp}/nowhere"], "--stacks-dir {tmp}/nowhere: no such folder"),
        (["check", "--stacks-dir", "{tmp}/Pulumi.test.yaml"], "--stacks-dir {tmp}/Pulumi.test.yaml: no such folder"),
        (["plan", "--stack", "my stack"], "stack name 'my stack': Pulumi allows only letters"),
        (["check", "--stack", "x" * 101], "Pulumi allows only letters, digits, '-', '_' and '.', 1 to 100"),
        (["check", "--repo-root", "{tmp}/nowhere"], "--repo-root {tmp}/nowhere: no such folder"),
        (["check", "--policy-config", "{tmp}"], "--policy-config {tmp}: is a folder"),
        (["plan", "--stack", "latin1"], "Pulumi.latin1.yaml: not UTF-8 text"),
        (["check", "--stack", "latin1"], "Pulumi.latin1.yaml: not UTF-8 text"),
        (["plan", "--stack", "twice"], "'acs-platform:tier' is given twice, on line 2 and on line 3"),
    ],
)
def test_command_line_mistakes_exit_2_with_a_message(stacks, argv, words):
    (stacks / "project").mkdir()
    (stacks / "project" / "Pulumi.yaml").write_text("name: acs-platform\nruntime: python\n")
    (stacks / "Pulumi.latin1.yaml").write_bytes("config:\n  acs-platform:owner: M\xfcller\n".encode("latin-1"))
    (stacks / "Pulumi.twice.yaml").write_text("config:\n  acs-platform:tier: dev\n  acs-platform:tier: prod\n")
    command, *rest = argv
    if "--stack" not in rest:
        rest = ["--stack", "test", *rest]
    if "--stacks-dir" not in rest:
        rest += ["--stacks-dir", str(stacks)]
    if command == "check" and "--policy-config" not in rest:
        rest += ["--policy-config", POLICY]
    result = preflight(command, *(arg.replace("{tmp}", str(stacks)) for arg in rest))
    assert result.returncode == 2, result.stderr
    assert words.replace("{tmp}", str(stacks)) in result.stderr
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (stacks / "verdict").exists() and not (stacks / "v").exists()


def test_a_good_command_line_still_plans(stacks):
    result = preflight("plan", "--stack", "test", "--stacks-dir", str(stacks), "--out", str(stacks / "plan.txt"))
    assert (result.returncode, result.stderr) == (0, "")
    assert (stacks / "plan.txt").read_text().startswith("Plan of stack 'test'")


def test_keyrotation_refuses_a_bad_stack_name_and_an_unreadable_stack_file(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "preflight.keys", "status", "--stack", "dev!"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "stack name 'dev!': Pulumi allows only letters" in result.stderr
