from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .models import CampaignRegistration, ProgressReport, ProjectTransition
from .queries import ancestor_paths

MESSAGES = {
    "submit": gettext_noop("%(unit)s submitted the declaration “%(project)s” for review."),
    "withdraw": gettext_noop("%(unit)s withdrew the declaration “%(project)s”."),
    "return": gettext_noop("The declaration “%(project)s” was returned for revision."),
    "approve": gettext_noop("The declaration “%(project)s” was approved."),
    "reject": gettext_noop("The declaration “%(project)s” was rejected."),
    "start": gettext_noop("The project “%(project)s” is now running."),
    "complete": gettext_noop("The project “%(project)s” was marked completed."),
    "pending": gettext_noop("%(unit)s asks to take part in “%(campaign)s”."),
    "approved": gettext_noop("%(unit)s may take part in “%(campaign)s”: registration approved."),
    "refused": gettext_noop("The registration of %(unit)s for “%(campaign)s” was refused."),
}
REPORT_MESSAGES = {
    "submitted": gettext_noop("%(unit)s submitted the report %(period)s of “%(project)s”."),
    "accepted": gettext_noop("The report %(period)s of “%(project)s” was accepted."),
    "returned": gettext_noop("The report %(period)s of “%(project)s” was returned."),
    "reminder": gettext_noop("The report %(period)s of “%(project)s” is due on %(due)s."),
    "overdue": gettext_noop(
        "The report %(period)s of “%(project)s” is overdue: it was due on %(due)s."
    ),
}


def reviewers_of(unit, campaign) -> list:
    """The staff who decide for ``unit`` in ``campaign``: those of the unit's organisation and
    the unions above it, up to the campaign's organisers (higher levels are not told of every
    declaration)."""
    User = get_user_model()
    organiser_paths = [campaign.organiser.path, *(o.path for o in campaign.co_organisers.all())]
    staff = User.objects.filter(
        is_active=True,
        role=User.Role.ORGANISER,
        organisation__path__in=ancestor_paths(unit.organisation.path),
    ).select_related("organisation")
    return [
        user
        for user in staff
        if any(user.organisation.path.startswith(path) for path in organiser_paths)
    ]


def liaisons_of(unit) -> list:
    User = get_user_model()
    return list(User.objects.filter(is_active=True, role=User.Role.UNIT, unit=unit))


def notify(users, *, event: str, message: str, params: dict, body: str = "", url: str = ""):
    """Give each user one in-app notification for ``event`` and email those who have an
    address. Safe to retry: users who already have the notification get nothing again."""
    from accounts.models import Notification

    already = set(
        Notification.objects.filter(event=event, user__in=users).values_list("user_id", flat=True)
    )
    new = [user for user in users if user.pk not in already]
    with translation.override(settings.LANGUAGE_CODE):
        title = _(message) % params
    Notification.objects.bulk_create(
        [Notification(user=u, title=title, body=body, url=url, event=event) for u in new],
        ignore_conflicts=True,
    )
    text = "\n\n".join(part for part in (title, body, url) if part)
    for user in new:
        if user.email:
            send_mail(title, text, None, [user.email])
    return len(new)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_transition(transition_id: int) -> int:
    """Tell the reviewers when the unit acts on a declaration, and the unit otherwise."""
    step = ProjectTransition.objects.select_related(
        "project__unit__organisation", "project__campaign__organiser"
    ).get(pk=transition_id)
    project = step.project
    if step.action in ("submit", "withdraw"):
        users = reviewers_of(project.unit, project.campaign)
    else:
        users = liaisons_of(project.unit)
    return notify(
        [user for user in users if user.pk != step.actor_id],
        event=f"transition:{step.pk}",
        message=MESSAGES[step.action],
        params={"unit": project.unit, "project": project.title},
        body=step.comment,
        url=reverse("project-detail", args=[project.pk]),
    )


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_registration(registration_id: int) -> int:
    """A new registration goes to the reviewers; a decision goes to the unit."""
    registration = CampaignRegistration.objects.select_related(
        "unit__organisation", "campaign__organiser"
    ).get(pk=registration_id)
    if registration.status == CampaignRegistration.Status.PENDING:
        users, url = (
            reviewers_of(registration.unit, registration.campaign),
            reverse("registration-list"),
        )
    else:
        users, url = liaisons_of(registration.unit), reverse("home")
    return notify(
        users,
        event=f"registration:{registration.pk}:{registration.status}",
        message=MESSAGES[registration.status],
        params={"unit": registration.unit, "campaign": registration.campaign},
        body=registration.comment,
        url=url,
    )


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_report(report_id: int, event: str) -> int:
    """Reviewers hear of submitted reports; the unit of decisions, reminders and overdue
    reports. Each event reaches each person once."""
    report = ProgressReport.objects.select_related(
        "project__unit__organisation", "project__campaign__organiser", "reviewed_by"
    ).get(pk=report_id)
    project = report.project
    if event == "submitted":
        users, moment = reviewers_of(project.unit, project.campaign), report.submitted_at
    else:
        users = liaisons_of(project.unit)
        moment = report.reviewed_at if event in ("accepted", "returned") else report.due_date
    return notify(
        users,
        event=f"report:{report.pk}:{event}:{moment:%Y%m%d%H%M%S}",
        message=REPORT_MESSAGES[event],
        params={
            "unit": project.unit,
            "project": project.title,
            "period": report.period_label,
            "due": f"{report.due_date:%Y-%m-%d}",
        },
        body=report.review_comment if event == "returned" else "",
        url=reverse("report-detail", args=[report.pk]),
    )


@shared_task
def run_report_schedule() -> dict:
    """Daily: open the reports that are due and send reminders and overdue notices."""
    from .reporting import open_due_reports, send_reminders

    opened = open_due_reports()
    reminders, overdue = send_reminders()
    return {"opened": opened, "reminders": reminders, "overdue": overdue}
