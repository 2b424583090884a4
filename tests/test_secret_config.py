"""Secure config values: only webhook URLs may be secure, and they stay Pulumi secrets to the
resource; a credential in a webhook URL must be secure; no plan, report or error shows a secret."""

import copy
import json
import runpy
from pathlib import Path

import pytest
from google.protobuf import json_format

from preflight.__main__ import main
from preflight.plan import plain_text_placeholders
from preflight.runner import PlainSecretError, plan_stack, record_preview
from preflight.stacks import SECRET_PLACEHOLDER, as_cli_value, load_project
from stackconfig import ConfigError
from stackconfig.loader import validate_stack_config
from stackconfig.secure import SECRET_PLACEHOLDER as MODEL_PLACEHOLDER
from stackconfig.secure import credential_parameters
from tests.stacks import EVENT_SUBSCRIPTION, REPO, minimal_config, one, plan_config, write_stack

INSTANCES = "acs-platform:instances"
SECRET_TEXT = "SUPERSECRET123"
FUNCTION_URL = f"https://func-apps.azurewebsites.net/api/sms?code={SECRET_TEXT}"
PLAIN_URL = "https://hooks.contoso.example/sms"
URL_KEY = "acs-platform:instances[0].events.subscriptions[0].destination.webhook.url"


def webhook_config(url, **changes):
    subscription = {
        "name": "to-hook",
        "eventTypes": ["Microsoft.Communication.SMSReceived"],
        "destination": {"webhook": {"url": url}},
    }
    config = minimal_config(events={"subscriptions": [subscription]})
    config.update(changes)
    return config


def problems(config, secret_keys=()):
    with pytest.raises(ConfigError) as caught:
        validate_stack_config("test", {k: as_cli_value(v) for k, v in config.items()}, frozenset(secret_keys))
    return caught.value.problems


def valid(config, secret_keys=()):
    return validate_stack_config("test", {k: as_cli_value(v) for k, v in config.items()}, frozenset(secret_keys))


def secure(value="v1:AAAABBBBCCCC:" + SECRET_TEXT):
    """A `secure:` value as `pulumi config set --secret` writes it; the ciphertext must not leak either."""
    return {"secure": value}


def test_the_model_and_preflight_agree_on_the_placeholder():
    assert MODEL_PLACEHOLDER == SECRET_PLACEHOLDER == "[secret]"


class TestCredentialsInWebhookUrls:
    @pytest.mark.parametrize(
        "query",
        [
            "code=abc",
            "sig=abc&sv=2022",
            "Key=abc",
            "token=abc",
            "password=abc",
            "secret=abc",
            "apikey=abc",
            "api-key=abc",
            "x-functions-key=abc",
            "client_secret=abc",
            "CODE=abc",
        ],
    )
    def test_a_credential_in_plain_text_is_refused_without_showing_it(self, query):
        secret_value = f"{query}-{SECRET_TEXT}"
        [problem] = problems(webhook_config(f"https://hooks.contoso.example/sms?{secret_value}"))
        assert problem.startswith(f"{URL_KEY}: carries a credential")
        assert "pulumi config set --secret --path" in problem
        assert SECRET_TEXT not in problem and "abc" not in problem

    def test_the_same_url_is_accepted_as_a_secure_value(self):
        assert valid(webhook_config(FUNCTION_URL), {INSTANCES})  # decrypted, as under `pulumi up`
        assert valid(webhook_config(SECRET_PLACEHOLDER), {INSTANCES})  # offline, as preflight has it

    def test_a_url_without_credential_is_accepted_in_plain_text(self):
        config = valid(webhook_config(PLAIN_URL + "?tenant=contoso&region=eu"))
        assert config.instances[0].events.subscriptions[0].destination.webhook.url.startswith(PLAIN_URL)
        assert credential_parameters("https://x.example/a?zipcode=1&keyboard=2") == []

    def test_a_password_in_the_user_info_is_a_credential(self):
        [problem] = problems(webhook_config(f"https://user:{SECRET_TEXT}@hooks.contoso.example/sms"))
        assert "user info password" in problem and SECRET_TEXT not in problem

    def test_other_errors_of_a_url_with_a_credential_do_not_show_it(self):
        found = problems(webhook_config(f"http://hooks.contoso.example/sms?code={SECRET_TEXT}"))
        assert len(found) == 2 and SECRET_TEXT not in "\n".join(found)

    def test_offline_a_plain_credential_beside_a_secure_url_is_still_refused(self):
        config = webhook_config(SECRET_PLACEHOLDER)
        second = copy.deepcopy(config[INSTANCES][0]["events"]["subscriptions"][0])
        second.update(name="second", destination={"webhook": {"url": FUNCTION_URL}})
        config[INSTANCES][0]["events"]["subscriptions"].append(second)
        [problem] = problems(config, {INSTANCES})
        assert problem.startswith("acs-platform:instances[0].events.subscriptions[1].destination.webhook.url:")

    def test_the_placeholder_in_plain_text_is_not_a_url(self):
        [problem] = problems(webhook_config(SECRET_PLACEHOLDER))
        assert problem == f"{URL_KEY}: '[secret]' is what a plan shows for a secure value, not a URL"


class TestWhereSecureValuesMayNotBe:
    @pytest.mark.parametrize("key", ["owner", "costCenter", "environment", "tags"])
    def test_a_secure_tag_is_refused(self, key):
        config = webhook_config(PLAIN_URL, **{f"acs-platform:{key}": SECRET_PLACEHOLDER})
        found = problems(config, {f"acs-platform:{key}"})
        assert any(
            p.startswith(f"acs-platform:{key}: is a secure value, but it becomes an Azure tag")
            and "visible to anyone who can read the resource" in p
            for p in found
        )

    def test_a_plain_owner_is_accepted(self):
        assert valid(webhook_config(PLAIN_URL)).owner == "platform-team@contoso.com"

    def test_a_nested_secure_tag_is_refused(self):
        config = minimal_config(tags={"team": SECRET_PLACEHOLDER})
        [problem] = problems(config, {INSTANCES})
        assert problem.startswith("acs-platform:instances[0].tags.team: is a secure value, but it becomes an Azure tag")

    def test_any_other_nested_secure_value_is_refused_without_a_type_error(self):
        config = minimal_config(publicNetworkAccess=SECRET_PLACEHOLDER)
        found = problems(config, {INSTANCES})
        assert any(p.startswith("acs-platform:instances[0].publicNetworkAccess: is a secure value") for p in found)
        assert not any("should be a valid string" in p for p in found)

    def test_a_secure_top_level_key_other_than_instances_is_refused(self):
        config = webhook_config(PLAIN_URL, **{"azure-native:location": SECRET_PLACEHOLDER})
        found = problems(config, {"azure-native:location"})
        assert any(p.startswith("azure-native:location: is a secure value, but the program writes it") for p in found)

    def test_decrypted_instances_without_any_webhook_url_are_refused(self):
        [problem] = problems(minimal_config(), {INSTANCES})
        assert problem.startswith("acs-platform:instances: holds a secure value, and has no webhook URL")


def run_program(config, secret_keys):
    """The real program under preview, config marked secret as the CLI passes it."""
    values = {k: as_cli_value(v) for k, v in config.items()}
    program = str(REPO / "__main__.py")
    return record_preview(
        lambda: runpy.run_path(program, run_name="__main__"), "acs-platform", "test", values, secret_keys
    )


def endpoint_url_on_the_wire(monitor):
    [request] = [r for _, r in monitor.registrations if r.type == EVENT_SUBSCRIPTION]
    return json_format.MessageToDict(request.object)["destination"]["endpointUrl"]


def is_wire_secret(value):
    return (
        isinstance(value, dict) and value.get("4dabf18193072939515e22adb298388d") == "1b47061264138c4ac30d75fd1eb44270"
    )


class TestTheProgramKeepsSecretsSecret:
    def test_a_decrypted_secure_url_is_a_secret_on_the_wire_and_nowhere_in_clear(self):
        monitor = run_program(webhook_config(FUNCTION_URL), [INSTANCES])
        url = endpoint_url_on_the_wire(monitor)
        assert is_wire_secret(url) and url["value"] == FUNCTION_URL  # the SDK sends it marked, the engine encrypts
        # Nowhere else, and nowhere in the outputs, is the secret in plain text.
        everything = [json_format.MessageToDict(r.object) for _, r in monitor.registrations]
        everything += [json_format.MessageToDict(o) for o in monitor.outputs.values()]
        assert all(SECRET_TEXT not in json.dumps(plain_only(item)) for item in everything)

    def test_offline_the_placeholder_is_an_unknown_secret(self):
        url = endpoint_url_on_the_wire(run_program(webhook_config(SECRET_PLACEHOLDER), [INSTANCES]))
        assert is_wire_secret(url) and url["value"] != SECRET_PLACEHOLDER

    def test_a_plain_url_stays_plain(self):
        assert endpoint_url_on_the_wire(run_program(webhook_config(PLAIN_URL), [])) == PLAIN_URL

    def test_a_secure_owner_stops_the_program(self):
        with pytest.raises(ConfigError, match="acs-platform:owner: is a secure value"):
            run_program(webhook_config(PLAIN_URL, **{"acs-platform:owner": "team"}), ["acs-platform:owner"])


def plain_only(value):
    """The value with every secret left out: what is in the clear."""
    if is_wire_secret(value):
        return None
    if isinstance(value, dict):
        return {k: plain_only(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_only(v) for v in value]
    return value


class TestPlans:
    def test_a_secure_webhook_url_plans_as_secret_exactly_there(self, tmp_path):
        config = webhook_config(secure())
        plan = plan_config(tmp_path, config)
        destination = one(plan, EVENT_SUBSCRIPTION).inputs["destination"]
        assert destination["endpointUrl"] == "[secret]"
        assert destination["endpointType"] == "WebHook"  # only the URL is hidden
        text = json.dumps(plan.to_json())
        assert text.count("[secret]") == 1 and SECRET_TEXT not in text

    def test_a_plain_webhook_url_plans_in_clear(self, tmp_path):
        plan = plan_config(tmp_path, webhook_config(PLAIN_URL))
        assert one(plan, EVENT_SUBSCRIPTION).inputs["destination"]["endpointUrl"] == PLAIN_URL
        assert "[secret]" not in json.dumps(plan.to_json())

    def test_a_secure_owner_is_a_config_error(self, tmp_path, capsys):
        write_stack(tmp_path, "test", webhook_config(PLAIN_URL, **{"acs-platform:owner": secure()}))
        assert main(["plan", "--stack", "test", "--stacks-dir", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert "acs-platform:owner: is a secure value, but it becomes an Azure tag" in err
        assert SECRET_TEXT not in err and "Traceback" not in err

    def test_a_plain_text_placeholder_on_the_wire_is_caught(self):
        wire = {
            "tags": {"owner": "[secret]"},
            "ok": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "[secret]"},
        }
        assert plain_text_placeholders(wire, SECRET_PLACEHOLDER) == ["tags.owner"]
        assert issubclass(PlainSecretError, Exception)


def test_no_secret_in_any_plan_or_report(tmp_path: Path, capsys):
    write_stack(tmp_path, "test", webhook_config(secure()))
    outputs = []
    assert main(["plan", "--stack", "test", "--stacks-dir", str(tmp_path), "--format", "json"]) == 0
    outputs.append(capsys.readouterr().out)
    assert main(["plan", "--stack", "test", "--stacks-dir", str(tmp_path)]) == 0
    outputs.append(capsys.readouterr().out)
    for check_format in ("text", "json", "sarif", "markdown"):
        code = main(
            [
                "check",
                "--stack",
                "test",
                "--stacks-dir",
                str(tmp_path),
                "--format",
                check_format,
                "--policy-config",
                str(REPO / "policies" / "config" / "dev.json"),
                "--repo-root",
                str(tmp_path),
            ]
        )
        captured = capsys.readouterr()
        assert code in (0, 1), captured.err
        outputs.append(captured.out + captured.err)
    assert '"endpointUrl": "[secret]"' in outputs[0]
    for text in outputs:
        assert text and SECRET_TEXT not in text and "v1:AAAABBBBCCCC" not in text
    # The policy pack sees an unknown secret offline: no https verdict on a value it cannot know.
    assert "eventgrid-webhook-https" not in outputs[2]


def test_a_program_that_writes_a_secure_value_in_plain_text_is_not_planned_as_secret(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: leaky\nruntime: python\n", encoding="utf-8")
    (tmp_path / "__main__.py").write_text(
        "import pulumi\npulumi.export('apiKey', pulumi.Config().require('apiKey'))\n", encoding="utf-8"
    )
    write_stack(tmp_path, "demo", {"leaky:apiKey": secure()})
    with pytest.raises(PlainSecretError, match="stack output apiKey"):
        plan_stack(load_project(tmp_path), "demo")
