"""Every Azure client of the project retries the same bounded way."""

from types import SimpleNamespace

from providers.arm import RETRY_METHODS as KEY_METHODS
from providers.arm import acs_client
from providers.numberpools.client import RETRY_METHODS as NUMBER_METHODS
from providers.numberpools.client import phone_numbers_client
from providers.retry import IDEMPOTENT, RETRY_AFTER_MAX, BoundedRetryPolicy


def waits(policy: BoundedRetryPolicy, header: str):
    return policy.get_retry_after(SimpleNamespace(http_response=SimpleNamespace(headers={"Retry-After": header})))


def test_retry_after_is_honoured_up_to_a_bound():
    policy = BoundedRetryPolicy(IDEMPOTENT)
    assert waits(policy, "1") == 1
    assert waits(policy, "3600") == RETRY_AFTER_MAX


def test_the_clients_use_it_with_the_methods_safe_to_repeat_for_them(credential):
    keys = acs_client("00000000-0000-0000-0000-000000000000", credential, "https://management.azure.com")
    numbers = phone_numbers_client("https://acs.communication.azure.com", None, credential)
    assert isinstance(keys._config.retry_policy, BoundedRetryPolicy)
    assert isinstance(numbers._phone_number_client._config.retry_policy, BoundedRetryPolicy)
    assert IDEMPOTENT | {"POST"} == KEY_METHODS
    assert IDEMPOTENT | {"POST", "PATCH"} == NUMBER_METHODS
    assert keys._config.retry_policy.configure_retries({})["methods"] == KEY_METHODS
