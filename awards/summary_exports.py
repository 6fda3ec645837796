"""The figures of a summary as tables, and their Excel (openpyxl) and PDF (fpdf2) exports.

One layout serves the page and both exports: a row per figure, a column for the whole
campaign and one per zone; then projects by state, honours by type and the top three of each
zone with final results. The PDF embeds the shipped Noto Serif SC subset
(``settings.CERTIFICATE_FONT``, GB2312), so Chinese prints without fonts on the reader's side.
"""

import io
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from competitions.models import Project

from .summaries import FIGURE_ROWS, figure, level_label, period_label

PERCENTS = {"reports.on_time_rate", "safety.fix_rate"}
MONEY = {"proposals.benefit"}
PDF_COLUMNS = 6  # scopes side by side on a landscape A4 page


def scope_name(snapshot) -> str:
    return figure(snapshot.figures, "scope.zone_name") or _("Whole campaign")


def typed(path: str, value):
    """The value as Excel should hold it: Decimal for money and percentages."""
    if value is None:
        return None
    if path in PERCENTS or path in MONEY:
        return Decimal(str(value))
    return value


def shown(path: str, value) -> str:
    """The value as the page and the PDF print it."""
    if value is None:
        return "—"
    if path in PERCENTS:
        return f"{value}%"
    if path in MONEY:
        return f"{Decimal(str(value)):,.2f}"
    return str(value)


def figure_table(snapshots) -> list[dict]:
    """[{"path", "label", "cells": [text per snapshot]}], rows without any value left out
    (contestants in a labour competition)."""
    rows = []
    for path, label in FIGURE_ROWS:
        values = [figure(s.figures, path) for s in snapshots]
        if all(v is None for v in values) and path == "people.contestants":
            continue
        rows.append(
            {
                "path": path,
                "label": str(label),
                "values": values,
                "cells": [shown(path, v) for v in values],
            }
        )
    return rows


def state_table(snapshots) -> list[dict]:
    rows = []
    for value, label in Project.Status.choices:
        counts = [figure(s.figures, f"projects.by_state.{value}") or 0 for s in snapshots]
        rows.append({"state": value, "label": str(label), "cells": counts})
    return rows


def honour_rows(snapshot) -> list[dict]:
    rows = []
    for item in figure(snapshot.figures, "honours.by_type") or []:
        rows.append({**item, "level_label": level_label(item["level"])})
    return rows


def top_rows(snapshot) -> list[dict]:
    return figure(snapshot.figures, "results.top") or []


def _title(build) -> str:
    label = period_label(build.period, build.period_start)
    return f"{build.campaign.title} · {label} {build.get_period_display()}"


def _built(build) -> str:
    moment = build.finished_at or build.created_at
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def filename(build, extension: str) -> str:
    return f"summary-{build.campaign_id}-{build.period}-{build.period_start:%Y-%m}.{extension}"


# Excel ------------------------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F2F4F7")


def _header(sheet, titles) -> None:
    sheet.append([str(t) for t in titles])
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL


def workbook(build, snapshots) -> Workbook:
    """Sheets: the figures side by side, projects by state, honours, top three."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Figures")[:31]
    sheet.append([_title(build)])
    sheet.append([_("Period"), f"{build.period_start} – {build.period_end}"])
    sheet.append([_("Built at"), _built(build)])
    sheet.append([])
    _header(sheet, [_("Figure"), *(scope_name(s) for s in snapshots)])
    for row in figure_table(snapshots):
        sheet.append([row["label"], *(typed(row["path"], v) for v in row["values"])])
    sheet.column_dimensions["A"].width = 34

    states = book.create_sheet(_("Projects by state")[:31])
    _header(states, [_("State"), *(scope_name(s) for s in snapshots)])
    for row in state_table(snapshots):
        states.append([row["label"], *row["cells"]])
    states.column_dimensions["A"].width = 24

    honours = book.create_sheet(_("Honours")[:31])
    _header(
        honours,
        [
            _("Scope"),
            _("Honour"),
            _("Level"),
            _("Confirmed in the period"),
            _("Confirmed in total"),
            _("Instant in the period"),
            _("Instant in total"),
        ],
    )
    for snapshot in snapshots:
        for item in honour_rows(snapshot):
            honours.append(
                [
                    scope_name(snapshot),
                    item["name"],
                    item["level_label"],
                    item["confirmed_in_period"],
                    item["confirmed_total"],
                    item["instant_in_period"],
                    item["instant_total"],
                ]
            )

    top = book.create_sheet(_("Top three")[:31])
    _header(top, [_("Zone"), _("Rank"), _("Project"), _("Unit"), _("Final score")])
    if snapshots:
        for item in top_rows(snapshots[0]):
            top.append(
                [item["zone"], item["rank"], item["project"], item["unit"], Decimal(item["score"])]
            )
    return book


def xlsx_bytes(build, snapshots) -> bytes:
    buffer = io.BytesIO()
    workbook(build, snapshots).save(buffer)
    return buffer.getvalue()


# PDF --------------------------------------------------------------------------------------


class SummaryPDF(FPDF):
    def __init__(self, font_path: str, footer_text: str):
        super().__init__(orientation="landscape", format="A4")
        self.footer_text = footer_text
        self.add_font("noto", fname=font_path)
        self.set_font("noto", size=9)
        self.set_auto_page_break(auto=True, margin=14)
        self.set_lang("zh-CN")

    def footer(self):
        self.set_y(-10)
        self.set_font("noto", size=7)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}", align="C")


def _pdf_table(pdf, headings, rows, widths=None) -> None:
    heading_style = FontFace(emphasis=None, fill_color=(242, 244, 247))
    with pdf.table(
        col_widths=widths,
        headings_style=heading_style,
        line_height=5.5,
        text_align="LEFT",
        first_row_as_headings=True,
    ) as table:
        for row in (headings, *rows):
            table.row(row)
    pdf.ln(4)


def _pdf_content(build, snapshots) -> tuple[list[str], list[tuple]]:
    """The heading lines and the tables (headings, rows, column widths) of the PDF, as text."""
    heading = [
        _title(build),
        _("Period %(start)s to %(end)s · built at %(built)s")
        % {"start": build.period_start, "end": build.period_end, "built": _built(build)},
    ]
    tables = []
    table = figure_table(snapshots)
    states = state_table(snapshots)
    for first in range(0, len(snapshots), PDF_COLUMNS):
        chunk = slice(first, first + PDF_COLUMNS)
        names = [scope_name(s) for s in snapshots[chunk]]
        widths = [70, *([34] * len(names))]
        tables.append(
            ([_("Figure"), *names], [[r["label"], *r["cells"][chunk]] for r in table], widths)
        )
        tables.append(
            (
                [_("Projects by state"), *names],
                [[r["label"], *r["cells"][chunk]] for r in states],
                widths,
            )
        )
    honours = [
        [
            scope_name(snapshot),
            item["name"],
            item["level_label"],
            item["confirmed_in_period"],
            item["confirmed_total"],
            item["instant_in_period"],
            item["instant_total"],
        ]
        for snapshot in snapshots
        for item in honour_rows(snapshot)
    ]
    if honours:
        headings = [
            _("Scope"),
            _("Honour"),
            _("Level"),
            _("Confirmed in the period"),
            _("Confirmed in total"),
            _("Instant in the period"),
            _("Instant in total"),
        ]
        tables.append((headings, honours, None))
    top = top_rows(snapshots[0]) if snapshots else []
    if top:
        headings = [_("Zone"), _("Rank"), _("Project"), _("Unit"), _("Final score")]
        rows = [[i["zone"], i["rank"], i["project"], i["unit"], i["score"]] for i in top]
        tables.append((headings, rows, None))
    as_text = [
        ([str(h) for h in headings], [[str(cell) for cell in row] for row in rows], widths)
        for headings, rows, widths in tables
    ]
    return heading, as_text


def pdf_bytes(build, snapshots) -> bytes:
    """Landscape A4: the figures table (six scopes side by side, continued for more zones),
    projects by state, honours by type and the top three of the zones.

    The font is the certificates' (``certificates.prepared_font``): the shipped font cut down
    to the characters printed, in TrueType outlines, so the PDF stays small and its text can
    be copied and searched."""
    from .certificates import prepared_font

    heading, tables = _pdf_content(build, snapshots)
    strings = [*heading, f"{_title(build)} · 0123456789"]
    for headings, rows, _widths in tables:
        strings += headings
        strings += [cell for row in rows for cell in row]
    with prepared_font(strings) as font_path:
        pdf = SummaryPDF(font_path, _title(build))
        pdf.add_page()
        pdf.set_font("noto", size=15)
        pdf.multi_cell(0, 8, heading[0], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("noto", size=9)
        pdf.multi_cell(0, 5, heading[1], new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        for headings, rows, widths in tables:
            _pdf_table(pdf, headings, rows, widths)
        return bytes(pdf.output())
