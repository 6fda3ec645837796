"""A province-scale scoring dataset, built in bulk in a namespace of its own.

Everything belongs to one name, ``bench-<time>-<token>``: the root of its own union subtree
(a province union with its city and district unions), the campaign's title and the prefix of
every username. Units sit under the district unions and have registered for the campaign;
each zone copies the 六比 criteria set and weighs it per stage as in SCORING.md's first
worked example; each zone has a panel of evaluators from the city and district unions (some
employed by a unit), and every entry gets ``evaluators_per_entry`` of them per stage, never
one in conflict of interest (SCORING.md: not of the entry's unit, nor of a unit under the
evaluator's own union organisation). Every evaluator has submitted a 2-decimal score for
every judgement criterion, and a few entries carry a confirmed veto.

The big tables (assignments, scores) go in with PostgreSQL's COPY (one streamed statement),
or with ``executemany`` on other databases; the rest with ``bulk_create``. Nothing goes
through the audit trail: it is a benchmark's scaffolding, not anybody's change.

``delete_dataset(name)`` removes exactly what ``build`` made under that name, and nothing else.
"""

import datetime
import math
import random
import secrets
import time
from dataclasses import dataclass, field
from itertools import islice

from auditlog.context import disable_auditlog
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from competitions.demo import org_code_check_char
from competitions.models import (
    Campaign,
    CampaignRegistration,
    Organisation,
    Project,
    Stage,
    Unit,
    Zone,
)
from competitions.validators import CREDIT_CODE_CHARSET, credit_code_check_char
from scoring import services
from scoring.models import (
    Criterion,
    CriterionWeight,
    EvaluatorAssignment,
    FinalResult,
    LockEvent,
    Score,
    ScoringRules,
    StageLock,
    StageResult,
    Veto,
)

PREFIX = "bench-"
CITIES = ["杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水"]
DISTRICTS_PER_CITY = 8
ZONE_NAMES = ["场馆建设", "环境整治", "服务保障", "活动组织", "安全保卫", "交通保障", "能源保供"]
INDUSTRIES = ["建筑业", "电力", "交通运输", "水务", "住宿和餐饮业", "信息传输"]
OWNERSHIPS = [Unit.Ownership.STATE, Unit.Ownership.PRIVATE, Unit.Ownership.COLLECTIVE]
# SCORING.md, worked example 1: the two stages and the 六比 weights of each.
STAGES = [
    ("筹备初期", "0.4", datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)),
    ("决战期", "0.6", datetime.date(2026, 7, 1), datetime.date(2026, 12, 31)),
]
WEIGHTS = [
    {
        "progress": "0.30",
        "quality": "0.20",
        "safety": "0.20",
        "efficiency": "0.10",
        "innovation": "0.10",
        "integrity": "0.10",
    },
    {
        "progress": "0.15",
        "quality": "0.20",
        "safety": "0.35",
        "efficiency": "0.10",
        "innovation": "0.10",
        "integrity": "0.10",
    },
]
GRADE_BANDS = [["95", "优秀"], ["90", "良好"], ["80", "达标"], ["0", "不达标"]]
TIE_BREAK_CODES = ["safety", "quality"]  # 安全第一, then quality
PROJECTS_PER_UNIT = 4
ASSIGNMENTS_PER_EVALUATOR = 200  # the size of a zone's evaluator panel follows from it
VETO_SHARE = 0.002


@dataclass
class Dataset:
    name: str
    campaign: Campaign
    zones: list
    stages: list
    staff: object  # a superuser of the dataset, for the pages and the staff services
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0


def new_name() -> str:
    """A fresh dataset name whose credit-code range no unit uses yet."""
    while True:
        token = "".join(secrets.choice(CREDIT_CODE_CHARSET[10:]) for _ in range(2))
        if not Unit.objects.filter(credit_code__startswith=_credit_prefix(token)).exists():
            return f"{PREFIX}{timezone.now():%Y%m%d-%H%M%S}-{token}"


def _credit_prefix(token: str) -> str:
    return f"91330100B{token}"


def _credit_code(token: str, index: int) -> str:
    org8 = f"B{token}{index:05d}"
    body = f"91330100{org8}{org_code_check_char(org8)}"
    return body + credit_code_check_char(body)


def _batched(rows, size):
    rows = iter(rows)
    while batch := list(islice(rows, size)):
        yield batch


def insert_rows(model, fields, rows) -> int:
    """Insert plain tuples into ``model``'s table: COPY on PostgreSQL, executemany elsewhere.
    ``rows`` may be a generator; values are in database form (see ``db_now``)."""
    meta, quote = model._meta, connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in fields)
    count = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            marks = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"
            for batch in _batched(rows, 10_000):
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


def db_now():
    return connection.ops.adapt_datetimefield_value(timezone.now())


def build(*, projects=10_000, zones=5, evaluators_per_entry=5, seed=2016, log=None) -> Dataset:
    """Build the dataset (see the module's docstring) and return what the benchmark needs."""
    started = time.perf_counter()
    log = log or (lambda message: None)
    rng = random.Random(seed)
    name = new_name()
    token = name[-2:]  # the credit codes' range
    zones = max(1, zones)
    User = get_user_model()
    counts = {}
    with disable_auditlog():
        # The union tree: paths computed here and written at once (treebeard's
        # materialised path), under a root of the dataset's own.
        root = Organisation.objects.add_root({"name": f"{name} 浙江省总工会", "kind": "province"})
        cities = [
            Organisation(
                name=f"{name} {city}市总工会",
                kind=Organisation.Kind.CITY,
                path=Organisation._get_path(root.path, 2, i + 1),
                depth=2,
                numchild=DISTRICTS_PER_CITY,
            )
            for i, city in enumerate(CITIES)
        ]
        Organisation.objects.bulk_create(cities)
        districts = [
            Organisation(
                name=f"{name} {CITIES[c]}市第{d + 1}区县总工会",
                kind=Organisation.Kind.DISTRICT,
                path=Organisation._get_path(city.path, 3, d + 1),
                depth=3,
                numchild=0,
            )
            for c, city in enumerate(cities)
            for d in range(DISTRICTS_PER_CITY)
        ]
        Organisation.objects.bulk_create(districts)
        Organisation.objects.filter(pk=root.pk).update(numchild=len(cities))
        root.refresh_from_db()
        districts = list(
            Organisation.objects.filter(path__startswith=root.path, depth=3).order_by("path")
        )
        cities = list(
            Organisation.objects.filter(path__startswith=root.path, depth=2).order_by("path")
        )
        counts["organisations"] = 1 + len(cities) + len(districts)

        campaign = Campaign.objects.create(
            title=name,
            theme="省级劳动竞赛（基准测试数据）",
            start_date=datetime.date(2026, 1, 1),
            end_date=datetime.date(2026, 12, 31),
            status=Campaign.Status.ACTIVE,
            organiser=root,
        )
        zone_rows = Zone.objects.bulk_create(
            Zone(
                campaign=campaign,
                name=ZONE_NAMES[i] if i < len(ZONE_NAMES) else f"赛区{i + 1}",
                order=i,
                dimensions_label="六比",
                dimensions=["比质量", "比安全", "比进度", "比效益", "比创新", "比廉洁"],
            )
            for i in range(zones)
        )
        stage_rows = Stage.objects.bulk_create(
            Stage(campaign=campaign, name=n, order=i, weight=w, start_date=s, end_date=e)
            for i, (n, w, s, e) in enumerate(STAGES)
        )
        ScoringRules.objects.create(
            campaign=campaign, tie_break_codes=TIE_BREAK_CODES, grade_bands=GRADE_BANDS
        )
        staff = User.objects.create(
            username=f"{name}-admin",
            display_name="基准测试管理员",
            is_superuser=True,
            is_staff=True,
            password=make_password(None),
        )
        criteria = {}  # zone id -> {code: Criterion}
        vetoes = {}  # zone id -> the zone's veto item
        for zone in zone_rows:
            services.copy_criteria_set(zone, "liubi", staff)
            by_code = {c.code: c for c in Criterion.objects.filter(zone=zone)}
            for stage, weights in zip(stage_rows, WEIGHTS, strict=True):
                services.set_stage_weights(
                    zone, stage, {by_code[code]: w for code, w in weights.items()}, staff
                )
            criteria[zone.pk] = by_code
            vetoes[zone.pk] = Criterion.objects.create(
                zone=zone, code="major_accident", name="重大安全事故", kind="veto", order=99
            )
        counts["criteria"] = len(WEIGHTS[0])

        n_units = max(1, math.ceil(projects / PROJECTS_PER_UNIT))
        units = Unit.objects.bulk_create(
            (
                Unit(
                    name=f"{CITIES[(u % len(districts)) // DISTRICTS_PER_CITY]}"
                    f"{INDUSTRIES[u % len(INDUSTRIES)]}企业{u + 1:05d}（{token}）",
                    credit_code=_credit_code(token, u + 1),
                    ownership=OWNERSHIPS[u % len(OWNERSHIPS)],
                    industry=INDUSTRIES[u % len(INDUSTRIES)],
                    size=Unit.Size.MEDIUM,
                    organisation=districts[u % len(districts)],
                )
                for u in range(n_units)
            ),
            batch_size=2000,
        )
        CampaignRegistration.objects.bulk_create(
            (
                CampaignRegistration(
                    campaign=campaign,
                    unit=unit,
                    status=CampaignRegistration.Status.APPROVED,
                    decided_by=staff,
                    decided_at=timezone.now(),
                )
                for unit in units
            ),
            batch_size=2000,
        )
        counts["units"] = len(units)
        log(f"  organisations, {len(units)} units, criteria: {time.perf_counter() - started:.1f} s")

        statuses = [Project.Status.RUNNING] * 17 + [Project.Status.APPROVED] * 2
        statuses += [Project.Status.COMPLETED]
        now = timezone.now()
        project_rows = Project.objects.bulk_create(
            (
                Project(
                    campaign=campaign,
                    zone=zone_rows[i % zones],
                    unit=units[(i // zones) % n_units],
                    title=f"{zone_rows[i % zones].name}竞赛项目{i + 1:05d}",
                    status=statuses[i % len(statuses)],
                    submitted_at=now,
                    decided_at=now,
                    running_since=datetime.date(2026, 1, 1),
                )
                for i in range(projects)
            ),
            batch_size=2000,
        )
        counts["projects"] = len(project_rows)

        # Each zone's panel: evaluators of the city and district unions, spread over the
        # cities so that every unit has enough evaluators outside its own union subtree.
        entries_per_zone = math.ceil(projects / zones)
        panel_size = max(
            3 * evaluators_per_entry,
            math.ceil(
                entries_per_zone
                * len(stage_rows)
                * evaluators_per_entry
                / ASSIGNMENTS_PER_EVALUATOR
            ),
        )
        units_by_district = {}
        for unit in units:
            units_by_district.setdefault(unit.organisation_id, []).append(unit)
        evaluators = []
        for z, zone in enumerate(zone_rows):
            for i in range(panel_size):
                c = (i + z) % len(cities)
                if i % 5 == 0:
                    organisation, employer = cities[c], None
                else:
                    district = districts[c * DISTRICTS_PER_CITY + (i // len(cities)) % 8]
                    organisation = district
                    employers = units_by_district.get(district.pk, [])
                    employer = employers[i % len(employers)] if employers and i % 3 == 0 else None
                evaluators.append(
                    User(
                        username=f"{name}-z{z + 1}-e{i + 1:04d}",
                        display_name=f"评委 {zone.name} {i + 1}",
                        role=User.Role.EVALUATOR,
                        organisation=organisation,
                        unit=employer,
                        password=make_password(None),
                    )
                )
        evaluators = User.objects.bulk_create(evaluators, batch_size=2000)
        counts["evaluators"] = len(evaluators)
        panels = [evaluators[z * panel_size : (z + 1) * panel_size] for z in range(zones)]
        org_path = {o.pk: o.path for o in [*cities, *districts]}

        # Conflict of interest decided once per zone and district: an evaluator may score
        # the district's units unless the district lies under the evaluator's own union
        # (which also covers their employer, always a unit of their own district).
        allowed = {}
        for z, panel in enumerate(panels):
            for district in districts:
                allowed[z, district.pk] = [
                    e.pk for e in panel if not district.path.startswith(org_path[e.organisation_id])
                ]
        units_by_id = {u.pk: u for u in units}
        db_created = db_now()
        assignments = []
        for i, project in enumerate(project_rows):
            pool = allowed[i % zones, units_by_id[project.unit_id].organisation_id]
            if len(pool) < evaluators_per_entry:
                raise RuntimeError("not enough evaluators without a conflict of interest")
            for stage in stage_rows:
                for evaluator_id in rng.sample(pool, evaluators_per_entry):
                    assignments.append((evaluator_id, project.pk, stage.pk, db_created))
        counts["assignments"] = insert_rows(
            EvaluatorAssignment, ["evaluator", "project", "stage", "created_at"], assignments
        )
        log(f"  projects, evaluators, assignments: {time.perf_counter() - started:.1f} s")

        by_entry = {}
        for pk, project_id, stage_id, evaluator_id in EvaluatorAssignment.objects.filter(
            stage__in=stage_rows
        ).values_list("pk", "project_id", "stage_id", "evaluator_id"):
            by_entry.setdefault((project_id, stage_id), []).append((pk, evaluator_id))
        bias = {e.pk: rng.gauss(0, 1.5) for e in evaluators}
        counts["scores"] = insert_rows(
            Score,
            ["assignment", "criterion", "project", "stage", "value", "submitted", "updated_at"],
            _scores(rng, project_rows, stage_rows, criteria, by_entry, bias, db_now()),
        )
        log(f"  scores: {time.perf_counter() - started:.1f} s")

        vetoed = rng.sample(project_rows, max(1, round(projects * VETO_SHARE)))
        Veto.objects.bulk_create(
            Veto(
                project=project,
                criterion=vetoes[project.zone_id],
                stage=stage_rows[-1],
                raised_by=staff,
                reason="施工现场发生较大安全事故（基准测试数据）",
                confirmed_by=staff,
                confirmed_at=timezone.now(),
                status=Veto.Status.CONFIRMED,
            )
            for project in vetoed
        )
        counts["vetoes"] = len(vetoed)
    if connection.vendor == "postgresql":
        # Planner statistics, as autovacuum would have them on a live database.
        tables = [m._meta.db_table for m in (Score, EvaluatorAssignment, Project, Unit)]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(tables))
    return Dataset(
        name=name,
        campaign=campaign,
        zones=list(zone_rows),
        stages=list(stage_rows),
        staff=staff,
        counts=counts,
        seconds=time.perf_counter() - started,
    )


def _scores(rng, projects, stages, criteria, by_entry, bias, updated_at):
    """Score rows: an entry's level, moved a little per stage and criterion, plus each
    evaluator's own bias and noise, with an occasional outlier; mostly whole or half
    points, some with cents, as evaluators enter them."""
    for project in projects:
        level = rng.gauss(83, 4.5)
        zone_criteria = list(criteria[project.zone_id].values())
        for stage in stages:
            shift = rng.gauss(0, 1.5)
            panel = by_entry[project.pk, stage.pk]
            for criterion in zone_criteria:
                target = level + shift + rng.gauss(0, 2.5)
                top = int(criterion.max_score * 100)
                for assignment_id, evaluator_id in panel:
                    value = target + bias[evaluator_id] + rng.gauss(0, 3)
                    if rng.random() < 0.02:
                        value += rng.gauss(0, 12)
                    style = rng.random()
                    if style < 0.55:
                        cents = round(value) * 100
                    elif style < 0.85:
                        cents = round(value * 2) * 50
                    else:
                        cents = round(value * 100)
                    cents = min(max(cents, 0), top)
                    yield (
                        assignment_id,
                        criterion.pk,
                        project.pk,
                        stage.pk,
                        f"{cents // 100}.{cents % 100:02d}",
                        True,
                        updated_at,
                    )


def swap_weights(campaign, code, other) -> None:
    """Exchange the weights of two criteria in every stage and zone of the campaign (a
    change of the weighting that moves every result), straight in the table: only the
    recompute that follows is to be timed."""
    for weight in CriterionWeight.objects.filter(
        criterion__zone__campaign=campaign, criterion__code=code
    ):
        swapped = CriterionWeight.objects.get(
            stage_id=weight.stage_id,
            criterion__zone=weight.criterion.zone_id,
            criterion__code=other,
        )
        CriterionWeight.objects.filter(pk=swapped.pk).update(weight=weight.weight)
        CriterionWeight.objects.filter(pk=weight.pk).update(weight=swapped.weight)


def delete_dataset(name: str) -> None:
    """Delete what ``build`` made under ``name`` (nothing else): the big tables with plain
    DELETE statements (no per-row signals, no audit entries of the deletion), the rest
    through the ORM with the audit trail switched off."""
    if not name.startswith(PREFIX):
        raise ValueError(f"not a benchmark dataset: {name!r}")
    root = Organisation.objects.filter(name=f"{name} 浙江省总工会", depth=1).first()
    campaign = Campaign.objects.filter(title=name, organiser=root).first() if root else None
    User = get_user_model()
    with disable_auditlog():
        if campaign is not None:
            stages = Stage.objects.filter(campaign=campaign)
            zones = Zone.objects.filter(campaign=campaign)
            projects = Project.objects.filter(campaign=campaign)
            for queryset in (
                Score.objects.filter(stage__in=stages),
                Veto.objects.filter(project__in=projects),
                StageResult.objects.filter(project__in=projects),
                FinalResult.objects.filter(zone__in=zones),
                StageLock.objects.filter(zone__in=zones),
                LockEvent.objects.filter(zone__in=zones),
                EvaluatorAssignment.objects.filter(stage__in=stages),
                CriterionWeight.objects.filter(stage__in=stages),
                Criterion.objects.filter(zone__in=zones),
            ):
                queryset._raw_delete(queryset.db)
            for queryset in (projects, CampaignRegistration.objects.filter(campaign=campaign)):
                queryset._raw_delete(queryset.db)
            campaign.delete()  # its zones, stages and scoring rules
        User.objects.filter(username__startswith=f"{name}-").delete()
        if root is not None:
            Unit.objects.filter(organisation__path__startswith=root.path)._raw_delete(
                Unit.objects.db
            )
            Organisation.objects.filter(path__startswith=root.path).delete()
