import pytest

from diagnose import business_number


@pytest.mark.parametrize("number", ["220-81-62517", "1248100998", "124 81 00998"])
def test_real_numbers_pass(number):
    assert business_number.is_valid(number)


@pytest.mark.parametrize(
    "number", ["220-81-62518", "1248100990", "123456789", "12345678901", "12a4567890", ""]
)
def test_wrong_digits_and_formats_fail(number):
    assert not business_number.is_valid(number)


def test_every_ninth_digit_has_exactly_one_check_digit():
    # The fifth weight's carry (digit 9 x 5 // 10) is the rule people get wrong.
    for ninth in range(10):
        first = f"12345678{ninth}"
        valid = [d for d in range(10) if business_number.is_valid(first + str(d))]
        assert valid == [business_number.check_digit(first)]


def test_format():
    assert business_number.format_number("2208162517") == "220-81-62517"
    assert business_number.format_number("abc") == "abc"
