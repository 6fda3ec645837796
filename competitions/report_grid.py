"""The staff's report grid (填报情况一览): projects × reporting periods, each cell coloured by
how the report stands, with totals and two Excel exports (the grid, and every figure).

A page costs a fixed number of queries however many projects and periods it shows: the
page's projects, then all their reports in one query (the matrix is built in Python), then
one aggregate for the totals of the whole filtered set.
"""

import datetime
import itertools
from dataclasses import dataclass, field
from operator import itemgetter

import django_filters
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from . import queries, reporting
from .excel import header_row, xlsx_response
from .filters import _campaigns, _organisations, _zones
from .models import ProgressReport, Project
from .rules import require_office_staff

PROJECTS_PER_PAGE = 50
GRID_STATUSES = (Project.Status.RUNNING, Project.Status.COMPLETED)
PROJECT_ORDER = ("campaign__title", "zone__order", "zone__name", "unit__name", "title", "pk")


@dataclass(frozen=True)
class CellState:
    key: str
    label: str
    symbol: str  # shown in the cell so the state does not rest on colour alone
    background: str  # also the Excel fill (RRGGBB)
    ink: str


STATES = {
    state.key: state
    for state in (
        CellState("on_time", gettext_lazy("On time"), "✓", "D8EFDC", "1E5E22"),
        CellState("late", gettext_lazy("Submitted late"), "!", "FFE9C2", "7A4800"),
        CellState("returned", gettext_lazy("Sent back"), "↩", "EADCF5", "5B2C83"),
        CellState("missing", gettext_lazy("Missing"), "✗", "F7C9C6", "8F1A21"),
        CellState("open", gettext_lazy("Not yet due"), "○", "EEF1F4", "4A5561"),
    )
}


def state_conditions(today: datetime.date) -> dict[str, Q]:
    """``reporting.cell_state`` as database conditions, for counting in one aggregate.

    Kept next to the grid and checked against ``cell_state`` by the tests.
    """
    Status = ProgressReport.Status
    filed = Q(status__in=(Status.SUBMITTED, Status.ACCEPTED))
    unfiled = ~filed & ~Q(status=Status.RETURNED)
    return {
        "on_time": filed & Q(late=False),
        "late": filed & Q(late=True),
        "returned": Q(status=Status.RETURNED),
        "missing": unfiled & Q(due_date__lt=today),
        "open": unfiled & Q(due_date__gte=today),
    }


def period_label(start: datetime.date, end: datetime.date) -> str:
    """As ``ProgressReport.period_label``: one month, or a span of months."""
    if (start.year, start.month) == (end.year, end.month):
        return f"{start:%Y-%m}"
    return f"{start:%Y-%m}–{end:%Y-%m}"


class ReportGridFilter(django_filters.FilterSet):
    """Filters of the grid and its exports; choices come from the user's scope."""

    campaign = django_filters.ModelChoiceFilter(label=gettext_lazy("Campaign"), queryset=_campaigns)
    zone = django_filters.ModelChoiceFilter(label=gettext_lazy("Zone"), queryset=_zones)
    organisation = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Union organisation"), queryset=_organisations, method="in_subtree"
    )

    class Meta:
        model = Project
        fields = ["campaign", "zone", "organisation"]

    def in_subtree(self, queryset, name, value):
        return queryset.filter(unit__organisation__path__startswith=value.path)


def _filtered_projects(request) -> tuple[ReportGridFilter, object]:
    """The running and completed projects in the user's scope that match the filters."""
    base = queries.projects_for_user(request.user).filter(status__in=GRID_STATUSES)
    filterset = ReportGridFilter(request.GET or None, queryset=base, request=request)
    return filterset, filterset.qs.order_by(*PROJECT_ORDER)


@dataclass
class Period:
    start: datetime.date
    label: str
    counts: dict = field(default_factory=dict)

    @property
    def due_count(self) -> int:
        return sum(n for key, n in self.counts.items() if key != "open")

    @property
    def on_time_rate(self):
        return _rate(self.counts.get("on_time", 0), self.due_count)


def _rate(on_time: int, due: int):
    """Share of the reports due so far (or already filed) that came in on time, in %."""
    return round(100 * on_time / due, 1) if due else None


def _periods(projects, today: datetime.date) -> list[Period]:
    """Every reporting period of the filtered projects with its counts per state: one query."""
    conditions = state_conditions(today)
    rows = (
        ProgressReport.objects.filter(project__in=projects.order_by().values("pk"))
        .order_by("period_start")
        .values("period_start")
        .annotate(
            period_end=Max("period_end"),
            **{key: Count("pk", filter=condition) for key, condition in conditions.items()},
        )
    )
    return [
        Period(
            start=row["period_start"],
            label=period_label(row["period_start"], row["period_end"]),
            counts={key: row[key] for key in conditions},
        )
        for row in rows
    ]


def _export_query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def report_grid(request):
    require_office_staff(request.user)
    today = timezone.localdate()
    filterset, projects = _filtered_projects(request)
    periods = _periods(projects, today)
    page = Paginator(
        projects.select_related("campaign", "zone", "unit"), PROJECTS_PER_PAGE
    ).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    reports = ProgressReport.objects.filter(project__in=[p.pk for p in shown]).only(
        "project_id", "period_start", "period_end", "due_date", "status", "late", "actual_percent"
    )
    by_cell = {(r.project_id, r.period_start): r for r in reports}
    rows = []
    for project in shown:
        cells = []
        for period in periods:
            report = by_cell.get((project.pk, period.start))
            if report is None:
                cells.append(None)
                continue
            state = STATES[reporting.cell_state(report, today)]
            cells.append(
                {
                    "report": report,
                    "state": state,
                    "url": reverse("report-detail", args=[report.pk]),
                }
            )
        rows.append({"project": project, "cells": cells})

    column_totals = [
        {"state": state, "counts": [p.counts[key] for p in periods]}
        for key, state in STATES.items()
    ]
    totals = {key: sum(p.counts[key] for p in periods) for key in STATES}
    due = sum(n for key, n in totals.items() if key != "open")
    export_query = _export_query(request)
    context = {
        "filter": filterset,
        "page_obj": page,
        "is_paginated": page.has_other_pages(),
        "periods": periods,
        "rows": rows,
        "states": list(STATES.values()),
        "totals": [(STATES[key], n) for key, n in totals.items()],
        "column_totals": column_totals,
        "report_total": sum(totals.values()),
        "on_time_rate": _rate(totals["on_time"], due),
        "today": today,
        "export_query": f"?{export_query}" if export_query else "",
    }
    return render(request, "competitions/report_grid.html", context)


# --- Excel exports -------------------------------------------------------------------------


@login_required
def report_grid_export(request):
    """The grid of every filtered project (not only one page), one row per project."""
    require_office_staff(request.user)
    today = timezone.localdate()
    _filterset, projects = _filtered_projects(request)
    periods = _periods(projects, today)
    column_of = {period.start: index for index, period in enumerate(periods)}
    fills = {key: PatternFill("solid", fgColor=state.background) for key, state in STATES.items()}
    fonts = {key: Font(color=state.ink) for key, state in STATES.items()}
    centred = Alignment(horizontal="center")

    workbook = Workbook(write_only=True)
    with translation.override("zh-hans"):
        sheet = workbook.create_sheet(_("Report grid"))
        sheet.freeze_panes = "E2"
        for letter, width in zip("ABCD", (24, 14, 28, 32), strict=True):
            sheet.column_dimensions[letter].width = width
        labels = {key: str(state.label) for key, state in STATES.items()}
        header_row(
            sheet,
            [_("Campaign"), _("Zone"), _("Unit"), _("Project")] + [p.label for p in periods],
        )

        # One query, projects left-joined to their reports and ordered by project: a
        # project's rows come together, and the sheet cannot disagree with itself however
        # the data changes meanwhile. Projects without reports come as one row of None.
        rows = projects.values_list(
            "pk",
            "campaign__title",
            "zone__name",
            "unit__name",
            "title",
            "reports__period_start",
            "reports__due_date",
            "reports__status",
            "reports__late",
        ).order_by(*PROJECT_ORDER, "reports__period_start")
        for _pk, group in itertools.groupby(rows.iterator(chunk_size=2000), key=itemgetter(0)):
            group = list(group)  # one project's rows: one per report at most
            row = list(group[0][1:5])
            states = [None] * len(periods)
            for *_project, start, due_date, status, late in group:
                column = column_of.get(start)  # None: no report, or one opened just now
                if column is not None:
                    report = ProgressReport(due_date=due_date, status=status, late=late)
                    states[column] = reporting.cell_state(report, today)
            for state in states:
                cell = WriteOnlyCell(sheet, value=labels[state] if state else None)
                if state:
                    cell.fill, cell.font, cell.alignment = fills[state], fonts[state], centred
                row.append(cell)
            sheet.append(row)
        filename = _("Report grid %(date)s.xlsx") % {"date": today.isoformat()}
    return xlsx_response(workbook, filename)


FIGURE_FIELDS = (
    "due_date",
    "status",
    "late",
    "planned_percent",
    *ProgressReport.FIGURES,
    "submitted_at",
    "reviewed_at",
)
NUMBER_FORMATS = {
    "due_date": "yyyy-mm-dd",
    "planned_percent": "0.00",
    "actual_percent": "0.00",
    "proposals_benefit": "#,##0.00",
    "submitted_at": "yyyy-mm-dd hh:mm",
    "reviewed_at": "yyyy-mm-dd hh:mm",
}


def _figure(report, name):
    value = getattr(report, name)
    if name == "status":
        return report.get_status_display()
    if name == "late":
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.datetime):
        # Excel has no time zones: write the local wall-clock time.
        return timezone.localtime(value).replace(tzinfo=None, microsecond=0)
    return value


@login_required
def report_figures_export(request):
    """Every report of the filtered projects with all its figures."""
    require_office_staff(request.user)
    _filterset, projects = _filtered_projects(request)
    meta = ProgressReport._meta
    workbook = Workbook(write_only=True)
    with translation.override("zh-hans"):
        sheet = workbook.create_sheet(_("Report figures"))
        sheet.freeze_panes = "F2"
        for letter, width in zip("ABCDE", (24, 14, 28, 32, 16), strict=True):
            sheet.column_dimensions[letter].width = width
        header_row(
            sheet,
            [_("Campaign"), _("Zone"), _("Unit"), _("Project"), capfirst(_("reporting period"))]
            + [capfirst(meta.get_field(name).verbose_name) for name in FIGURE_FIELDS],
        )
        reports = (
            ProgressReport.objects.filter(project__in=projects.order_by().values("pk"))
            .select_related("project__campaign", "project__zone", "project__unit")
            .order_by(*(f"project__{name}" for name in PROJECT_ORDER), "period_start")
        )
        for report in reports.iterator(chunk_size=2000):
            project = report.project
            row = [
                project.campaign.title,
                project.zone.name,
                project.unit.name,
                project.title,
                report.period_label,
            ]
            for name in FIGURE_FIELDS:
                value = _figure(report, name)
                if name in NUMBER_FORMATS and value is not None:
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = NUMBER_FORMATS[name]
                    value = cell
                row.append(value)
            sheet.append(row)
        filename = _("Report figures %(date)s.xlsx") % {"date": timezone.localdate().isoformat()}
    return xlsx_response(workbook, filename)
