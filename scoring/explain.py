"""The line-by-line explanation of an entry's result (how a score came about).

It runs the same computation as the stored results (``results.compute_entries`` for one
entry) and adds what the stored rows leave out: every evaluator's score, which ones the
trimming dropped, and the arithmetic from criterion percentages to the final score.
Evaluators are named only for competition office staff; everyone else sees "Evaluator 1, 2 …"
(numbered per stage in assignment order) and an evaluator sees their own scores as theirs.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

from competitions.models import Zone

from . import engine, results
from .models import Criterion, FinalResult, Score, StageLock, Veto


def show(value) -> str:
    """An exact value for reading: up to 4 decimals, with "…" where it was cut."""
    if value is None:
        return "—"
    value = engine.exact(value)
    shown = engine.round_half_up(value, 4)
    text = format(shown.normalize(), "f")
    return text if engine.exact(shown) == value else f"{text}…"


@dataclass
class EvaluatorScore:
    label: str
    value: Decimal
    trimmed: bool = False
    own: bool = False


@dataclass
class CriterionLine:
    criterion: Criterion
    weight: Fraction
    scores: list = field(default_factory=list)  # EvaluatorScore, for judgement criteria
    aggregate: Fraction | None = None  # points out of max_score
    percentage: Fraction | None = None
    spread_alert: bool = False

    @property
    def contribution(self):
        if self.percentage is None:
            return None
        return self.weight * self.percentage

    @property
    def trims(self) -> bool:
        return any(s.trimmed for s in self.scores)

    @property
    def shown(self):
        return {
            "weight": show(self.weight),
            "aggregate": show(self.aggregate),
            "percentage": show(self.percentage),
            "contribution": show(self.contribution),
        }


@dataclass
class StageLine:
    stage: object
    locked: bool
    visible: bool  # scores of an unlocked stage are hidden from units and evaluators
    complete: bool
    score: Fraction | None
    lines: list = field(default_factory=list)

    @property
    def arithmetic(self) -> str:
        terms = [
            f"{show(line.weight)} × {show(line.percentage)}"
            for line in self.lines
            if line.weight and line.percentage is not None
        ]
        return " + ".join(terms) + f" = {show(self.score)}"

    @property
    def weighted(self):
        return None if self.score is None else engine.exact(self.stage.weight) * self.score


@dataclass
class Explanation:
    project: object
    stages: list
    final: Fraction | None
    rounded: Decimal | None
    result: FinalResult | None
    vetoes: list
    trim_threshold: int

    @property
    def arithmetic(self) -> str:
        terms = [
            f"{show(s.stage.weight)} × {show(s.score)}" for s in self.stages if s.score is not None
        ]
        return " + ".join(terms) + f" = {show(self.final)} → {self.rounded}"

    @property
    def all_visible(self) -> bool:
        return all(s.visible for s in self.stages)


def explain(project, viewer, *, names: bool) -> Explanation:
    """Explain ``project``'s result to ``viewer``. ``names``: show evaluators by name (office
    staff); otherwise anonymised, and stages not yet locked are hidden."""
    setup = results.load_setup(Zone.objects.filter(pk=project.zone_id))[project.zone_id]
    computed = {
        e.project_id: e for e in results.compute_entries({setup.zone.pk: setup}, [project.pk])
    }
    entry = computed.get(project.pk)
    locked = set(
        StageLock.objects.filter(zone_id=project.zone_id).values_list("stage_id", flat=True)
    )
    by_stage_criterion = {}
    labels = {}
    scores = (
        Score.objects.filter(project=project, submitted=True)
        .select_related("assignment__evaluator")
        .order_by("stage_id", "assignment_id", "criterion_id")
    )
    for score in scores:
        evaluator = score.assignment.evaluator
        stage_labels = labels.setdefault(score.stage_id, {})
        if score.assignment_id not in stage_labels:
            number = len(stage_labels) + 1
            if names:
                stage_labels[score.assignment_id] = evaluator.display_name or evaluator.username
            elif evaluator.pk == viewer.pk:
                stage_labels[score.assignment_id] = _("You")
            else:
                stage_labels[score.assignment_id] = _("Evaluator %(n)d") % {"n": number}
        by_stage_criterion.setdefault((score.stage_id, score.criterion_id), []).append(
            EvaluatorScore(
                stage_labels[score.assignment_id], score.value, own=evaluator.pk == viewer.pk
            )
        )

    stages = []
    for stage in setup.stages:
        visible = names or stage.pk in locked
        score, complete, _spread, per_criterion = (
            entry.stages[stage.pk] if entry else (None, False, False, {})
        )
        line = StageLine(stage, stage.pk in locked, visible, complete, score if visible else None)
        weights = setup.weights.get(stage.pk, {})
        for criterion in setup.criteria:
            if criterion.kind == Criterion.Kind.VETO:
                continue
            item = CriterionLine(criterion, weights.get(criterion.pk, Fraction(0)))
            if visible:
                item.percentage = per_criterion.get(criterion.pk)
                if item.percentage is not None:
                    item.aggregate = item.percentage * engine.exact(criterion.max_score) / 100
                given = by_stage_criterion.get((stage.pk, criterion.pk), [])
                if criterion.kind == Criterion.Kind.JUDGEMENT and given:
                    values = [s.value for s in given]
                    for index in engine.trimmed_indices(values, setup.rules.trim_threshold):
                        given[index].trimmed = True
                    item.scores = given
                    item.spread_alert = engine.spread_too_wide(
                        min(values),
                        max(values),
                        criterion.max_score,
                        setup.rules.spread_threshold_percent,
                    )
            line.lines.append(item)
        stages.append(line)

    all_visible = all(s.visible for s in stages)
    final = entry.final if entry and all_visible else None
    result = FinalResult.objects.filter(project=project).first() if all_visible else None
    vetoes = list(
        Veto.objects.filter(project=project, confirmed_at__isnull=False).select_related("criterion")
    )
    return Explanation(
        project=project,
        stages=stages,
        final=final,
        rounded=None if final is None else engine.round_half_up(final),
        result=result,
        vetoes=vetoes,
        trim_threshold=setup.rules.trim_threshold,
    )
