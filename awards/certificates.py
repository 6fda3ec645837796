"""PDF certificates (荣誉证书) with fpdf2, and their public verification.

The certificate is always printed in Chinese, whatever the language of the page that asked
for it, from the text frozen on the ``Certificate`` row when it was issued.

The font is ``settings.CERTIFICATE_FONT`` (the shipped GB 2312 subset of Noto Serif SC, see
``awards/fonts/README.md``). Every character is checked against the font's cmap first: a
character it lacks refuses the certificate with a ``ValidationError`` naming it, rather than
printing a blank box.

Speed: fpdf2 subsets and embeds the font of every document. With the CID-keyed CFF outlines
of Noto CJK that costs about 0.17 s a certificate, which makes a list of 100 take 17 s. So the
font file is read once per process, and each render (or bulk download) first cuts it down to
the characters of its certificates and converts those few outlines to TrueType (quadratic
curves within one font unit of the original), which fpdf2 embeds several times faster: about
35 ms a certificate in a bulk download, 100 certificates in 3–4 s.

Bulk downloads are one ZIP holding one PDF per certificate, named by number and recipient, so
each recipient can be sent their own file; :func:`render_booklet` gives the same certificates
as one multi-page PDF for printing them all at once.
"""

import contextlib
import dataclasses
import functools
import io
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from fontTools import subset as font_subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from .models import Certificate

# Characters printed with the glyph of another one when the font lacks them: the middle dot
# of minority names (阿依古丽·买买提) is U+00B7, which some GB 2312 fonts carry only as
# U+30FB (the shipped font has both). The PDF text still reads U+00B7.
ALIASES = {0x00B7: 0x30FB}

RED = (163, 21, 28)
GOLD = (184, 140, 50)
INK = (34, 30, 28)
GREY = (110, 104, 98)

DIGITS = "〇一二三四五六七八九"


# --- The text -------------------------------------------------------------------------------


def chinese_number(n: int) -> str:
    """1..31 in Chinese numerals, as in dates: 十, 十一, 二十, 三十一."""
    tens, units = divmod(n, 10)
    if tens == 0:
        return DIGITS[units]
    head = "" if tens == 1 else DIGITS[tens]
    return f"{head}十{DIGITS[units] if units else ''}"


def chinese_date(day) -> str:
    """The date as printed on certificates: 二〇二六年三月十日."""
    year = "".join(DIGITS[int(d)] for d in str(day.year))
    return f"{year}年{chinese_number(day.month)}月{chinese_number(day.day)}日"


@dataclasses.dataclass(frozen=True)
class CertificateText:
    """Everything printed on one certificate, in reading order."""

    title: str
    addressee: str
    paragraphs: tuple[str, ...]
    issuer: str
    date: str
    reference: str
    url: str

    def strings(self) -> list[str]:
        return [
            self.title,
            self.addressee,
            *self.paragraphs,
            self.issuer,
            self.date,
            self.reference,
            self.url,
        ]


def certificate_text(certificate: Certificate, url: str) -> CertificateText:
    """The Chinese text of ``certificate``, with ``url`` its verification address."""
    recipient = certificate.recipient_name
    unit = certificate.unit_name
    addressee = recipient if recipient == unit else f"{recipient}（{unit}）"
    indent = "\u3000\u3000"  # paragraphs start two full-width spaces in
    return CertificateText(
        title="荣誉证书",
        addressee=f"{addressee}：",
        paragraphs=(
            f"{indent}在{certificate.campaign_title}中表现突出，"
            f"被授予“{certificate.honour_name}”称号。",
            f"{indent}特发此证，以资鼓励。",
        ),
        issuer=certificate.issuer_name,
        date=chinese_date(certificate.issued_on),
        reference=(
            f"证书编号：{certificate.number}\u3000\u3000验证码：{certificate.verification_code}"
        ),
        url=f"验证网址：{url}",
    )


def verification_url(certificate: Certificate, base_url: str) -> str:
    """The absolute address of the certificate's public verification page.

    ``base_url`` is the site's scheme and host (``https://jingsai.example.org``); views pass
    :func:`base_url_of` their request."""
    path = reverse("awards:verify-code", args=[certificate.verification_code])
    return base_url.rstrip("/") + path


def base_url_of(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


# --- The font -------------------------------------------------------------------------------


def _font_path() -> str:
    return str(settings.CERTIFICATE_FONT)


@functools.lru_cache(maxsize=4)
def _font_source(path: str) -> tuple[bytes, frozenset[int]]:
    """The font file's bytes and the characters it has (aliases included), read once per
    process and font."""
    data = Path(path).read_bytes()
    cmap = set(TTFont(io.BytesIO(data), lazy=True).getBestCmap())
    cmap.update(alias for alias, target in ALIASES.items() if target in cmap)
    return data, frozenset(cmap)


def missing_characters(texts: Iterable[str]) -> list[str]:
    """The characters of ``texts`` the certificate font lacks, in order of appearance."""
    _data, cmap = _font_source(_font_path())
    missing = {}
    for text in texts:
        for char in text:
            if ord(char) not in cmap and char not in "\r\n":
                missing.setdefault(char, None)
    return list(missing)


SHOWN = 30  # missing characters named in the message at most


def check_font(texts: Iterable[str]) -> None:
    """Raise ValidationError naming the characters the certificate font cannot print."""
    missing = missing_characters(texts)
    if missing:
        names = [
            f"U+{ord(char):04X}" if char.isspace() else f"“{char}”(U+{ord(char):04X})"
            for char in missing[:SHOWN]
        ]
        if len(missing) > SHOWN:
            names.append("…")
        raise ValidationError(
            _(
                "The certificate font has no glyph for %(chars)s, so the certificate cannot be "
                "printed. Set CERTIFICATE_FONT to a font that has them (see "
                "awards/fonts/README.md)."
            )
            % {"chars": "、".join(names)},
            code="missing_glyphs",
        )


def _to_truetype(font: TTFont) -> None:
    """Replace the font's CFF outlines by TrueType ones (quadratic, within 1 font unit)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.numGlyphs = len(order)
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


@contextlib.contextmanager
def prepared_font(texts: Iterable[str]) -> Iterator[str]:
    """A temporary font file with only the characters of ``texts``, in TrueType outlines.

    fpdf2 reads fonts from files, so it lives in a temporary directory while the PDFs are
    made."""
    data, _cmap = _font_source(_font_path())
    chars = {ord(char) for text in texts for char in text if char not in "\r\n"}
    chars.add(ord(" "))
    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    for table in font["cmap"].tables:
        if table.isUnicode():
            for alias, target in ALIASES.items():
                if target in table.cmap and alias in chars and alias not in table.cmap:
                    table.cmap[alias] = table.cmap[target]
    options = font_subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.drop_tables += ["BASE", "GSUB", "GPOS", "GDEF", "vhea", "vmtx", "VORG"]
    subsetter = font_subset.Subsetter(options)
    subsetter.populate(unicodes=chars)
    subsetter.subset(font)
    if "CFF " in font:
        _to_truetype(font)
    with tempfile.TemporaryDirectory(prefix="certificate-font-") as directory:
        path = str(Path(directory) / "certificate.ttf")
        font.save(path)
        yield path


# --- The page -------------------------------------------------------------------------------

PAGE_W, PAGE_H = 297, 210
MARGIN = 36  # left and right margin of the text, mm
LEADING = 0.66  # line height in mm per point of font size
FAMILY = "certificate"


def _frame(pdf: FPDF) -> None:
    """A red double frame with gold corner ornaments."""
    pdf.set_draw_color(*RED)
    pdf.set_line_width(2.2)
    pdf.rect(9, 9, PAGE_W - 18, PAGE_H - 18)
    pdf.set_line_width(0.5)
    pdf.rect(13, 13, PAGE_W - 26, PAGE_H - 26)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.8)
    pdf.rect(16, 16, PAGE_W - 32, PAGE_H - 32)
    pdf.set_fill_color(*GOLD)
    size = 12
    for x, y, dx, dy in (
        (16, 16, 1, 1),
        (PAGE_W - 16, 16, -1, 1),
        (16, PAGE_H - 16, 1, -1),
        (PAGE_W - 16, PAGE_H - 16, -1, -1),
    ):
        # An L-shaped bracket and a small diamond in each corner.
        pdf.set_line_width(1.4)
        pdf.line(x + dx * 3, y + dy * 3, x + dx * (3 + size), y + dy * 3)
        pdf.line(x + dx * 3, y + dy * 3, x + dx * 3, y + dy * (3 + size))
        cx, cy = x + dx * 8, y + dy * 8
        pdf.polygon([(cx, cy - 1.8), (cx + 1.8, cy), (cx, cy + 1.8), (cx - 1.8, cy)], style="F")


# Line breaking rules of Chinese typesetting (避头尾): these never start a line ...
NO_LINE_START = set("，。、；：？！”’）》」』】〕…％,.;:?!)]}%")
# ... and these never end one.
NO_LINE_END = set("“‘（《「『【〔([{")


def _may_break(before: str, after: str) -> bool:
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    # Numbers and Latin words stay whole (第19届, URLs).
    return not (before.isascii() and after.isascii() and before.isalnum() and after.isalnum())


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """The lines of ``text`` in ``width`` at the current font: Chinese breaks between any two
    characters, except where the rules above forbid it, then the break moves back."""
    lines, line, line_width = [], "", 0.0
    for char in text:
        char_width = pdf.get_string_width(char)
        if line and line_width + char_width > width:
            cut = len(line)
            while cut > 1 and not _may_break(line[cut - 1], line[cut] if cut < len(line) else char):
                cut -= 1
            if cut <= 1:
                cut = len(line)
            lines.append(line[:cut])
            line = line[cut:]
            line_width = pdf.get_string_width(line)
        line += char
        line_width += char_width
    if line:
        lines.append(line)
    return lines


def _paragraph(pdf: FPDF, text: str, width: float, line_height: float) -> None:
    """One paragraph at the current position, its full lines spread to the width (CJK text
    has no spaces to justify by, so the characters are spaced out instead)."""
    lines = _wrap(pdf, text, width)
    x = pdf.get_x()
    for number, line in enumerate(lines):
        last = number == len(lines) - 1
        spare = width - pdf.get_string_width(line)
        if not last and spare > 0 and len(line) > 1:
            pdf.set_char_spacing(spare / len(line) * 72 / 25.4)
        pdf.set_x(x)
        pdf.cell(width, line_height, line, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_char_spacing(0)


def _fitting_size(pdf: FPDF, paragraphs, width, height, sizes=(20, 18, 16, 14, 12)) -> int:
    """The largest font size at which the paragraphs fit the box (long campaign titles)."""
    for size in sizes:
        pdf.set_font(FAMILY, size=size)
        lines = sum(len(_wrap(pdf, text, width)) for text in paragraphs)
        if lines * size * LEADING <= height:
            return size
    return sizes[-1]


def _draw(pdf: FPDF, text: CertificateText) -> None:
    pdf.add_page()
    _frame(pdf)
    width = PAGE_W - 2 * MARGIN

    pdf.set_text_color(*RED)
    pdf.set_font(FAMILY, size=50)
    spacing = 16
    pdf.set_char_spacing(spacing)
    # The spacing follows the last character too: shift by half of it to stay centred.
    pdf.set_xy(MARGIN + spacing * 25.4 / 72 / 2, 30)
    pdf.cell(width, 24, text.title, align=Align.C)
    pdf.set_char_spacing(0)
    _ornament(pdf, PAGE_W / 2, 60)

    pdf.set_text_color(*INK)
    size = _fitting_size(pdf, [text.addressee, *text.paragraphs], width, 66)
    line_height = size * LEADING
    pdf.set_font(FAMILY, size=size)
    pdf.set_xy(MARGIN, 74)
    _paragraph(pdf, text.addressee, width, line_height)
    pdf.set_y(pdf.get_y() + line_height * 0.3)
    for paragraph in text.paragraphs:
        pdf.set_x(MARGIN)
        _paragraph(pdf, paragraph, width, line_height)

    # Issuer and date centred on each other, to the right, with room above for the seal.
    pdf.set_font(FAMILY, size=18)
    block = max(pdf.get_string_width(text.issuer), pdf.get_string_width(text.date)) + 10
    block = min(block, width)
    pdf.set_xy(PAGE_W - MARGIN - block, 148)
    for line in [*_wrap(pdf, text.issuer, block), text.date]:
        pdf.cell(block, 10, line, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)

    pdf.set_text_color(*GREY)
    pdf.set_font(FAMILY, size=9)
    pdf.set_xy(MARGIN - 18, 179)
    pdf.cell(width + 36, 5, text.reference, align=Align.C)
    pdf.set_xy(MARGIN - 18, 184)
    pdf.cell(width + 36, 5, text.url, align=Align.C)


def _ornament(pdf: FPDF, x: float, y: float) -> None:
    """A gold rule with a diamond under the title."""
    pdf.set_draw_color(*GOLD)
    pdf.set_fill_color(*GOLD)
    pdf.set_line_width(0.6)
    pdf.line(x - 48, y, x - 4, y)
    pdf.line(x + 4, y, x + 48, y)
    pdf.polygon([(x, y - 2), (x + 2, y), (x, y + 2), (x - 2, y)], style="F")


def _document(font_path: str) -> FPDF:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, 20, MARGIN)
    pdf.add_font(FAMILY, fname=font_path)
    pdf.set_creator("jingsai")
    pdf.set_lang("zh-CN")
    return pdf


def _texts(certificates, url_for) -> list[tuple[Certificate, CertificateText]]:
    """The texts of the certificates, refused as a whole if any has a character the font
    lacks (naming them all, so one edit of CERTIFICATE_FONT fixes the list)."""
    texts = [
        (certificate, certificate_text(certificate, url_for(certificate)))
        for certificate in certificates
    ]
    check_font(string for _certificate, text in texts for string in text.strings())
    return texts


def _pdf_bytes(pdf: FPDF, title: str) -> bytes:
    pdf.set_title(title)
    return bytes(pdf.output())


def render(certificate: Certificate, url: str) -> bytes:
    """One certificate as a one-page PDF; ``url`` is its verification address.

    Raises ValidationError, before anything is drawn, when the font lacks a character."""
    [(certificate, text)] = _texts([certificate], lambda _certificate: url)
    with prepared_font(text.strings()) as font_path:
        pdf = _document(font_path)
        _draw(pdf, text)
        return _pdf_bytes(pdf, f"荣誉证书 {certificate.number}")


def render_each(
    certificates: Iterable[Certificate], url_for: Callable[[Certificate], str]
) -> Iterator[tuple[Certificate, bytes]]:
    """Each certificate as its own PDF, sharing one prepared font."""
    texts = _texts(certificates, url_for)
    with prepared_font(s for _c, text in texts for s in text.strings()) as font_path:
        for certificate, text in texts:
            pdf = _document(font_path)
            _draw(pdf, text)
            yield certificate, _pdf_bytes(pdf, f"荣誉证书 {certificate.number}")


def render_booklet(
    certificates: Iterable[Certificate], url_for: Callable[[Certificate], str], title: str = ""
) -> bytes:
    """All the certificates as one PDF, a page each, for printing."""
    texts = _texts(certificates, url_for)
    with prepared_font(s for _c, text in texts for s in text.strings()) as font_path:
        pdf = _document(font_path)
        for _certificate, text in texts:
            _draw(pdf, text)
        return _pdf_bytes(pdf, title or "荣誉证书")


UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\s]+')


def file_name(certificate: Certificate) -> str:
    """``2026-0003-00012-李娜.pdf``: the number, then the recipient (safe on any system)."""
    recipient = UNSAFE_IN_NAME.sub("_", certificate.recipient_name).strip("._")[:60]
    return f"{certificate.number}-{recipient}.pdf" if recipient else f"{certificate.number}.pdf"


def render_zip(certificates: Iterable[Certificate], url_for: Callable[[Certificate], str]) -> bytes:
    """A ZIP with one PDF per certificate, named by :func:`file_name`.

    PDFs are compressed already, so they are stored, not deflated again."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for certificate, data in render_each(certificates, url_for):
            archive.writestr(file_name(certificate), data)
    return buffer.getvalue()


# --- Verification ---------------------------------------------------------------------------

NUMBER = re.compile(r"^\d{4}-\d{4,}-\d{5,}$")


def find_certificate(value: str) -> Certificate | None:
    """The certificate with this number or verification code, for the public verification
    page: codes are matched without regard to case, spaces or hyphens."""
    value = (value or "").strip()
    if not value:
        return None
    certificates = Certificate.objects.all()
    if NUMBER.match(value):
        return certificates.filter(number=value).first()
    code = re.sub(r"[\s-]+", "", value).upper()
    if not code or len(code) > Certificate._meta.get_field("verification_code").max_length:
        return None
    return certificates.filter(verification_code=code).first()
