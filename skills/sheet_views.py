"""Excel imports and exports of skill contests: contestants of an event, theory exam sheets of
a heat, and the results of a heat or of every heat of an event.

Imports are all or nothing: a file with any error saves nothing and the page lists every
error with its row. Uploads are checked for type (the content must be an .xlsx) and size
like every other upload (:class:`competitions.validators.UploadValidator`).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from competitions import queries as competition_queries
from competitions.excel import xlsx_bytes_response, xlsx_response
from competitions.import_views import UploadForm
from competitions.imports import MAX_ROWS
from competitions.services import error_text

from . import queries, services, sheets


def _event(user, event_id):
    return get_object_or_404(
        queries.events_for_user(user)
        .select_related("campaign__organiser")
        .prefetch_related("campaign__co_organisers"),
        pk=event_id,
    )


def _heat(user, heat_id):
    return get_object_or_404(
        queries.heats_for_user(user).select_related("tier__event__campaign__organiser"),
        pk=heat_id,
    )


def _require_registrar(event, user) -> bool:
    """Staff who run the event, or a unit liaison (for their own unit); True for staff."""
    if queries.runs_event(user, event):
        return True
    if competition_queries.user_role(user) == "unit":
        return False
    raise PermissionDenied(_("Only units and the competition office register contestants."))


def _require_runner(event, user) -> None:
    if not queries.runs_event(user, event):
        raise PermissionDenied(_("Only the campaign's competition office can do this."))


# Contestants ------------------------------------------------------------------------------


@login_required
def contestant_import(request, event_id):
    user = request.user
    event = _event(user, event_id)
    staff = _require_registrar(event, user)
    form, plan, status = UploadForm(), None, 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            plan = sheets.ContestantImport(event, user, form.cleaned_data["file"])
            if plan.is_valid:
                try:
                    registered, entered = plan.save()  # in its own transaction
                except IntegrityError:
                    # Someone registered one of these people between the check and the save.
                    messages.error(
                        request,
                        _("The data changed while importing; nothing was imported. Try again."),
                    )
                    plan, status = None, 409
                except ValidationError as error:
                    # A heat was locked meanwhile.
                    plan.file_errors.append(error_text(error))
                else:
                    messages.success(
                        request,
                        _(
                            "Registered %(registered)d contestants; %(entered)d of them were "
                            "entered into heats."
                        )
                        % {"registered": registered, "entered": entered},
                    )
                    return redirect("skills:contestant-import", event_id=event.pk)
    tier = services.first_tier(event)
    heats = list(tier.heats.order_by("name")) if tier is not None and staff else []
    return render(
        request,
        "skills/sheets/contestant_import.html",
        {
            "event": event,
            "form": form,
            "plan": plan,
            "staff": staff,
            "tier": tier,
            "heats": heats,
            "max_rows": MAX_ROWS,
        },
        status=status,
    )


@login_required
def contestant_template(request, event_id):
    user = request.user
    event = _event(user, event_id)
    _require_registrar(event, user)
    return xlsx_bytes_response(
        sheets.contestant_template(event, user), f"选手报名导入模板-{event.trade}.xlsx"
    )


# Theory exam sheets -----------------------------------------------------------------------


@login_required
def theory_import(request, heat_id):
    user = request.user
    heat = _heat(user, heat_id)
    event = heat.tier.event
    _require_runner(event, user)
    form, errors, status = UploadForm(), [], 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            stations = heat.entries.values_list("station_number", flat=True)
            rows, errors = sheets.read_theory_rows(form.cleaned_data["file"], stations)
            if not errors:
                try:
                    count = services.import_theory(heat, user, rows)
                except ValidationError as error:
                    errors = error.messages
                else:
                    messages.success(
                        request,
                        _("Imported %(count)d theory scores.") % {"count": count},
                    )
                    return redirect("skills:theory-import", heat_id=heat.pk)
    return render(
        request,
        "skills/sheets/theory_import.html",
        {
            "event": event,
            "heat": heat,
            "form": form,
            "errors": errors,
            "entry_count": heat.entries.count(),
            "max_rows": MAX_ROWS,
        },
        status=status,
    )


@login_required
def theory_template(request, heat_id):
    user = request.user
    heat = _heat(user, heat_id)
    _require_runner(heat.tier.event, user)
    return xlsx_bytes_response(sheets.theory_template(heat), f"理论成绩导入模板-{heat.name}.xlsx")


# Result exports ---------------------------------------------------------------------------


@login_required
def heat_export(request, heat_id):
    """The results of one heat; an unlocked heat only for the staff who run the event."""
    user = request.user
    heat = _heat(user, heat_id)
    event = heat.tier.event
    if heat.locked_at is None and not queries.runs_event(user, event):
        raise Http404
    workbook = sheets.build_results_workbook([heat], user)
    filename = _("%(event)s %(heat)s results %(date)s.xlsx") % {
        "event": event.trade,
        "heat": heat.name,
        "date": timezone.localdate().isoformat(),
    }
    return xlsx_response(workbook, filename)


@login_required
def event_export(request, event_id):
    """The results of every heat of the event the user sees, one sheet each; unlocked heats
    only for the staff who run the event."""
    user = request.user
    event = _event(user, event_id)
    heats = (
        queries.heats_for_user(user)
        .filter(tier__event=event)
        .select_related("tier")
        .order_by("tier__order", "tier__pk", "name", "pk")
    )
    if not queries.runs_event(user, event):
        heats = heats.filter(locked_at__isnull=False)
    heats = list(heats)
    for heat in heats:
        heat.tier.event = event  # one event (and its campaign's organisers) for all heats
    workbook = sheets.build_results_workbook(heats, user)
    filename = _("%(event)s results %(date)s.xlsx") % {
        "event": event.trade,
        "date": timezone.localdate().isoformat(),
    }
    return xlsx_response(workbook, filename)


urlpatterns = [
    path(
        "events/<int:event_id>/contestants/import/",
        contestant_import,
        name="contestant-import",
    ),
    path(
        "events/<int:event_id>/contestants/template.xlsx",
        contestant_template,
        name="contestant-template",
    ),
    path("events/<int:event_id>/export.xlsx", event_export, name="event-export"),
    path("heats/<int:heat_id>/theory/import/", theory_import, name="theory-import"),
    path("heats/<int:heat_id>/theory/template.xlsx", theory_template, name="theory-template"),
    path("heats/<int:heat_id>/export.xlsx", heat_export, name="heat-export"),
]
