"""gitops.digest: the one reader of `pulumi preview --json` that gitops.preview and gitops.drift share.

The fixtures are the digests in tests/fixtures/previews (see tests/test_gitops_preview.py)."""

import json
import re

import pytest

from gitops.digest import DigestError, PropertyChange, parse_preview, parse_urn, read_preview
from tests.stacks import REPO

FIXTURES = REPO / "tests" / "fixtures" / "previews"


def test_a_valid_digest_is_read_into_steps_diagnostics_and_counts():
    preview = read_preview(FIXTURES / "acs-data-location.json")
    stack, replace = preview.steps
    assert (stack.op, stack.type) == ("same", "pulumi:pulumi:Stack")
    assert (replace.op, replace.stack, replace.name) == ("replace", "prod", "communication-acs-contoso-prod-eu")
    assert replace.type == "azure-native:communication:CommunicationService"
    assert replace.protect is True and replace.retain_on_delete is False
    assert "dataLocation" in replace.replace_reasons
    assert PropertyChange("dataLocation", "update-replace") in replace.changes
    assert (replace.old_inputs["dataLocation"], replace.new_inputs["dataLocation"]) == ("Europe", "Switzerland")
    assert replace.old.parent == replace.new.parent and parse_urn(replace.old.parent) is not None
    assert [d.severity for d in preview.diagnostics] == ["error", "error"]
    assert preview.change_summary == preview.counts() == {"replace": 1, "same": 56}


def test_the_refreshed_state_of_a_drift_check_is_read_too():
    preview = read_preview(FIXTURES / "drift-numbers-released.json")
    [pool] = [s for s in preview.steps if s.op == "update"]
    assert pool.old_outputs["phoneNumbers"] == ["+18445550134"]
    assert pool.new.dependencies and all(parse_urn(urn) for urn in pool.new.dependencies)


def test_the_name_of_a_urn_may_hold_double_colons():
    urn = parse_urn("urn:pulumi:dev::acs-platform::acs-platform:components:X$azure-native:dns:RecordSet::a::b")
    assert (urn.stack, urn.type, urn.name) == ("dev", "azure-native:dns:RecordSet", "a::b")
    assert parse_urn("acs-contoso-prod-eu") is None


@pytest.mark.parametrize("index", [0, 1])
def test_a_step_missing_its_op_is_an_error_naming_the_step(index):
    urn = "urn:pulumi:dev::acs-platform::pulumi:pulumi:Stack::acs-platform-dev"
    steps = [{"op": "same", "urn": urn}, {"op": "same", "urn": urn}]
    del steps[index]["op"]
    with pytest.raises(DigestError, match=re.escape(f"steps[{index}]: a step needs a string `op` and `urn`")):
        parse_preview(json.dumps({"steps": steps}))


def test_a_file_that_is_not_json_is_an_error_that_says_so(tmp_path):
    path = tmp_path / "preview.json"
    path.write_text("error: getting stack: unauthorized\n", encoding="utf-8")
    with pytest.raises(DigestError, match="no JSON object found"):
        read_preview(path)


def test_a_missing_file_is_an_error_that_says_so(tmp_path):
    with pytest.raises(DigestError, match=re.escape("cannot read it: no such file")):
        read_preview(tmp_path / "absent.json")
