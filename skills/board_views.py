"""The public results board of a skill event (a screen in the competition hall) and the
explanation of an entry's result.

The board shows every heat of the event, latest tier first and, within a tier, the heats
still being marked first, then the most recently locked. A locked heat shows the results stored
on its entries at the lock; a heat still being marked shows only how many entries are fully
marked (no names, no scores: blind marking). The page refreshes itself through
``static/js/live-region.js``, which fetches ``?fragment=1`` for the results region. The number
of queries does not depend on the number of heats or entries.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache

from . import explain as explaining
from . import services
from .models import Heat, HeatEntry, SkillEvent
from .queries import runs_event
from .services import Progress

DEFAULT_EVERY = 15  # seconds between refreshes
MAX_EVERY = 3600


def refresh_seconds(raw) -> int:
    """The refresh interval of ``?every=``: whole seconds from 1 to an hour, else 15."""
    try:
        seconds = int(raw)
    except (TypeError, ValueError):
        return DEFAULT_EVERY
    return seconds if 1 <= seconds <= MAX_EVERY else DEFAULT_EVERY


@dataclass
class BoardHeat:
    heat: Heat
    entries: list = field(default_factory=list)  # locked heats: stored results in rank order
    progress: Progress | None = None  # heats still being marked

    @property
    def marked(self) -> int:
        return self.progress.entries - len(self.progress.missing)

    @property
    def percent(self) -> int:
        if not self.progress or not self.progress.entries:
            return 0
        return round(100 * self.marked / self.progress.entries)


@dataclass
class BoardTier:
    tier: object
    heats: list = field(default_factory=list)


def load_board(event: SkillEvent) -> list[BoardTier]:
    """The event's tiers with their heats, latest tier first; within a tier the heats still
    being marked, then the most recently locked first."""
    heats = list(
        Heat.objects.filter(tier__event=event)
        .select_related("tier")
        .order_by("-tier__order", "-tier__pk", F("locked_at").desc(nulls_first=True), "name", "pk")
    )
    locked = [h.pk for h in heats if h.locked_at is not None]
    by_heat = defaultdict(list)
    if locked:
        for entry in (
            HeatEntry.objects.filter(heat_id__in=locked)
            .select_related("contestant__person", "contestant__unit")
            .order_by("heat_id", F("rank").asc(nulls_last=True), "station_number")
        ):
            by_heat[entry.heat_id].append(entry)
    progress = services.progress_of(h.pk for h in heats if h.locked_at is None)
    tiers = []
    for heat in heats:
        if not tiers or tiers[-1].tier.pk != heat.tier_id:
            tiers.append(BoardTier(heat.tier))
        tiers[-1].heats.append(BoardHeat(heat, by_heat.get(heat.pk, []), progress.get(heat.pk)))
    return tiers


@never_cache
def board(request, event_id):
    """The public results board; ``?fragment=1`` renders only the results region (for the
    page's own refresh), ``?every=N`` refreshes every N seconds instead of 15."""
    # Campaigns still in preparation are not shown in public.
    event = get_object_or_404(
        SkillEvent.objects.select_related("campaign").exclude(campaign__status="draft"),
        pk=event_id,
    )
    context = {
        "event": event,
        "tiers": load_board(event),
        "updated": timezone.localtime().strftime("%H:%M:%S"),
        "every": refresh_seconds(request.GET.get("every")),
    }
    if request.GET.get("fragment"):
        return render(request, "skills/board/_results.html", context)
    return render(request, "skills/board/board.html", context)


def explanation(request, entry_id):
    """How an entry's result came about. Public once the heat is locked (its results are on
    the board); before that only for the staff who run the event, with live numbers."""
    entry = get_object_or_404(
        HeatEntry.objects.select_related(
            "heat__tier__event__campaign", "contestant__person", "contestant__unit"
        ),
        pk=entry_id,
    )
    event = entry.heat.tier.event
    staff = runs_event(request.user, event)
    if entry.heat.locked_at is None and not staff:
        raise Http404
    return render(
        request,
        "skills/board/explanation.html",
        {
            "entry": entry,
            "event": event,
            "x": explaining.explain(entry, names=staff),
            "staff": staff,
        },
    )


urlpatterns = [
    path("board/<int:event_id>/", board, name="board"),
    path("entries/<int:entry_id>/explain/", explanation, name="explain"),
]
