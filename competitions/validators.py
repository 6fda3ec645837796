"""Validators for Chinese identifiers."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: the 31 characters allowed in a unified social credit code, in value order
# (I, O, S, V and Z are excluded to avoid confusion with digits).
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code, from its first 17."""
    total = sum(
        CREDIT_CODE_CHARSET.index(char) * weight
        for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Validate a unified social credit code (统一社会信用代码): form and check character."""
    if len(value) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(count)d."),
            code="credit_code_length",
            params={"count": len(value)},
        )
    bad = sorted({char for char in value if char not in CREDIT_CODE_CHARSET})
    if bad:
        raise ValidationError(
            _("A unified social credit code cannot contain %(chars)s."),
            code="credit_code_chars",
            params={"chars": "、".join(bad)},
        )
    if credit_code_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _(
                "The check character of this unified social credit code is wrong; "
                "please check the code."
            ),
            code="credit_code_check",
        )
