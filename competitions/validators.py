"""Validators for Chinese identifiers and uploaded files."""

from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
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


# Upload types accepted for documents and attachments, by the extension ``filetype`` reports
# from the file's content, with the file-name extensions that may carry each.
DOCUMENT_TYPES = {
    "pdf": ("pdf",),
    "jpg": ("jpg", "jpeg"),
    "png": ("png",),
    "docx": ("docx",),
    "xlsx": ("xlsx",),
    "pptx": ("pptx",),
    "doc": ("doc",),
    "xls": ("xls",),
    "ppt": ("ppt",),
}
SNIFF_BYTES = 8192


@deconstructible
class UploadValidator:
    """Accept an upload only when its content is one of ``kinds``, its name agrees with its
    content, and it is no larger than ``settings.UPLOAD_MAX_BYTES``."""

    def __init__(self, kinds=tuple(DOCUMENT_TYPES)):
        self.kinds = tuple(kinds)

    def __call__(self, file):
        limit = settings.UPLOAD_MAX_BYTES
        if file.size > limit:
            raise ValidationError(
                _("The file is %(size)s; files may be at most %(limit)s."),
                code="file_too_large",
                params={"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
            )
        position = file.tell() if hasattr(file, "tell") else 0
        file.seek(0)
        head = file.read(SNIFF_BYTES)
        file.seek(position)
        kind = filetype.guess(head)
        allowed = "、".join(ext.upper() for ext in self.kinds)
        if kind is None or kind.extension not in self.kinds:
            raise ValidationError(
                _("Only %(allowed)s files are accepted; the content of this file is not one."),
                code="file_type",
                params={"allowed": allowed},
            )
        suffix = PurePath(file.name).suffix.lower().lstrip(".")
        if suffix not in DOCUMENT_TYPES.get(kind.extension, (kind.extension,)):
            raise ValidationError(
                _("The file name ends in .%(suffix)s but its content is %(kind)s."),
                code="file_name_mismatch",
                params={"suffix": suffix, "kind": kind.extension.upper()},
            )

    def __eq__(self, other):
        return isinstance(other, UploadValidator) and self.kinds == other.kinds
