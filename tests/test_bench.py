"""The benchmark's generated stack stays a valid stack that plans and passes the prod gate."""

import sys

from preflight.analyzer import analyze
from preflight.policy_config import load_policy_config
from preflight.runner import plan_stack
from preflight.stacks import load_project
from tests.stacks import ACS, REPO

sys.path.insert(0, str(REPO / "bench"))
from check_bench import generated_stack  # noqa: E402


def test_the_generated_stack_plans_and_passes_the_prod_gate(tmp_path):
    generated_stack(tmp_path, 3, stack="bench3")
    plan = plan_stack(load_project(REPO, tmp_path), "bench3")
    assert len(plan.of_type(ACS)) == 3
    config = REPO / "policies" / "config" / "prod.json"
    assert analyze(plan, load_policy_config(config), config).mandatory == []
