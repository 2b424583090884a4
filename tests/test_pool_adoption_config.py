"""A pool's `adoptNumbers` (issue 16): numbers the ACS resource already holds, taken into the pool
instead of bought. Each rule with a stack that passes it and one that does not."""

import pytest

from tests.stacks import minimal_config
from tests.test_config import only_problem, validate

POOL = {"name": "sms", "countryCode": "US", "numberType": "tollFree", "sms": "inbound", "quantity": 2}
PATH = "acs-platform:instances[0].phoneNumbers.pools[0]"


def stack(**pool):
    return minimal_config(phoneNumbers={"pools": [{**POOL, **pool}]})


def adopted(config) -> list[str]:
    return validate(config).instances[0].phone_numbers.pools[0].adopt_numbers


def test_a_pool_adopts_nothing_unless_it_says_so():
    assert adopted(stack()) == []
    assert adopted(stack(adoptNumbers=None)) == []  # `adoptNumbers:` with nothing is the key left out


@pytest.mark.parametrize("number", ["+18005550100", "+442071838750", "+12", "+123456789012345"])
def test_an_e164_number_is_accepted(number):
    assert adopted(stack(adoptNumbers=[number])) == [number]


@pytest.mark.parametrize(
    "number",
    [
        "18005550100",  # no '+'
        "+08005550100",  # first digit 0
        "+1",  # one digit
        "+1234567890123456",  # 16 digits
        "+1 800 555 0100",  # separators
        "+1-800-555-0100",
    ],
)
def test_a_number_that_is_not_e164_is_named_with_what_is_allowed(number):
    message = only_problem(stack(adoptNumbers=[number]))
    assert message == (
        f"{PATH}.adoptNumbers[0]: {number!r} is not an E.164 number: '+' then 2 to 15 digits, the first not 0, "
        "such as +18005550123"
    )


def test_an_unquoted_number_read_as_an_integer_is_told_to_be_quoted():
    message = only_problem(stack(adoptNumbers=[18005550100]))
    assert message.startswith(f"{PATH}.adoptNumbers[0]: 18005550100 is a number, not text")
    assert message.endswith("in quotes: '+18005550100'")


def test_distinct_numbers_are_accepted_and_a_number_listed_twice_is_named():
    assert adopted(stack(adoptNumbers=["+18005550100", "+18005550101"])) == ["+18005550100", "+18005550101"]
    message = only_problem(stack(adoptNumbers=["+18005550100", "+18005550100"]))
    assert message == f"{PATH}.adoptNumbers: has the number '+18005550100' more than once"


def test_as_many_numbers_as_the_quantity_are_accepted_and_more_are_refused():
    assert len(adopted(stack(quantity=2, adoptNumbers=["+18005550100", "+18005550101"]))) == 2
    message = only_problem(stack(quantity=1, adoptNumbers=["+18005550100", "+18005550101"]))
    assert message == (
        f"{PATH}: adoptNumbers lists 2 numbers (+18005550100, +18005550101), more than the pool's quantity 1; "
        "allowed: at most quantity, which counts the adopted numbers: raise quantity to 2 or list fewer"
    )


def test_adopt_numbers_is_a_list():
    assert only_problem(stack(adoptNumbers="+18005550100")).startswith(f"{PATH}.adoptNumbers: ")


def test_a_number_is_adopted_by_one_pool_only():
    first = {"name": "a", "countryCode": "US", "numberType": "tollFree", "sms": "inbound", "quantity": 1}
    second = {**first, "name": "b"}
    one = minimal_config(phoneNumbers={"pools": [{**first, "adoptNumbers": ["+18005550100"]}, second]})
    validate(one)
    both = minimal_config(
        phoneNumbers={
            "pools": [{**first, "adoptNumbers": ["+18005550100"]}, {**second, "adoptNumbers": ["+18005550100"]}]
        }
    )
    assert "pools a and b both adopt +18005550100; a number is one pool's" in only_problem(both)
