"""Contest pages: the events a user can see, one event with its tiers, heats and contestants,
unit registration, and the heat page where the competition office runs a heat (entering
contestants, drawing stations, completion times, lock and unlock)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from competitions import queries as competition_queries
from competitions.models import Person
from competitions.services import error_text

from . import queries, services
from .models import Contestant, Heat, HeatEntry, SkillEvent


def _event(user, event_id) -> SkillEvent:
    return get_object_or_404(queries.events_for_user(user).select_related("campaign"), pk=event_id)


def _heat(user, heat_id) -> Heat:
    return get_object_or_404(
        queries.heats_for_user(user).select_related("tier__event__campaign", "advances_to"),
        pk=heat_id,
    )


@login_required
def index(request):
    user = request.user
    if competition_queries.user_role(user) == "evaluator":
        return redirect("skills:judging")
    events = list(
        queries.events_for_user(user)
        .select_related("campaign")
        .annotate(
            contestant_count=Count("contestants", distinct=True),
            heat_count=Count("tiers__heats", distinct=True),
        )
        .order_by("-campaign__start_date", "campaign_id", "trade")
    )
    own = {}
    if competition_queries.user_role(user) == "unit":
        own = dict(
            Contestant.objects.filter(unit_id=user.unit_id, event__in=events)
            .values_list("event_id")
            .annotate(n=Count("pk"))
        )
    for event in events:
        event.small_field = event.contestant_count < event.min_field_size
        event.own_count = own.get(event.pk, 0)
    return render(request, "skills/index.html", {"events": events})


class RegisterForm(forms.Form):
    person = forms.ModelChoiceField(
        label=gettext_lazy("Registered worker"), queryset=Person.objects.none(), required=False
    )
    name = forms.CharField(
        label=gettext_lazy("Or a new worker: name"), max_length=64, required=False
    )
    job_title = forms.CharField(label=gettext_lazy("Job title"), max_length=64, required=False)

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(unit=unit).order_by("name")

    def clean(self):
        data = super().clean()
        if not data.get("person") and not (data.get("name") or "").strip():
            raise ValidationError(_("Choose a worker of your unit or give a new worker's name."))
        if data.get("person") and (data.get("name") or "").strip():
            raise ValidationError(_("Choose a worker or give a new name, not both."))
        return data


@login_required
def event_detail(request, event_id):
    user = request.user
    event = _event(user, event_id)
    staff = queries.runs_event(user, event)
    role = competition_queries.user_role(user)
    heat_entries = Prefetch(
        "heats",
        queryset=Heat.objects.annotate(
            entry_count=Count("entries"),
            advanced_count=Count("entries", filter=Q(entries__advanced=True)),
        ).order_by("name", "pk"),
    )
    tiers = list(event.tiers.prefetch_related(heat_entries).order_by("order", "pk"))
    contestants = (
        queries.contestants_for_user(user)
        .filter(event=event)
        .select_related("person", "unit")
        .prefetch_related(
            Prefetch(
                "entries",
                queryset=HeatEntry.objects.select_related("heat__tier").order_by(
                    "heat__tier__order"
                ),
            )
        )
        .order_by("unit__name", "person__name")
    )
    contestant_count = event.contestants.count()
    register_form = None
    if role == "unit":
        register_form = RegisterForm(unit=user.unit)
    context = {
        "event": event,
        "tiers": tiers,
        "contestants": contestants,
        "contestant_count": contestant_count,
        "small_field": contestant_count < event.min_field_size,
        "staff": staff,
        "register_form": register_form,
    }
    return render(request, "skills/event.html", context)


@login_required
@require_POST
def register(request, event_id):
    user = request.user
    event = _event(user, event_id)
    if competition_queries.user_role(user) != "unit":
        raise PermissionDenied(_("Units register their own workers; staff import a sheet."))
    form = RegisterForm(request.POST, unit=user.unit)
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(error))
        return redirect("skills:event", event_id=event.pk)
    person = form.cleaned_data["person"]
    try:
        if person is None:
            contestant = services.register_new_worker(
                event, user, form.cleaned_data["name"], form.cleaned_data["job_title"]
            )
        else:
            contestant = services.register(event, person, user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            _("%(person)s is registered for %(event)s.")
            % {"person": contestant.person, "event": event},
        )
    return redirect("skills:event", event_id=event.pk)


def _heat_rows(heat, user, staff):
    """The heat's entries the user may see (``entries_for_user``) with their marks count and,
    for staff before the lock, live results; after the lock the stored results."""
    entries = list(
        queries.entries_for_user(user)
        .filter(heat=heat)
        .select_related("contestant__person", "contestant__unit")
        .annotate(mark_count=Count("scores"))
        .order_by("station_number")
    )
    if heat.locked_at is not None:
        entries.sort(key=lambda e: (e.rank is None, e.rank or 0, e.station_number))
        return [{"entry": e, "total": e.total, "rank": e.rank} for e in entries]
    live = {}
    if staff:
        live = {row.entry.pk: row for row in services.heat_results(heat)}
    rows = []
    for entry in entries:
        result = live.get(entry.pk)
        rows.append(
            {
                "entry": entry,
                "total": result.total_rounded if result else None,
                "rank": result.rank if result else None,
            }
        )
    return rows


@login_required
def heat_detail(request, heat_id):
    user = request.user
    heat = _heat(user, heat_id)
    event = heat.tier.event
    staff = queries.runs_event(user, event)
    if competition_queries.user_role(user) == "evaluator":
        return redirect("skills:judging")
    context = {
        "heat": heat,
        "event": event,
        "staff": staff,
        "rows": _heat_rows(heat, user, staff),
        "names": queries.shows_names(heat, user),
        "progress": services.marking_progress(heat),
        "judges": heat.judges.select_related("judge"),
        "waiting": (queries.waiting_contestants(heat) if staff and heat.locked_at is None else []),
        "log": heat.log.select_related("actor")[:20],
        "next_tier": services.next_tier(heat.tier),
    }
    return render(request, "skills/heat.html", context)


def _staff_heat(request, heat_id) -> Heat:
    heat = _heat(request.user, heat_id)
    services.require_event_staff(heat.tier.event, request.user)
    return heat


def _act(request, heat, action, success):
    try:
        result = action()
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, success(result) if callable(success) else success)
    return redirect("skills:heat", heat_id=heat.pk)


@login_required
@require_POST
def enter(request, heat_id):
    heat = _staff_heat(request, heat_id)
    ids = request.POST.getlist("contestant")
    contestants = list(heat.tier.event.contestants.filter(pk__in=[i for i in ids if i.isdecimal()]))
    if not contestants:
        messages.error(request, _("Choose the contestants to enter."))
        return redirect("skills:heat", heat_id=heat.pk)
    return _act(
        request,
        heat,
        lambda: services.enter_contestants(heat, contestants, request.user),
        lambda entries: _("%(count)d contestants entered.") % {"count": len(entries)},
    )


@login_required
@require_POST
def remove(request, heat_id, entry_id):
    heat = _staff_heat(request, heat_id)
    entry = get_object_or_404(heat.entries, pk=entry_id)
    return _act(
        request,
        heat,
        lambda: services.remove_entry(entry, request.user),
        _("The contestant has left the heat."),
    )


@login_required
@require_POST
def draw(request, heat_id):
    heat = _staff_heat(request, heat_id)
    return _act(
        request,
        heat,
        lambda: services.draw_station_numbers(heat, request.user),
        _("Station numbers drawn."),
    )


def _parse_time(raw: str):
    """'mm:ss', 'h:mm:ss' or plain seconds; '' clears the time."""
    raw = (raw or "").strip()
    if not raw:
        return None
    parts = raw.split(":")
    # isdecimal(), not isdigit(): int() refuses digits such as "²".
    if len(parts) > 3 or not all(p.isdecimal() for p in parts):
        raise ValidationError(_("Enter a time as mm:ss, for example 42:30."))
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds


@login_required
@require_POST
def times(request, heat_id):
    heat = _staff_heat(request, heat_id)
    values, errors = {}, []
    for entry in heat.entries.all():
        key = f"time-{entry.pk}"
        if key not in request.POST:
            continue
        try:
            values[entry.pk] = _parse_time(request.POST[key])
        except ValidationError as error:
            errors.append(f"{entry.station_number}: {error_text(error)}")
    if errors:
        messages.error(request, " ".join(errors))
        return redirect("skills:heat", heat_id=heat.pk)
    return _act(
        request,
        heat,
        lambda: services.record_times(heat, request.user, values),
        _("Completion times saved."),
    )


@login_required
@require_POST
def lock(request, heat_id):
    heat = _staff_heat(request, heat_id)

    def done(outcome):
        text = _("%(heat)s is locked; the names are shown.") % {"heat": heat}
        if outcome.target is not None:
            text += " " + _("%(count)d contestants advance to %(target)s.") % {
                "count": len(outcome.advanced),
                "target": outcome.target,
            }
        if outcome.awards:
            text += " " + _("%(count)d prizes awarded.") % {"count": len(outcome.awards)}
        return text

    return _act(request, heat, lambda: services.lock_heat(heat, request.user), done)


@login_required
@require_POST
def unlock(request, heat_id):
    heat = _staff_heat(request, heat_id)
    return _act(
        request,
        heat,
        lambda: services.unlock_heat(heat, request.user, request.POST.get("reason", "")),
        _("%(heat)s is unlocked.") % {"heat": heat},
    )


urlpatterns = [
    path("", index, name="index"),
    path("events/<int:event_id>/", event_detail, name="event"),
    path("events/<int:event_id>/register/", register, name="register"),
    path("heats/<int:heat_id>/", heat_detail, name="heat"),
    path("heats/<int:heat_id>/enter/", enter, name="heat-enter"),
    path("heats/<int:heat_id>/entries/<int:entry_id>/remove/", remove, name="heat-remove"),
    path("heats/<int:heat_id>/draw/", draw, name="heat-draw"),
    path("heats/<int:heat_id>/times/", times, name="heat-times"),
    path("heats/<int:heat_id>/lock/", lock, name="heat-lock"),
    path("heats/<int:heat_id>/unlock/", unlock, name="heat-unlock"),
]
