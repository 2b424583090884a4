"""Policy config files resolve as the Pulumi CLI resolves them, and bad ones are refused clearly."""

import json
from pathlib import Path

import pytest
from google.protobuf import empty_pb2

from preflight.analyzer import PACK_DIR, running_pack
from preflight.plan import Plan
from preflight.policy_config import PolicyConfigError, load_policy_config, reconcile
from stackconfig.azure_rules import DATA_LOCATIONS


@pytest.fixture(scope="module")
def info():
    with running_pack(PACK_DIR, Plan("fixture", "test", [], {})) as pack:
        return pack.GetAnalyzerInfo(empty_pb2.Empty())


def resolved(info, tmp_path: Path, document) -> dict:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document))
    return reconcile(info, load_policy_config(path), path)


def test_policies_start_mandatory_with_their_schema_defaults(info, tmp_path):
    settings = resolved(info, tmp_path, {})
    assert {s.enforcement_level for s in settings.values()} == {"mandatory"}
    assert settings["acs-data-location-allowed"].properties == {"allowedDataLocations": list(DATA_LOCATIONS)}


def test_all_sets_every_level_and_a_policy_entry_wins(info, tmp_path):
    settings = resolved(
        info,
        tmp_path,
        {
            "all": "advisory",
            "acs-local-auth-disabled": {"enforcementLevel": "disabled"},
            "acs-delete-lock": "mandatory",
        },
    )
    assert settings["acs-local-auth-disabled"].enforcement_level == "disabled"
    assert settings["acs-delete-lock"].enforcement_level == "mandatory"
    assert settings["required-tags"].enforcement_level == "advisory"


def test_properties_override_defaults_and_keep_the_level(info, tmp_path):
    settings = resolved(
        info, tmp_path, {"all": "advisory", "acs-data-location-allowed": {"allowedDataLocations": ["UK"]}}
    )
    assert settings["acs-data-location-allowed"].properties == {"allowedDataLocations": ["UK"]}
    assert settings["acs-data-location-allowed"].enforcement_level == "advisory"


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ({"all": "strict"}, "'all': 'strict' is not an enforcement level; allowed: advisory, mandatory"),
        ({"acs-delete-lock": 3}, "'acs-delete-lock': 3 is not valid; it must be a string or an object"),
        ({"acs-delet-lock": "advisory"}, "unknown policies acs-delet-lock; policies in the pack: acs-data-location"),
        (
            {"acs-data-location-allowed": {"allowedDataLocations": ["Atlantis"]}},
            "acs-data-location-allowed: 'Atlantis' is not one of",
        ),
        ({"resource-location-allowed": {"allowedRegions": "westeurope"}}, "'westeurope' is not of type 'array'"),
    ],
)
def test_a_bad_config_names_the_file_the_key_and_the_problem(info, tmp_path, document, words):
    with pytest.raises(PolicyConfigError) as caught:
        resolved(info, tmp_path, document)
    assert str(caught.value).startswith(str(tmp_path / "policy.json"))
    assert words in str(caught.value)


def test_a_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text("{all: mandatory}")
    with pytest.raises(PolicyConfigError, match="not valid JSON"):
        load_policy_config(path)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_committed_policy_configs_resolve(info, stack):
    path = PACK_DIR / "config" / f"{stack}.json"
    settings = reconcile(info, load_policy_config(path), path)
    assert settings["acs-data-location-allowed"].enforcement_level == "mandatory"
    assert settings["acs-local-auth-disabled"].enforcement_level == ("advisory" if stack == "dev" else "mandatory")
