"""no-plain-secret-inputs: plain credentials are remediated into Pulumi secrets by the real pack."""

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi_policy import ResourceValidationArgs
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties, serialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from policies.credentials import NAME, protect_credentials
from policies.resource_types import ACS, KEY_VAULT_SECRET
from tests.policy_harness import UNKNOWN, fixture, judge, secret, urn, violations_of

CONNECTION = "endpoint=https://acs-test.communication.azure.com/;accesskey=c2VjcmV0LWtleQ=="
APP_SETTINGS = "azure-native:web:WebAppApplicationSettings"
EXPIRES = 1798761600


def vault_secret(name: str, value, **properties) -> object:
    inputs = {"secretName": name, "vaultName": "kv-test", "resourceGroupName": "rg"}
    props = {"value": value, "contentType": "text/plain", "attributes": {"expires": EXPIRES}, **properties}
    return fixture(KEY_VAULT_SECRET, name, {**inputs, "properties": props})


def app_settings(name: str, properties: dict) -> object:
    return fixture(APP_SETTINGS, name, {"name": "app-test", "resourceGroupName": "rg", "properties": properties})


@pytest.fixture(scope="module")
def result():
    return judge(
        [
            vault_secret("plain-value", "hunter2"),
            vault_secret("secret-value", secret("hunter2")),
            vault_secret("unknown-value", UNKNOWN),
            vault_secret("plain-untyped", "hunter2", contentType=None),
            app_settings("plain-connection", {"ACS_CONNECTION": CONNECTION.upper(), "REGION": "westeurope"}),
            app_settings("secret-connection", {"ACS_CONNECTION": secret(CONNECTION)}),
            app_settings("plain-key", {"senders": [{"name": "noreply", "acsPrimaryKey": "c2VjcmV0"}]}),
            app_settings("secret-key", {"senders": [{"name": "noreply", "acsPrimaryKey": secret("c2VjcmV0")}]}),
            app_settings("no-credential", {"ACS_ENDPOINT": "endpoint=https://acs-test.communication.azure.com/"}),
            fixture(ACS, "acs", {"communicationServiceName": "acs-test", "dataLocation": "Europe"}),
        ],
        {"all": "mandatory", NAME: "remediate"},
    )


def remediated(result) -> set[str]:
    return {r.resource_name for r in result.remediations if r.policy == NAME}


@pytest.mark.parametrize("name", ["plain-value", "plain-untyped", "plain-connection", "plain-key"])
def test_a_plain_credential_is_remediated(result, name):
    assert name in remediated(result)
    assert [r.urn for r in result.remediations if r.resource_name == name] != []


@pytest.mark.parametrize(
    "name", ["secret-value", "unknown-value", "secret-connection", "secret-key", "no-credential", "acs"]
)
def test_a_secret_an_unknown_or_no_credential_is_left_alone(result, name):
    assert name not in remediated(result)


def test_the_policy_only_remediates_and_reports_no_violation(result):
    assert violations_of(result, NAME) == []
    assert not [v for v in result.violations if "can't run" in v.message]
    (meta,) = [p for p in result.policies if p.name == NAME]
    assert meta.enforcement_level == "remediate"
    assert meta.url.startswith("https://learn.microsoft.com/") and meta.remediation


def test_other_policies_judge_the_remediated_inputs(result):
    assert violations_of(result, "keyvault-secret-content-type", "plain-value") == []
    (violation,) = violations_of(result, "keyvault-secret-content-type", "plain-untyped")
    assert violation.message.startswith("plain-untyped: has no content type")


def _remediate(type_token: str, inputs: dict):
    """protect_credentials on `inputs` as pulumi_policy's Remediate hands them over."""
    wire = json_format.MessageToDict(json_format.ParseDict(inputs, struct_pb2.Struct()))
    props = unknown_checking_proxy(deserialize_properties(wire, True))
    args = ResourceValidationArgs(type_token, props, urn(type_token, "x"), "x", None, None, {}, {})
    changed = protect_credentials(args)
    return None if changed is None else serialize_properties(changed)


def _is_secret(value) -> bool:
    return isinstance(value, dict) and value.get(SPECIAL_SIG_KEY) == SPECIAL_SECRET_SIG


def test_exactly_the_credentials_are_wrapped_and_secrets_stay_secret():
    out = _remediate(
        APP_SETTINGS,
        {
            "properties": {
                "ACS": f"Server=x;{CONNECTION}",
                "OTHER": "plain",
                "list": [{"secondaryConnectionString": "s", "name": "n"}, "text"],
                "done": secret("already"),
            }
        },
    )
    props = out["properties"]
    assert _is_secret(props["ACS"]) and props["ACS"]["value"] == f"Server=x;{CONNECTION}"
    assert props["OTHER"] == "plain"
    assert _is_secret(props["list"][0]["secondaryConnectionString"])
    assert props["list"][0]["name"] == "n" and props["list"][1] == "text"
    assert props["done"] == secret("already")


def test_a_key_vault_secret_value_is_wrapped_whatever_it_holds():
    out = _remediate(KEY_VAULT_SECRET, {"secretName": "s", "properties": {"value": "plain", "contentType": "t"}})
    assert _is_secret(out["properties"]["value"])
    assert out["properties"]["contentType"] == "t" and out["secretName"] == "s"
    assert _remediate(KEY_VAULT_SECRET, {"properties": {"value": secret("plain")}}) is None
    assert _remediate(KEY_VAULT_SECRET, {"properties": {"value": UNKNOWN}}) is None
