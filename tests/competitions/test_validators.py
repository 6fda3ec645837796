import pytest
from django.core.exceptions import ValidationError

from competitions.demo import demo_credit_code
from competitions.validators import validate_credit_code


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91440300708461136T"])
def test_credit_code_published_examples_are_valid(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y4", "18位"),
        ("91350100M000100Y44", "校验位"),
        ("91350100M000100YI3", "不能包含I"),
        ("91350100m000100y43", "不能包含m、y"),
    ],
)
def test_credit_code_invalid_is_refused_with_reason(code, message):
    with pytest.raises(ValidationError) as error:
        validate_credit_code(code)
    assert message in str(error.value)


def test_credit_code_every_single_character_change_is_caught():
    code = "91440300708461136T"
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for position in range(18):
        for char in charset:
            if char == code[position]:
                continue
            changed = code[:position] + char + code[position + 1 :]
            with pytest.raises(ValidationError):
                validate_credit_code(changed)


def test_credit_code_demo_codes_are_valid():
    for index in range(1, 40):
        for ownership in ("state", "institution", "government"):
            validate_credit_code(demo_credit_code(index, "330106", ownership))
