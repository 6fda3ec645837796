"""What the load test needs on top of the province-scale dataset (``benchmarks/dataset.py``).

``add_load_data(name)`` gives a built dataset people who can log in and work to do, in bulk:

- union staff (organiser role) of the dataset's province union, of each city union and of
  each district union;
- one liaison (unit role) for every unit;
- the dataset's evaluators, as they are;
- every one of them with the same known password (``LOAD_PASSWORD``; one hash, computed once
  and set on all rows: hashing a thousand passwords would take minutes);
- declarations waiting for review (submitted projects, one for every ten entries);
- the progress reports of every running project for each monthly period of the campaign so
  far: the past ones mostly accepted (some submitted, waiting for review; some returned or
  still due), the current period's open for the units to fill in;
- the results and rankings of every zone, computed as the platform does.

``reset_open_reports(name)`` puts the current period's reports back to "due" with no
figures, so every run of the load test finds the same work. ``delete_load_data(name)``
removes all of it and then the dataset itself. Everything is named after the dataset
(usernames start with ``<name>-``), so a database may hold other data, or other datasets.
"""

import datetime
import random
import time

from auditlog.context import disable_auditlog
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from competitions.models import Campaign, Organisation, ProgressReport, Project, Unit, Zone
from competitions.reporting import campaign_periods
from scoring import results
from scoring.models import EvaluatorAssignment

from . import dataset
from .dataset import PREFIX, db_now, insert_rows

LOAD_PASSWORD = "load-test-Pa55word"  # noqa: S105 - a benchmark's throwaway accounts
SUBMITTED_SHARE = 10  # one declaration waiting for review for every ten entries
# The state of a past period's reports: accepted, submitted (waiting), returned, still due.
PAST_STATES = [ProgressReport.Status.ACCEPTED] * 17 + [
    ProgressReport.Status.SUBMITTED,
    ProgressReport.Status.RETURNED,
    ProgressReport.Status.DUE,
]
OPEN_FIGURES = {
    "actual_percent": None,
    "workers": 0,
    "hidden_dangers_found": 0,
    "hidden_dangers_fixed": 0,
    "safety_incidents": 0,
    "quality_issues": 0,
    "proposals": 0,
    "proposals_benefit": 0,
    "innovations": 0,
    "people_trained": 0,
    "narrative": "",
}


def staff_username(name, kind, index):
    return f"{name}-staff-{kind}{index:03d}"


def liaison_username(name, index):
    return f"{name}-unit-{index:05d}"


def _tree(name):
    root = Organisation.objects.get(name=f"{name} 浙江省总工会", depth=1)
    campaign = Campaign.objects.get(title=name, organiser=root)
    return root, campaign


def load_datasets():
    """The names of the datasets in the database that have their load data, newest first,
    with their number of entries: [(name, entries)]."""
    User = get_user_model()
    names = []
    for campaign in Campaign.objects.filter(title__startswith=PREFIX).order_by("-created_at"):
        if User.objects.filter(username=staff_username(campaign.title, "p", 1)).exists():
            entries = campaign.projects.filter(status__in=results.ENTRY_STATUSES).count()
            names.append((campaign.title, entries))
    return names


def open_period(campaign, today=None):
    """The (start, end, due) of the campaign's current reporting period: the last that has
    started by ``today`` (the first one before the campaign starts)."""
    today = today or timezone.localdate()
    periods = list(campaign_periods(campaign, max(today, campaign.start_date)))
    return periods[-1]


def add_load_data(name, *, seed=2016, log=None) -> dict:
    """Add the load test's users and work to dataset ``name`` (see the module's docstring)
    and compute its results. Returns the counts of what was added."""
    started = time.perf_counter()
    log = log or (lambda message: None)
    rng = random.Random(seed)
    User = get_user_model()
    root, campaign = _tree(name)
    password = make_password(LOAD_PASSWORD)
    counts = {}
    with disable_auditlog(), transaction.atomic():
        organisations = list(
            Organisation.objects.filter(path__startswith=root.path).order_by("path")
        )
        staff = []
        numbers = {"p": 0, "c": 0, "d": 0}
        for organisation in organisations:
            kind = {1: "p", 2: "c"}.get(organisation.depth, "d")
            for _copy in range(2 if kind == "p" else 1):
                numbers[kind] += 1
                staff.append(
                    User(
                        username=staff_username(name, kind, numbers[kind]),
                        display_name=f"{organisation.name.removeprefix(name).strip()} 工作人员",
                        role=User.Role.ORGANISER,
                        organisation=organisation,
                        password=password,
                    )
                )
        User.objects.bulk_create(staff, batch_size=2000)
        counts["staff"] = len(staff)

        units = list(Unit.objects.filter(organisation__path__startswith=root.path).order_by("pk"))
        User.objects.bulk_create(
            (
                User(
                    username=liaison_username(name, i + 1),
                    display_name=f"{unit.name} 联络员",
                    role=User.Role.UNIT,
                    unit=unit,
                    password=password,
                )
                for i, unit in enumerate(units)
            ),
            batch_size=2000,
        )
        counts["liaisons"] = len(units)
        counts["evaluators"] = User.objects.filter(
            username__startswith=f"{name}-z", role=User.Role.EVALUATOR
        ).update(password=password)

        zones = list(Zone.objects.filter(campaign=campaign).order_by("order"))
        entries = Project.objects.filter(campaign=campaign).count()
        now = timezone.now()
        declarations = Project.objects.bulk_create(
            (
                Project(
                    campaign=campaign,
                    zone=zones[i % len(zones)],
                    unit=units[rng.randrange(len(units))],
                    title=f"{zones[i % len(zones)].name}申报项目{i + 1:05d}",
                    status=Project.Status.SUBMITTED,
                    submitted_at=now - datetime.timedelta(minutes=i),
                    content="基准测试数据：等待审核的申报。",
                )
                for i in range(max(1, entries // SUBMITTED_SHARE))
            ),
            batch_size=2000,
        )
        counts["declarations"] = len(declarations)
        log(f"  users and declarations: {time.perf_counter() - started:.1f} s")

        # The running projects are read before the rows stream: the connection is busy
        # with COPY while they do.
        running = list(
            Project.objects.filter(campaign=campaign, status=Project.Status.RUNNING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        counts["reports"] = insert_rows(
            ProgressReport, REPORT_FIELDS, _reports(rng, campaign, running)
        )
        log(f"  {counts['reports']} progress reports: {time.perf_counter() - started:.1f} s")
    counts["results"] = results.recompute(zones=Zone.objects.filter(campaign=campaign))
    log(f"  results of {counts['results']} entries: {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        # Planner statistics of every table, as autovacuum would have them on a live
        # database: without them the organisation tree looks empty to the planner, and a
        # province's report list took 200 ms instead of 13.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return counts


REPORT_FIELDS = [
    "project",
    "period_start",
    "period_end",
    "due_date",
    "status",
    "planned_percent",
    *ProgressReport.FIGURES,
    "narrative",
    "submitted_at",
    "first_submitted_at",
    "late",
    "reviewed_at",
    "review_comment",
    "created_at",
    "updated_at",
]


def _reports(rng, campaign, running):
    """Report rows of every running project, one per period so far (see the module)."""
    today = timezone.localdate()
    periods = list(campaign_periods(campaign, max(today, campaign.start_date)))
    created = db_now()
    for project_id in running:
        progress = 0.0
        for number, (start, end, due) in enumerate(periods):
            current = number == len(periods) - 1
            status = ProgressReport.Status.DUE if current else rng.choice(PAST_STATES)
            if number < len(periods) - 2 and status != ProgressReport.Status.ACCEPTED:
                status = ProgressReport.Status.ACCEPTED  # only last period's still move
            planned = round(100 * (number + 1) / len(periods), 2)
            if status == ProgressReport.Status.DUE:
                yield _row(project_id, start, end, due, status, planned, None, created)
                continue
            progress = min(100.0, progress + rng.uniform(4, 14))
            submitted = datetime.datetime.combine(
                due - datetime.timedelta(days=rng.randint(0, 6)),
                datetime.time(10),
                tzinfo=datetime.UTC,
            )
            yield _row(project_id, start, end, due, status, planned, progress, created, submitted)


def _row(project_id, start, end, due, status, planned, actual, created, submitted=None):
    filed = actual is not None
    found = 3 if filed else 0
    reviewed = (
        submitted + datetime.timedelta(days=2)
        if submitted
        and status
        in (
            ProgressReport.Status.ACCEPTED,
            ProgressReport.Status.RETURNED,
        )
        else None
    )
    return (
        project_id,
        start.isoformat(),
        end.isoformat(),
        due.isoformat(),
        status,
        f"{planned:.2f}",
        f"{actual:.2f}" if filed else None,
        120 if filed else 0,
        found,
        found - 1 if filed else 0,
        0,
        1 if filed else 0,
        2 if filed else 0,
        "5000.00" if filed else "0",
        1 if filed else 0,
        40 if filed else 0,
        "按计划推进，安全质量受控。" if filed else "",
        submitted.isoformat() if submitted else None,
        submitted.isoformat() if submitted else None,
        False,
        reviewed.isoformat() if reviewed else None,
        "请补充隐患整改说明。" if status == ProgressReport.Status.RETURNED else "",
        created,
        created,
    )


def reset_open_reports(name) -> int:
    """Put the current period's reports of dataset ``name`` back to due with no figures (the
    load test files them). Returns how many were reset."""
    _root, campaign = _tree(name)
    start, _end, _due = open_period(campaign)
    return ProgressReport.objects.filter(project__campaign=campaign, period_start=start).update(
        status=ProgressReport.Status.DUE,
        submitted_at=None,
        first_submitted_at=None,
        late=False,
        reviewed_by=None,
        reviewed_at=None,
        review_comment="",
        reminder_sent_at=None,
        overdue_notice_sent_at=None,
        **OPEN_FIGURES,
    )


def manifest(name) -> dict:
    """What the locust users need to know: the password, the usernames by role and the zones
    (JSON-serialisable)."""
    User = get_user_model()
    _root, campaign = _tree(name)
    usernames = User.objects.filter(username__startswith=f"{name}-", is_active=True)

    def names(prefix, **filters):
        return list(
            usernames.filter(username__startswith=f"{name}-{prefix}", **filters)
            .order_by("username")
            .values_list("username", flat=True)
        )

    evaluators = (
        EvaluatorAssignment.objects.filter(project__campaign=campaign)
        .order_by("evaluator__username")
        .values_list("evaluator__username", flat=True)
        .distinct()
    )
    return {
        "dataset": name,
        "password": LOAD_PASSWORD,
        "staff": {
            "province": names("staff-p"),
            "city": names("staff-c"),
            "district": names("staff-d"),
        },
        "liaisons": names("unit-"),
        "evaluators": list(evaluators),
        "zones": list(
            Zone.objects.filter(campaign=campaign).order_by("order").values_list("pk", flat=True)
        ),
        "campaign": campaign.pk,
    }


def delete_load_data(name) -> None:
    """Delete the load data of dataset ``name`` and then the dataset itself."""
    if not name.startswith(PREFIX):
        raise ValueError(f"not a benchmark dataset: {name!r}")
    campaign = Campaign.objects.filter(title=name).first()
    with disable_auditlog():
        if campaign is not None:
            reports = ProgressReport.objects.filter(project__campaign=campaign)
            reports._raw_delete(reports.db)
        dataset.delete_dataset(name)
