"""Periodic summaries (月报 / 季报 / 年度综述) of a campaign and of each of its zones.

A ``SummaryBuild`` is one run for one campaign and period; it stores a ``SummarySnapshot`` of
figures for the whole campaign and one for each zone, so history is never overwritten. Celery
beat runs every night and builds the month that has just ended once, in its first night (and
the quarter and the year when they end with that month, ``schedule_period_summaries``);
staff can build any period on request (``request_build``).

What the figures mean (``compute_figures``), for a scope (campaign or zone) and a period
``start``–``end`` (calendar dates, Asia/Shanghai):

- projects by state: every project of the scope declared before the period ended, in the state
  it was in when the period ended (the last review step before then, from the project's
  history; a project without history counts in its current state). A build made later for a
  past period therefore shows that period, not today.
- projects taking part: those approved, running or completed at the end of the period.
- units taking part: distinct units with a project taking part (and, for a skill contest,
  with a registered contestant).
- people taking part: a project's reports name the workers taking part in each reporting
  period; the same workers are counted again every month, so per project the largest figure
  of its reports in the period counts, summed over the projects (the peak workforce). Skill
  contests also give their registered contestants.
- progress figures (proposals and their economic benefit in yuan, innovations, people
  trained, hidden dangers found / fixed, safety incidents, quality issues): sums over the
  reports whose reporting period ends within the period and that are filed (submitted or
  accepted; a returned report counts again once resubmitted).
- reports due: the reports whose due date falls within the period and has passed when the
  summary is built, in the states of the staff report grid (``report_grid.state_conditions``):
  on time, late, returned, missing. The on-time rate is on time / due, in percent.
- results: zones whose every stage was locked before the period ended, the number of ranked
  entries in them (final results, complete, not vetoed, of projects not withdrawn or
  rejected) and their top three.
- honours: entries of confirmed honours lists (confirmed before the period ended, not
  removed) and instant honours awarded before then, by honour type: in the period and in
  total. An honour counts in a zone through its project (or the zone of its rule).

Each snapshot costs the same number of queries however many projects, reports or honours the
campaign has. Decimals are stored as strings so the figures stay exact in JSON.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from competitions.models import (
    Campaign,
    ProgressReport,
    Project,
    ProjectTransition,
    Stage,
    Unit,
    Zone,
)
from competitions.report_grid import state_conditions
from competitions.reporting import add_months
from dispatch import send_on_commit
from scoring.services import require_staff_of

from .models import HonourList, HonourListEntry, HonourType, InstantHonour, SummaryBuild

Period = SummaryBuild.Period
State = SummaryBuild.State

PERIOD_MONTHS = {Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12}
TAKING_PART = (Project.Status.APPROVED, Project.Status.RUNNING, Project.Status.COMPLETED)
FILED = (ProgressReport.Status.SUBMITTED, ProgressReport.Status.ACCEPTED)
TOP = 3  # places of each zone's ranking shown in a summary
# A build still queued or running after this long was lost (its worker died and the message
# with it): it no longer blocks "build now", and the beat job builds it again.
STALE_AFTER = datetime.timedelta(hours=1)


# Periods ----------------------------------------------------------------------------------


def period_bounds(period: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the month, quarter or year that contains ``day``."""
    if period not in PERIOD_MONTHS:
        raise ValidationError(_("Choose a month, a quarter or a year."))
    if period == Period.MONTH:
        start = day.replace(day=1)
    elif period == Period.QUARTER:
        start = datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    else:
        start = datetime.date(day.year, 1, 1)
    end = add_months(start, PERIOD_MONTHS[period]) - datetime.timedelta(days=1)
    return start, end


def periods_ending(last_day: datetime.date) -> list[tuple[str, datetime.date, datetime.date]]:
    """The periods that end on ``last_day`` (the last day of a month): the month always, the
    quarter after March, June, September and December, the year after December."""
    found = []
    for period in (Period.MONTH, Period.QUARTER, Period.YEAR):
        start, end = period_bounds(period, last_day)
        if end == last_day:
            found.append((period, start, end))
    return found


def last_month_end(today: datetime.date) -> datetime.date:
    """The last day of the month before ``today``'s."""
    return today.replace(day=1) - datetime.timedelta(days=1)


def period_label(period: str, start: datetime.date) -> str:
    """The period's name in the active language: "2026-03", "2026 Q1", "Year 2026"."""
    if period == Period.MONTH:
        return _("%(year)s-%(month)02d") % {"year": start.year, "month": start.month}
    if period == Period.QUARTER:
        return _("%(year)s Q%(quarter)s") % {"year": start.year, "quarter": start.month // 3 + 1}
    return _("Year %(year)s") % {"year": start.year}


def _moment(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day``, in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _money(value) -> Decimal:
    """Yuan to the fen (SQLite sums decimals without their scale)."""
    return Decimal(value).quantize(Decimal("0.01"))


def _percent(part: int, whole: int) -> str | None:
    if not whole:
        return None
    return str((Decimal(100) * part / whole).quantize(Decimal("0.1")))


# Figures ----------------------------------------------------------------------------------


def status_at(moment: datetime.datetime):
    """An expression for a project's state at ``moment``: the target of its last review step
    before then; before its first step, the state that step left; without any history, its
    current state (projects imported or created directly)."""
    steps = ProjectTransition.objects.filter(project_id=OuterRef("pk")).order_by()
    last_before = steps.filter(created_at__lt=moment).order_by("-created_at", "-pk")
    first = steps.order_by("created_at", "pk")
    return Coalesce(
        Subquery(last_before.values("to_status")[:1]),
        Subquery(first.values("from_status")[:1]),
        F("status"),
    )


def compute_figures(campaign, zone, start, end, today=None) -> dict:
    """The figures of ``campaign`` (or of one ``zone`` of it) for the period ``start``–``end``,
    as JSON-safe values (see the module's docstring for their definitions).

    ``today`` decides which reports are past their due date (the build's day). A fixed number
    of queries, whatever the size of the campaign."""
    today = today or timezone.localdate()
    start_at, end_at = _moment(start), _moment(end + datetime.timedelta(days=1))
    campaign_scope = zone is None

    projects = Project.objects.filter(campaign=campaign, created_at__lt=end_at)
    if zone is not None:
        projects = projects.filter(zone=zone)
    projects = projects.annotate(state_then=status_at(end_at))
    by_state = dict.fromkeys(Project.Status.values, 0)
    for row in projects.values("state_then").annotate(n=Count("pk")).order_by():
        by_state[row["state_then"]] = row["n"]
    taking_part = projects.filter(state_then__in=TAKING_PART)

    units = Q(pk__in=taking_part.values("unit_id"))
    if campaign_scope and campaign.kind == Campaign.Kind.SKILL:
        from skills.models import Contestant

        units |= Q(pk__in=Contestant.objects.filter(event__campaign=campaign).values("unit_id"))
    unit_count = Unit.objects.filter(units).count()

    reports = ProgressReport.objects.filter(project__campaign=campaign)
    if zone is not None:
        reports = reports.filter(project__zone=zone)
    in_period = Q(period_end__gte=start, period_end__lte=end)
    filed = in_period & Q(status__in=FILED)
    due = Q(due_date__gte=start, due_date__lte=end)
    states = state_conditions(today)
    totals = reports.filter(in_period | due).aggregate(
        due=Count("pk", filter=due & ~states["open"]),
        on_time=Count("pk", filter=due & states["on_time"]),
        late=Count("pk", filter=due & states["late"]),
        returned=Count("pk", filter=due & states["returned"]),
        missing=Count("pk", filter=due & states["missing"]),
        filed=Count("pk", filter=filed),
        proposals=Sum("proposals", filter=filed, default=0),
        benefit=Sum("proposals_benefit", filter=filed, default=Decimal(0)),
        innovations=Sum("innovations", filter=filed, default=0),
        trained=Sum("people_trained", filter=filed, default=0),
        found=Sum("hidden_dangers_found", filter=filed, default=0),
        fixed=Sum("hidden_dangers_fixed", filter=filed, default=0),
        incidents=Sum("safety_incidents", filter=filed, default=0),
        quality=Sum("quality_issues", filter=filed, default=0),
    )
    # The peak workforce of each project in the period, summed (an aggregate over an
    # aggregate: Django runs it as one query with a subquery).
    workers = (
        reports.filter(filed)
        .values("project_id")
        .annotate(peak=Max("workers"))
        .aggregate(total=Sum("peak", default=0))["total"]
    )
    contestants = None
    if campaign_scope and campaign.kind == Campaign.Kind.SKILL:
        from skills.models import Contestant

        contestants = Contestant.objects.filter(event__campaign=campaign).count()

    return {
        "scope": {
            "zone_id": zone.pk if zone is not None else None,
            "zone_name": zone.name if zone is not None else None,
            "campaign": campaign.title,
        },
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "units": unit_count,
        "projects": {
            "taking_part": sum(by_state[s] for s in TAKING_PART),
            "declared": sum(by_state.values()),
            "by_state": by_state,
        },
        "people": {"workers": workers, "contestants": contestants},
        "reports": {
            "due": totals["due"],
            "on_time": totals["on_time"],
            "late": totals["late"],
            "returned": totals["returned"],
            "missing": totals["missing"],
            "on_time_rate": _percent(totals["on_time"], totals["due"]),
            "filed": totals["filed"],
        },
        "proposals": {"count": totals["proposals"], "benefit": str(_money(totals["benefit"]))},
        "innovations": totals["innovations"],
        "people_trained": totals["trained"],
        "safety": {
            "hidden_dangers_found": totals["found"],
            "hidden_dangers_fixed": totals["fixed"],
            "fix_rate": _percent(totals["fixed"], totals["found"]),
            "incidents": totals["incidents"],
            "quality_issues": totals["quality"],
        },
        "results": _results(campaign, zone, end_at),
        "honours": _honours(campaign, zone, start_at, end_at),
    }


def _results(campaign, zone, end_at) -> dict:
    """Zones with every stage locked before ``end_at``, their ranked entries and top three."""
    from scoring.models import FinalResult

    stage_count = Stage.objects.filter(campaign=campaign).count()
    zones = Zone.objects.filter(campaign=campaign)
    if zone is not None:
        zones = zones.filter(pk=zone.pk)
    locked = []
    if stage_count:
        locked = list(
            zones.annotate(locks=Count("stage_locks", filter=Q(stage_locks__locked_at__lt=end_at)))
            .filter(locks=stage_count)
            .values_list("pk", flat=True)
        )
    ranked = (
        FinalResult.objects.filter(
            zone_id__in=locked, complete=True, vetoed=False, rank__isnull=False
        )
        .exclude(project__status__in=[Project.Status.WITHDRAWN, Project.Status.REJECTED])
        .order_by()
    )
    count = ranked.count() if locked else 0
    top = []
    if locked:
        rows = (
            ranked.filter(rank__lte=TOP)
            .select_related("project__unit", "zone")
            .order_by("zone__order", "zone_id", "rank", "project__title")
        )
        top = [
            {
                "zone_id": row.zone_id,
                "zone": row.zone.name,
                "rank": row.rank,
                "project": row.project.title,
                "unit": row.project.unit.name,
                "score": str(row.score),
            }
            for row in rows
        ]
    return {"stages": stage_count, "zones_locked": len(locked), "ranked": count, "top": top}


def _honours(campaign, zone, start_at, end_at) -> dict:
    entries = HonourListEntry.objects.filter(
        honour_list__rule__campaign=campaign,
        honour_list__status=HonourList.Status.CONFIRMED,
        honour_list__confirmed_at__lt=end_at,
        removed_at__isnull=True,
    )
    instant = InstantHonour.objects.filter(campaign=campaign, awarded_at__lt=end_at)
    if zone is not None:
        entries = entries.filter(
            Q(project__zone=zone) | Q(project__isnull=True, honour_list__rule__zone=zone)
        )
        instant = instant.filter(project__zone=zone)
    by_type = {}

    def add(rows, prefix):
        for row in rows:
            item = by_type.setdefault(
                row["type_id"],
                {
                    "honour_type_id": row["type_id"],
                    "name": row["name"],
                    "level": row["level"],
                    "confirmed_in_period": 0,
                    "confirmed_total": 0,
                    "instant_in_period": 0,
                    "instant_total": 0,
                },
            )
            item[f"{prefix}_in_period"] = row["in_period"]
            item[f"{prefix}_total"] = row["total"]

    honour_type = "honour_list__rule__honour_type"
    add(
        entries.values(
            type_id=F(f"{honour_type}_id"),
            name=F(f"{honour_type}__name"),
            level=F(f"{honour_type}__level"),
        )
        .annotate(
            total=Count("pk"),
            in_period=Count("pk", filter=Q(honour_list__confirmed_at__gte=start_at)),
        )
        .order_by(),
        "confirmed",
    )
    add(
        instant.values(
            type_id=F("honour_type_id"), name=F("honour_type__name"), level=F("honour_type__level")
        )
        .annotate(total=Count("pk"), in_period=Count("pk", filter=Q(awarded_at__gte=start_at)))
        .order_by(),
        "instant",
    )
    rows = sorted(by_type.values(), key=lambda item: (item["name"], item["level"]))
    keys = ("confirmed_in_period", "confirmed_total", "instant_in_period", "instant_total")
    totals = {key: sum(item[key] for item in rows) for key in keys}
    return {"by_type": rows, **totals}


# What the pages and exports show, in order: (path in the figures, label). -------------------

FIGURE_ROWS = [
    ("units", gettext_lazy("Units taking part")),
    ("projects.taking_part", gettext_lazy("Projects taking part")),
    ("projects.declared", gettext_lazy("Projects declared")),
    ("people.workers", gettext_lazy("People taking part (peak per project)")),
    ("people.contestants", gettext_lazy("Contestants registered")),
    ("reports.due", gettext_lazy("Reports due")),
    ("reports.on_time", gettext_lazy("Reports filed on time")),
    ("reports.late", gettext_lazy("Reports filed late")),
    ("reports.returned", gettext_lazy("Reports returned")),
    ("reports.missing", gettext_lazy("Reports missing")),
    ("reports.on_time_rate", gettext_lazy("On-time rate (%)")),
    ("proposals.count", gettext_lazy("Rational proposals")),
    ("proposals.benefit", gettext_lazy("Economic benefit (yuan)")),
    ("innovations", gettext_lazy("Technical innovations")),
    ("people_trained", gettext_lazy("People trained")),
    ("safety.hidden_dangers_found", gettext_lazy("Hidden dangers found")),
    ("safety.hidden_dangers_fixed", gettext_lazy("Hidden dangers fixed")),
    ("safety.fix_rate", gettext_lazy("Hidden dangers fixed (%)")),
    ("safety.incidents", gettext_lazy("Safety incidents")),
    ("safety.quality_issues", gettext_lazy("Quality issues")),
    ("results.zones_locked", gettext_lazy("Zones with final results")),
    ("results.ranked", gettext_lazy("Ranked entries")),
    ("honours.confirmed_in_period", gettext_lazy("Honours confirmed in the period")),
    ("honours.confirmed_total", gettext_lazy("Honours confirmed in total")),
    ("honours.instant_in_period", gettext_lazy("Instant honours in the period")),
    ("honours.instant_total", gettext_lazy("Instant honours in total")),
]


def figure(figures: dict, path: str):
    """The value at ``path`` ("reports.on_time_rate") of a snapshot's figures, or None."""
    value = figures
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def level_label(level: str) -> str:
    try:
        return str(HonourType.Level(level).label)
    except ValueError:
        return level


# Builds -----------------------------------------------------------------------------------


def _busy(campaign, now):
    return SummaryBuild.objects.filter(
        campaign=campaign,
        state__in=[State.QUEUED, State.RUNNING],
        created_at__gte=now - STALE_AFTER,
    )


def check_period(campaign, start, end, today) -> None:
    """Refuse periods that cannot be summarised: not begun, or outside the campaign."""
    if campaign.status == Campaign.Status.DRAFT:
        raise ValidationError(
            _("The campaign is still in preparation: there is nothing to summarise yet.")
        )
    if start > today:
        raise ValidationError(_("This period has not begun yet."))
    if start > campaign.end_date or end < campaign.start_date:
        raise ValidationError(
            _("The campaign ran from %(start)s to %(end)s, not in this period.")
            % {"start": campaign.start_date, "end": campaign.end_date}
        )


def request_build(campaign, user, period: str, day: datetime.date, today=None) -> SummaryBuild:
    """Staff build the summary of the month, quarter or year that contains ``day`` now.

    Guarantees: staff of the campaign only (PermissionDenied); a period that has begun and
    overlaps the campaign (ValidationError); refused while another build of the campaign is
    queued or running, so two requests at once give one build (the campaign row is locked).
    The build is recorded as queued and ``tasks.build_summary`` sent after the commit; it is
    kept beside the scheduled build of the period, never replacing it."""
    from .tasks import build_summary

    require_staff_of(campaign, user)
    if not isinstance(day, datetime.date):
        raise ValidationError(_("Give a date within the period."))
    start, end = period_bounds(period, day)
    check_period(campaign, start, end, today or timezone.localdate())
    with transaction.atomic():
        Campaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)
        busy = _busy(campaign, timezone.now()).first()
        if busy is not None:
            raise ValidationError(
                _(
                    "A summary of this campaign (%(period)s) is being built already; "
                    "wait until it is done."
                )
                % {"period": period_label(busy.period, busy.period_start)}
            )
        build = SummaryBuild.objects.create(
            campaign=campaign,
            period=period,
            period_start=start,
            period_end=end,
            trigger=SummaryBuild.Trigger.MANUAL,
            requested_by=user,
        )
        send_on_commit(build_summary, build.pk)
    return build


def _requeue(build, now) -> bool:
    """Queue a scheduled build again if it failed or was lost; under a row lock so two runs
    of the job queue it once. Returns whether it was queued."""
    build = SummaryBuild.objects.select_for_update().get(pk=build.pk)
    lost = build.state in (State.QUEUED, State.RUNNING) and build.created_at < now - STALE_AFTER
    if build.state != State.FAILED and not lost:
        return False
    build.state, build.progress, build.error, build.finished_at = State.QUEUED, 0, "", None
    build.created_at = now  # restarts the clock of STALE_AFTER
    build.save(update_fields=["state", "progress", "error", "created_at", "finished_at"])
    return True


def schedule_period_summaries(today: datetime.date | None = None) -> list[SummaryBuild]:
    """Queue the scheduled summaries of the month before ``today`` (and of the quarter and
    the year ending with it) for every campaign that ran then (not in preparation, dates
    overlapping the period); and queue again the scheduled builds of earlier periods that
    failed or were lost, so no month stays without its summary.

    Idempotent and safe to run again: a scheduled build exists once per campaign, period and
    start (a database constraint). An existing one is queued again only when it failed or
    was lost (queued or running for longer than ``STALE_AFTER``). Returns the builds queued."""
    from .tasks import build_summary

    today = today or timezone.localdate()
    now = timezone.now()
    queued = []
    for period, start, end in periods_ending(last_month_end(today)):
        campaigns = Campaign.objects.exclude(status=Campaign.Status.DRAFT).filter(
            start_date__lte=end, end_date__gte=start
        )
        for campaign in campaigns.order_by("pk"):
            with transaction.atomic():
                build, created = SummaryBuild.objects.get_or_create(
                    campaign=campaign,
                    period=period,
                    period_start=start,
                    trigger=SummaryBuild.Trigger.SCHEDULED,
                    defaults={"period_end": end},
                )
                if created or _requeue(build, now):
                    send_on_commit(build_summary, build.pk)
                    queued.append(build)
    unfinished = SummaryBuild.objects.filter(
        trigger=SummaryBuild.Trigger.SCHEDULED, period_start__lt=last_month_end(today)
    ).filter(Q(state=State.FAILED) | Q(state__in=[State.QUEUED, State.RUNNING]))
    for build in unfinished.exclude(pk__in=[b.pk for b in queued]).order_by("period_start"):
        with transaction.atomic():
            if _requeue(build, now):
                send_on_commit(build_summary, build.pk)
                queued.append(build)
    return queued


def record_build(build_id: int, state: str, progress: int, error: str = "") -> None:
    """Store the build's state for pages to poll (one UPDATE, outside the snapshots'
    transactions, so a polling page sees it at once)."""
    finished = timezone.now() if state in (State.DONE, State.FAILED) else None
    SummaryBuild.objects.filter(pk=build_id).update(
        state=state, progress=progress, error=error, finished_at=finished
    )


def run_build(build_id: int, today: datetime.date | None = None) -> SummaryBuild:
    """Compute and store the snapshots of a build: the campaign, then each zone.

    Guarantees: a finished build is left as it is (a redelivered task does nothing); each
    snapshot is written in its own transaction, replacing the one a failed attempt left, and
    the progress is recorded after each; on an error the build is recorded as failed with
    the message and the error raised again (the task retries database errors)."""
    from .models import SummarySnapshot

    build = SummaryBuild.objects.select_related("campaign").get(pk=build_id)
    if build.state == State.DONE:
        return build
    record_build(build.pk, State.RUNNING, 0)
    campaign = build.campaign
    today = today or timezone.localdate()
    try:
        zones = list(campaign.zones.order_by("order", "pk"))
        scopes = [None, *zones]
        for index, zone in enumerate(scopes, start=1):
            figures = compute_figures(
                campaign, zone, build.period_start, build.period_end, today=today
            )
            with transaction.atomic():
                SummarySnapshot.objects.update_or_create(
                    build=build, zone=zone, defaults={"figures": figures}
                )
            record_build(build.pk, State.RUNNING, min(99, 100 * index // len(scopes)))
        # Zones removed since a failed attempt leave no snapshot behind.
        build.snapshots.filter(zone__isnull=False).exclude(zone__in=zones).delete()
    except Exception as error:
        record_build(build.pk, State.FAILED, 0, str(error) or error.__class__.__name__)
        raise
    record_build(build.pk, State.DONE, 100)
    build.refresh_from_db()
    return build


def latest_build(campaign):
    """The campaign's most recently finished summary."""
    return (
        SummaryBuild.objects.filter(campaign=campaign, state=State.DONE)
        .order_by("-finished_at", "-pk")
        .first()
    )


# The overview screen's figures of the moment ----------------------------------------------


def live_counts(campaign, today: datetime.date) -> dict:
    """Figures of the moment, beside the latest summary: projects running, this month's
    reports by state, honours confirmed and given at once. Four queries."""
    projects = Project.objects.filter(campaign=campaign).aggregate(
        running=Count("pk", filter=Q(status=Project.Status.RUNNING)),
        taking_part=Count("pk", filter=Q(status__in=TAKING_PART)),
    )
    start, end = period_bounds("month", today)
    states = state_conditions(today)
    reports = ProgressReport.objects.filter(
        project__campaign=campaign, due_date__gte=start, due_date__lte=end
    ).aggregate(
        due=Count("pk"),
        on_time=Count("pk", filter=states["on_time"]),
        late=Count("pk", filter=states["late"]),
        missing=Count("pk", filter=states["missing"]),
        open=Count("pk", filter=states["open"] | states["returned"]),
    )
    confirmed = HonourListEntry.objects.filter(
        honour_list__rule__campaign=campaign,
        honour_list__status=HonourList.Status.CONFIRMED,
        removed_at__isnull=True,
    ).count()
    instant = InstantHonour.objects.filter(campaign=campaign).count()
    return {
        **projects,
        "reports": reports,
        "month": period_label("month", start),
        "honours_confirmed": confirmed,
        "honours_instant": instant,
    }
