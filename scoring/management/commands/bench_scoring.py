"""Benchmark of the scoring: recompute against the grouped-query floor, the ranking page,
an evaluator's form save. See docs/benchmarks.md for the figures and how to read them."""

import statistics
import time
import warnings

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from benchmarks.dataset import PREFIX, build, delete_dataset, swap_weights
from competitions.models import Zone
from scoring.models import EvaluatorAssignment, FinalResult, Score
from scoring.results import recompute
from scoring.services import save_scores

# The targets, on PostgreSQL on the project's 2-core machine.
RECOMPUTE_RATIO = 3.0
PAGE_MS = 300
SAVE_MS = 100
PLAIN_STATIC_FILES = "django.contrib.staticfiles.storage.StaticFilesStorage"


def _ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def _timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def floor_query(stage_ids):
    """The least any correct recompute pays: read every submitted score once, grouped by
    entry, stage and criterion, with count, sum, min and max, and fetch all the groups."""
    table = connection.ops.quote_name(Score._meta.db_table)
    marks = ", ".join(["%s"] * len(stage_ids))
    sql = (
        "SELECT project_id, stage_id, criterion_id, count(*), sum(value), min(value), "
        f"max(value) FROM {table} WHERE submitted AND stage_id IN ({marks}) "
        "GROUP BY project_id, stage_id, criterion_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, stage_ids)
        return len(cursor.fetchall())


class Command(BaseCommand):
    help = (
        "Build a province-scale scoring dataset in a namespace of its own (a campaign "
        "named bench-…), time the full recompute against the grouped-query floor, the "
        "ranking page and an evaluator's form save, then delete the dataset (unless --keep)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--projects", type=int, default=10_000)
        parser.add_argument("--zones", type=int, default=5)
        parser.add_argument("--evaluators-per-entry", type=int, default=5)
        parser.add_argument(
            "--repeat", type=int, default=5, help="Timed runs per figure (the median is shown)."
        )
        parser.add_argument("--saves", type=int, default=20, help="Timed form saves.")
        parser.add_argument("--seed", type=int, default=2016)
        parser.add_argument(
            "--keep", action="store_true", help="Keep the dataset (delete it with --delete)."
        )
        parser.add_argument(
            "--delete", metavar="NAME", help="Only delete a dataset kept by an earlier run."
        )

    def handle(self, *args, **options):
        if options["delete"]:
            if not options["delete"].startswith(PREFIX):
                raise CommandError(f"Benchmark datasets are named {PREFIX}…")
            delete_dataset(options["delete"])
            self.stdout.write(f"Deleted the dataset {options['delete']}")
            return
        if options["projects"] < 1 or options["zones"] < 1 or options["repeat"] < 1:
            raise CommandError("--projects, --zones and --repeat must be at least 1.")
        # Measured as production runs: without DEBUG's query log.
        with override_settings(DEBUG=False):
            dataset = None
            try:
                dataset = build(
                    projects=options["projects"],
                    zones=options["zones"],
                    evaluators_per_entry=options["evaluators_per_entry"],
                    seed=options["seed"],
                    log=self.stdout.write,
                )
                self.report(dataset, options)
            finally:
                if dataset is not None and not options["keep"]:
                    delete_dataset(dataset.name)
                    self.stdout.write(f"Deleted the dataset {dataset.name}")
                elif dataset is not None:
                    self.stdout.write(
                        f"Kept the dataset {dataset.name}; delete it with: "
                        f"manage.py bench_scoring --delete {dataset.name}"
                    )

    def report(self, dataset, options):
        out = self.stdout.write
        repeat = options["repeat"]
        c = dataset.counts
        out(
            f"Dataset {dataset.name} on {connection.vendor} "
            f"({connection.display_name} {'.'.join(map(str, connection.get_database_version()))}):"
            f" 1 campaign, {len(dataset.zones)} zones, {len(dataset.stages)} stages, "
            f"{c['projects']} projects, {c['criteria']} judgement criteria, "
            f"{options['evaluators_per_entry']} evaluators per entry and stage"
        )
        out(
            f"  built in {dataset.seconds:.1f} s: {c['scores']} scores, {c['assignments']} "
            f"assignments, {c['evaluators']} evaluators, {c['units']} units, "
            f"{c['organisations']} union organisations, {c['vetoes']} confirmed vetoes"
        )
        stage_ids = [s.pk for s in dataset.stages]
        zones = Zone.objects.filter(campaign=dataset.campaign)
        floor_query(stage_ids)  # warm the cache, as the recompute will find it
        floors = [_timed(floor_query, stage_ids) for _ in range(repeat)]
        first, entries = _timed(recompute, zones=zones)
        changed = []
        for _ in range(repeat):
            swap_weights(dataset.campaign, "progress", "quality")
            changed.append(_timed(recompute, zones=zones)[0])
        again = [_timed(recompute, zones=zones)[0] for _ in range(repeat)]
        # The floor measured again after the recomputes, so that a change of the machine's
        # load in between weighs on both sides.
        floors += [_timed(floor_query, stage_ids) for _ in range(repeat)]
        floor = statistics.median(t for t, _groups in floors)
        out(
            f"Floor: one grouped query over the scores ({floors[0][1]} groups): "
            f"{_ms(floor)} (median of {len(floors)})"
        )
        recomputes = {
            "first": first,
            "weights changed": statistics.median(changed),
            "unchanged": statistics.median(again),
        }
        out(
            f"Recompute, first ({entries} entries, no stored results: every result inserted): "
            f"{_ms(first)}, {first / floor:.2f}× the floor"
        )
        out(
            f"Recompute, weights changed (every result updated): "
            f"{_ms(recomputes['weights changed'])}, "
            f"{recomputes['weights changed'] / floor:.2f}× the floor (median of {repeat})"
        )
        out(
            f"Recompute, again (results unchanged): {_ms(recomputes['unchanged'])}, "
            f"{recomputes['unchanged'] / floor:.2f}× the floor (median of {repeat})"
        )
        zone = zones.annotate(entries=Count("final_results")).order_by("-entries", "order").first()
        page = self.ranking_page(dataset, zone, repeat)
        save = self.form_save(zone, options["saves"])
        verdicts = [
            f"recompute ≤ {RECOMPUTE_RATIO:g}× the floor: "
            + ", ".join(
                f"{'met' if t / floor <= RECOMPUTE_RATIO else 'NOT met'} {label} ({t / floor:.2f}×)"
                for label, t in recomputes.items()
            )
        ]
        if page is not None:
            verdicts.append(
                f"ranking page ≤ {PAGE_MS} ms: "
                f"{'met' if page * 1000 <= PAGE_MS else 'NOT met'} ({_ms(page)})"
            )
        verdicts.append(
            f"form save ≤ {SAVE_MS} ms: {'met' if save * 1000 <= SAVE_MS else 'NOT met'} "
            f"({_ms(save)})"
        )
        out("Targets: " + "; ".join(verdicts))

    def ranking_page(self, dataset, zone, repeat):
        """Median time of the zone's ranking page for a superuser, or None without a page."""
        out = self.stdout.write
        try:
            url = reverse("scoring:ranking", kwargs={"zone_id": zone.pk})
        except NoReverseMatch:
            out("Ranking page: ranking page not available")
            return None
        client = Client(raise_request_exception=False)
        client.force_login(dataset.staff)
        try:
            # The test client's host; static files named as without collectstatic (the
            # page's time does not depend on how its stylesheet is named).
            storages = {**settings.STORAGES, "staticfiles": {"BACKEND": PLAIN_STATIC_FILES}}
            with (
                override_settings(ALLOWED_HOSTS=["testserver"], STORAGES=storages),
                warnings.catch_warnings(),
            ):
                warnings.filterwarnings("ignore", "No directory at", UserWarning)
                response = client.get(url, secure=True)  # first request: templates load
                if response.status_code != 200:
                    out(f"Ranking page: ranking page not available (HTTP {response.status_code})")
                    return None
                timings = [_timed(client.get, url, secure=True)[0] for _ in range(repeat)]
                with CaptureQueriesContext(connection) as queries:
                    client.get(url, secure=True)
        finally:
            client.logout()
        page = statistics.median(timings)
        out(
            f"Ranking page (zone of {zone.entries} entries): {_ms(page)} (median of {repeat}), "
            f"{len(queries)} queries"
        )
        return page

    def form_save(self, zone, saves):
        """Median time of an evaluator's form save (scores submitted, the entry recomputed
        and its zone re-ranked), for an entry in the middle of the zone's ranking whose
        evaluator corrects two scores by 3 points and back again."""
        ranked = FinalResult.objects.filter(zone=zone, rank__isnull=False).order_by("rank")
        middle = ranked[ranked.count() // 2]
        assignment = (
            EvaluatorAssignment.objects.filter(project_id=middle.project_id)
            .select_related("evaluator", "project", "stage")
            .order_by("stage__order", "pk")
            .first()
        )
        scores = list(assignment.scores.select_related("criterion").order_by("criterion__order"))
        original = {s.criterion_id: s.value for s in scores}
        corrected = dict(original)
        for score in scores[:2]:
            up = score.value + 3
            corrected[score.criterion_id] = up if up <= score.criterion.max_score else up - 6
        timings, moves = [], []
        for i in range(saves + saves % 2):  # an even number: the scores end as they were
            values = corrected if i % 2 == 0 else original
            seconds, _rows = _timed(
                save_scores, assignment, values, assignment.evaluator, submit=True
            )
            timings.append(seconds)
            moves.append(FinalResult.objects.get(project_id=middle.project_id).rank)
        save = statistics.median(timings)
        self.stdout.write(
            f"Form save ({len(scores)} scores submitted, the entry recomputed, {zone.entries} "
            f"entries re-ranked; rank {moves[-1]} ↔ {moves[0]}): {_ms(save)} "
            f"(median of {len(timings)})"
        )
        return save
