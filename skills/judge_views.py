"""The judges' side: the heats they mark, and one marking sheet per heat and component.

Blind marking: before the heat is locked a judge sees station numbers only (no name, no
unit) and only their own marks; after the lock the names are shown and the marks read-only.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from competitions.services import error_text

from .models import ComponentScore, Heat, HeatJudge
from .services import save_marks


@login_required
def judging(request):
    """The heats the user judges, with how many of the entries they have marked."""
    own_marks = (
        ComponentScore.objects.filter(
            entry__heat_id=OuterRef("heat_id"),
            component=OuterRef("component"),
            judge=request.user,
        )
        .order_by()
        .values("entry__heat_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    assignments = (
        HeatJudge.objects.filter(judge=request.user)
        .select_related("heat__tier__event__campaign")
        .annotate(entry_count=Count("heat__entries"), marked=Subquery(own_marks))
        .order_by("heat__locked_at", "heat__tier__event__trade", "heat__name")
    )
    return render(request, "skills/judging.html", {"assignments": assignments})


def _sheet(request, heat_id, component) -> tuple[Heat, HeatJudge]:
    assignment = get_object_or_404(
        HeatJudge.objects.select_related("heat__tier__event__campaign"),
        heat_id=heat_id,
        component=component,
        judge=request.user,
    )
    return assignment.heat, assignment


@login_required
def mark(request, heat_id, component):
    heat, assignment = _sheet(request, heat_id, component)
    locked = heat.locked_at is not None
    entries = list(heat.entries.order_by("station_number"))
    if locked:
        entries = list(
            heat.entries.select_related("contestant__person", "contestant__unit").order_by(
                "station_number"
            )
        )
    errors = {}
    if request.method == "POST":
        if locked:
            messages.error(request, _("This heat is locked; its scores can no longer change."))
            return redirect("skills:mark", heat_id=heat.pk, component=component)
        values = {e.pk: request.POST.get(f"mark-{e.pk}", "") for e in entries}
        try:
            count = save_marks(heat, request.user, component, values)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                errors = {station: " ".join(m) for station, m in error.message_dict.items()}
                messages.error(request, _("Nothing was saved; correct the marked stations."))
            else:
                messages.error(request, error_text(error))
        except PermissionDenied as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request,
                _("Marks saved: %(count)d of %(total)d stations.")
                % {"count": count, "total": len(entries)},
            )
            return redirect("skills:mark", heat_id=heat.pk, component=component)
    saved = dict(
        ComponentScore.objects.filter(
            entry__heat=heat, component=component, judge=request.user
        ).values_list("entry_id", "value")
    )
    rows = []
    for entry in entries:
        value = request.POST.get(f"mark-{entry.pk}") if errors else saved.get(entry.pk)
        rows.append(
            {
                "entry": entry,
                "value": "" if value is None else value,
                "error": errors.get(entry.station_number, ""),
                "missing": entry.pk not in saved,
            }
        )
    context = {
        "heat": heat,
        "event": heat.tier.event,
        "assignment": assignment,
        "rows": rows,
        "locked": locked,
        "marked": len(saved),
    }
    return render(request, "skills/mark.html", context)


urlpatterns = [
    path("judging/", judging, name="judging"),
    path("heats/<int:heat_id>/mark/<str:component>/", mark, name="mark"),
]
