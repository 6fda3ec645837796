"""Progress reports (进度填报): the schedule, filing, review and reminders.

Every change of a report's state goes through a function here, whichever door it comes in by.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import send_on_commit

from . import rules as competition_rules
from .models import Campaign, Milestone, ProgressReport, Project
from .services import TransitionConflict

Report = ProgressReport
MAX_REMINDER_DAYS = 27  # the largest lead time a campaign may set


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def campaign_periods(campaign: Campaign, until: datetime.date):
    """The campaign's reporting periods that have started by ``until``, as
    (start, end, due date) tuples, aligned to the month the campaign starts in."""
    step = campaign.report_every_months
    start = campaign.start_date.replace(day=1)
    last = min(until, campaign.end_date)
    while start <= last:
        following = add_months(start, step)
        end = following - datetime.timedelta(days=1)
        yield start, end, following.replace(day=campaign.report_due_day)
        start = following


def planned_percent(milestones: list[Milestone], period_end: datetime.date) -> Decimal:
    """Planned progress at the end of a period: the latest milestone on or before it."""
    planned = Decimal(0)
    for milestone in milestones:  # ordered by period
        if milestone.period <= period_end:
            planned = milestone.planned_percent
    return planned


def open_due_reports(today: datetime.date | None = None) -> int:
    """Open the reports that every running project owes up to ``today``.

    Idempotent: a report exists once per project and period (a database constraint), so
    running it again, or twice at once, opens nothing twice. Returns how many it opened.
    """
    today = today or timezone.localdate()
    projects = (
        Project.objects.filter(
            status=Project.Status.RUNNING,
            running_since__isnull=False,
            campaign__status=Campaign.Status.ACTIVE,
        )
        .select_related("campaign")
        .prefetch_related("milestones")
    )
    existing = set(
        Report.objects.filter(project__in=projects).values_list("project_id", "period_start")
    )
    new = []
    periods_of = {}
    for project in projects:
        campaign = project.campaign
        if campaign.pk not in periods_of:
            periods_of[campaign.pk] = list(campaign_periods(campaign, today))
        milestones = list(project.milestones.all())
        for start, end, due in periods_of[campaign.pk]:
            if end < project.running_since or (project.pk, start) in existing:
                continue
            new.append(
                Report(
                    project=project,
                    period_start=start,
                    period_end=end,
                    due_date=due,
                    planned_percent=planned_percent(milestones, end),
                )
            )
    Report.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return len(new)


def _check_figures(report: Report) -> None:
    if report.actual_percent is None:
        raise ValidationError(_("Enter the actual progress before submitting."))
    report.full_clean(exclude=["project"])


def submit_report(report: Report, user) -> Report:
    """The unit submits its report. Marks it late when first submitted after the due date.

    Raises PermissionDenied, TransitionConflict or ValidationError and changes nothing then.
    """
    with transaction.atomic():
        current = (
            Report.objects.select_for_update(of=("self",))  # the report's row only
            .select_related("project")
            .get(pk=report.pk)
        )
        if not competition_rules.is_liaison_of(user, current.project):
            raise PermissionDenied(_("Only the unit's liaison submits its reports."))
        if not current.is_editable:
            raise TransitionConflict(
                _("This report is “%(status)s” and cannot be submitted again.")
                % {"status": current.get_status_display()}
            )
        _check_figures(current)
        now = timezone.now()
        current.status = Report.Status.SUBMITTED
        current.submitted_at = now
        if current.first_submitted_at is None:
            current.first_submitted_at = now
            current.late = timezone.localdate(now) > current.due_date
        current.save()
        _queue(current, "submitted")
    report.refresh_from_db()
    return current


def review_report(report: Report, accept: bool, user, comment: str = "") -> Report:
    """Staff of the unit's organisation accept a submitted report or return it with a
    comment. Raises PermissionDenied, TransitionConflict or ValidationError otherwise."""
    comment = (comment or "").strip()
    with transaction.atomic():
        current = (
            Report.objects.select_for_update(of=("self",))  # not the project's, unit's rows
            .select_related("project__unit__organisation")
            .get(pk=report.pk)
        )
        if not competition_rules.may_review(user, current.project):
            raise PermissionDenied(_("You may not review reports of this unit."))
        if current.status != Report.Status.SUBMITTED:
            raise TransitionConflict(
                _("This report is “%(status)s”; only submitted reports are reviewed.")
                % {"status": current.get_status_display()}
            )
        if not accept and not comment:
            raise ValidationError(_("Please give a reason: the unit reads it."))
        current.status = Report.Status.ACCEPTED if accept else Report.Status.RETURNED
        current.reviewed_by, current.reviewed_at = user, timezone.now()
        current.review_comment = comment
        current.save()
        _queue(current, current.status)
    report.refresh_from_db()
    return current


def send_reminders(today: datetime.date | None = None) -> tuple[int, int]:
    """Remind units of reports due soon, and tell them of overdue ones: once each.

    Returns (reminders, overdue notices) queued.
    """
    from .tasks import notify_report

    today = today or timezone.localdate()
    open_states = [Report.Status.DUE, Report.Status.RETURNED]
    now = timezone.now()
    with transaction.atomic():
        # The reports' rows only (of=self): not their projects' and campaigns' (joined), which
        # would block declarations and certificates while the job runs, or be skipped.
        soon = list(
            Report.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status__in=open_states,
                reminder_sent_at__isnull=True,
                due_date__gte=today,
                due_date__lte=today + datetime.timedelta(days=MAX_REMINDER_DAYS),
            )
            .select_related("project__campaign")
        )
        # Each campaign sets its own lead time.
        soon = [
            r for r in soon if (r.due_date - today).days <= r.project.campaign.reminder_days_before
        ]
        overdue = list(
            Report.objects.select_for_update(skip_locked=True, of=("self",)).filter(
                status__in=open_states,
                overdue_notice_sent_at__isnull=True,
                due_date__lt=today,
            )
        )
        Report.objects.filter(pk__in=[r.pk for r in soon]).update(reminder_sent_at=now)
        Report.objects.filter(pk__in=[r.pk for r in overdue]).update(overdue_notice_sent_at=now)
        for report in soon:
            send_on_commit(notify_report, report.pk, "reminder")
        for report in overdue:
            send_on_commit(notify_report, report.pk, "overdue")
    return len(soon), len(overdue)


def _queue(report: Report, event: str) -> None:
    from .tasks import notify_report

    send_on_commit(notify_report, report.pk, event)


# How a report looks in the staff grid.
CELL_STATES = ("on_time", "late", "returned", "missing", "open")


def cell_state(report: Report, today: datetime.date) -> str:
    """on_time / late (submitted or accepted), returned, missing (past due, never
    submitted) or open (not yet due)."""
    if report.status in (Report.Status.SUBMITTED, Report.Status.ACCEPTED):
        return "late" if report.late else "on_time"
    if report.status == Report.Status.RETURNED:
        return "returned"
    return "missing" if report.due_date < today else "open"
