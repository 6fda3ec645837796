"""Validators for Chinese identifiers and uploaded files."""

import datetime
import re
import zipfile
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
# Office Open XML documents are ZIP archives.
ZIP_KINDS = ("docx", "xlsx", "pptx")


def check_archive(file, kind: str) -> None:
    """Refuse an Office document that is not a readable ZIP archive, or that unpacks to more
    than ``settings.UPLOAD_MAX_UNPACKED_BYTES``: a "zip bomb" of a few megabytes would
    otherwise fill the memory of the process reading it (openpyxl for imports). Python's
    zipfile never unpacks a member beyond its declared size, so the declared sizes bound it."""
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise ValidationError(
            _("The file is damaged: it cannot be opened as a %(kind)s file."),
            code="file_damaged",
            params={"kind": kind.upper()},
        ) from None
    finally:
        file.seek(position)
    limit = settings.UPLOAD_MAX_UNPACKED_BYTES
    if unpacked > limit:
        raise ValidationError(
            _(
                "The file unpacks to %(size)s, more than the %(limit)s allowed; please split "
                "it or remove large embedded pictures."
            ),
            code="file_unpacks_too_large",
            params={"size": filesizeformat(unpacked), "limit": filesizeformat(limit)},
        )


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
        if kind.extension in ZIP_KINDS:
            check_archive(file, kind.extension)

    def __eq__(self, other):
        return isinstance(other, UploadValidator) and self.kinds == other.kinds


# GB 11643-1999: the weights of the first 17 digits of a resident identity card number
# (居民身份证号码), and the check character for each remainder of the weighted sum mod 11.
ID_NUMBER_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_NUMBER_CHECK_CHARS = "10X98765432"


def id_number_check_char(first17: str) -> str:
    """The 18th character of a resident identity card number, from its first 17 digits."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first17, ID_NUMBER_WEIGHTS, strict=True)
    )
    return ID_NUMBER_CHECK_CHARS[total % 11]


def normalise_id_number(value: str) -> str:
    """Spaces removed and a final x upper-cased, as the number is stored."""
    return "".join((value or "").split()).upper()


def validate_id_number(value: str) -> None:
    """Validate an 18-character resident identity card number (GB 11643): 17 digits, a
    plausible date of birth and the check character (0-9 or X; a lower-case x is accepted
    and stored upper-case)."""
    value = normalise_id_number(value)
    if len(value) != 18:
        raise ValidationError(
            _("A resident identity card number has 18 characters; this one has %(count)d."),
            code="id_number_length",
            params={"count": len(value)},
        )
    # isdecimal(), not isdigit(): int() refuses digits such as "²".
    if not value[:17].isdecimal() or not (value[17].isdecimal() or value[17] == "X"):
        raise ValidationError(
            _(
                "A resident identity card number is 17 digits followed by a digit or X; "
                "please check the number."
            ),
            code="id_number_chars",
        )
    try:
        born = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1850 or born > datetime.date.today():
        raise ValidationError(
            _("The date of birth in this ID card number (digits 7 to 14) is not a real date."),
            code="id_number_birth_date",
        )
    if id_number_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _(
                "The check character of this identity card number is wrong; "
                "please check the number."
            ),
            code="id_number_check",
        )


MOBILE_PATTERN = re.compile(r"1[3-9]\d{9}")


def normalise_mobile(value: str) -> str:
    """The 11 digits of a mainland mobile number written with spaces, hyphens or +86."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def validate_mobile(value: str) -> None:
    """Validate a mainland China mobile number: 11 digits starting 13 to 19 (spaces,
    hyphens and a +86 prefix are accepted and removed when stored)."""
    if not MOBILE_PATTERN.fullmatch(normalise_mobile(value)):
        raise ValidationError(
            _("Enter a mainland mobile number: 11 digits starting with 13 to 19."),
            code="mobile",
        )
