import pytest

from tests.stacks import plan_committed


@pytest.fixture(scope="session")
def dev_plan():
    return plan_committed("dev")


@pytest.fixture(scope="session")
def prod_plan():
    return plan_committed("prod")
