from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EvaluatorAssignment(models.Model):
    """An evaluator (评委) assigned to score one project in one stage."""

    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("evaluator"),
        on_delete=models.CASCADE,
        related_name="assignments",
        limit_choices_to={"role": "evaluator"},
    )
    project = models.ForeignKey(
        "competitions.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    stage = models.ForeignKey(
        "competitions.Stage",
        verbose_name=_("stage"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evaluator assignment")
        verbose_name_plural = _("evaluator assignments")
        ordering = ["stage", "project", "evaluator"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluator", "project", "stage"],
                name="assignment_unique",
                violation_error_message=_(
                    "This evaluator is already assigned to this project in this stage."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.evaluator} → {self.project} ({self.stage})"


class Criterion(models.Model):
    """One line of a zone's criteria set (e.g. 比质量 of the 六比)."""

    class Kind(models.TextChoices):
        JUDGEMENT = "judgement", _("Judgement (scored by evaluators)")
        MEASUREMENT = "measurement", _("Measurement (computed from progress reports)")
        VETO = "veto", _("Veto (一票否决)")

    class Measure(models.TextChoices):
        PROGRESS_RATIO = "progress_ratio", _("Actual against planned progress")
        ON_TIME_RATE = "on_time_rate", _("Reports on time")
        SAFETY_RECORD = "safety_record", _("Safety record")

    zone = models.ForeignKey(
        "competitions.Zone",
        verbose_name=_("zone"),
        on_delete=models.CASCADE,
        related_name="criteria",
    )
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=64)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.JUDGEMENT)
    max_score = models.DecimalField(
        _("maximum score"),
        max_digits=6,
        decimal_places=2,
        default=100,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    measure = models.CharField(
        _("measure"),
        max_length=16,
        choices=Measure.choices,
        blank=True,
        help_text=_("For measurement criteria: what is computed from the reports."),
    )
    penalty_per_incident = models.DecimalField(
        _("penalty per incident"),
        max_digits=6,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["zone", "order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "code"],
                name="criterion_code_unique_per_zone",
                violation_error_message=_("This zone already has a criterion with this code."),
            ),
            models.CheckConstraint(
                condition=Q(max_score__gt=0),
                name="criterion_max_score_positive",
                violation_error_message=_("The maximum score must be positive."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="measurement") | ~Q(measure=""),
                name="measurement_criterion_has_measure",
                violation_error_message=_("A measurement criterion needs a measure."),
            ),
        ]

    def __str__(self):
        return self.name


class CriterionWeight(models.Model):
    """The weight of a criterion in one stage; a stage's weights add up to 1 per zone."""

    stage = models.ForeignKey(
        "competitions.Stage",
        verbose_name=_("stage"),
        on_delete=models.CASCADE,
        related_name="criterion_weights",
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("criterion"), on_delete=models.CASCADE, related_name="weights"
    )
    weight = models.DecimalField(
        _("weight"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )

    class Meta:
        verbose_name = _("criterion weight")
        verbose_name_plural = _("criterion weights")
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "criterion"],
                name="criterion_weight_unique",
                violation_error_message=_("This criterion already has a weight in this stage."),
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=1),
                name="criterion_weight_0_1",
                violation_error_message=_("A weight lies between 0 and 1."),
            ),
        ]

    def __str__(self):
        return f"{self.criterion} · {self.stage}: {self.weight}"


class ScoringRules(models.Model):
    """A campaign's scoring parameters (SCORING.md)."""

    campaign = models.OneToOneField(
        "competitions.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        related_name="scoring_rules",
    )
    trim_threshold = models.PositiveSmallIntegerField(
        _("trim from"),
        default=5,
        validators=[MinValueValidator(3)],
        help_text=_("With at least this many scores the highest and lowest are dropped."),
    )
    spread_threshold_percent = models.DecimalField(
        _("spread alert above (percent of the maximum)"),
        max_digits=5,
        decimal_places=2,
        default=20,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    tie_break_codes = models.JSONField(
        _("tie-break criteria"),
        default=list,
        blank=True,
        help_text=_("Criterion codes, in order, that decide between equal final scores."),
    )
    grade_bands = models.JSONField(
        _("grade bands"),
        default=list,
        blank=True,
        help_text=_(
            "Lowest score and name of each grade, highest first, e.g. "
            '[["95", "优秀"], ["90", "良好"], ["80", "达标"], ["0", "不达标"]].'
        ),
    )
    failing_grade = models.CharField(
        _("grade of a vetoed entry"), max_length=32, default="不达标", blank=True
    )

    class Meta:
        verbose_name = _("scoring rules")
        verbose_name_plural = _("scoring rules")

    def __str__(self):
        return str(self.campaign)


class Score(models.Model):
    """One evaluator's score of one judgement criterion of one entry in one stage."""

    assignment = models.ForeignKey(
        EvaluatorAssignment,
        verbose_name=_("assignment"),
        on_delete=models.CASCADE,
        related_name="scores",
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("criterion"), on_delete=models.CASCADE, related_name="scores"
    )
    # Denormalised from the assignment so results aggregate with one GROUP BY.
    project = models.ForeignKey(
        "competitions.Project", on_delete=models.CASCADE, related_name="scores"
    )
    stage = models.ForeignKey("competitions.Stage", on_delete=models.CASCADE, related_name="+")
    value = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    submitted = models.BooleanField(_("submitted"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "criterion"],
                name="score_once_per_criterion",
                violation_error_message=_("This criterion is scored already."),
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="score_not_negative",
                violation_error_message=_("A score cannot be negative."),
            ),
        ]
        indexes = [models.Index(fields=["project", "stage", "criterion"])]

    def __str__(self):
        return f"{self.assignment} · {self.criterion}: {self.value}"


class Veto(models.Model):
    """A veto item (一票否决) raised against an entry; it counts once staff confirm it.

    ``confirmed_at`` is set only when staff confirm the veto, so results count a veto by it;
    a rejected veto keeps who rejected it and why.
    """

    class Status(models.TextChoices):
        RAISED = "raised", _("Awaiting decision")
        CONFIRMED = "confirmed", _("Veto confirmed")
        REJECTED = "rejected", _("Veto rejected")

    project = models.ForeignKey(
        "competitions.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="vetoes",
    )
    criterion = models.ForeignKey(
        Criterion,
        verbose_name=_("veto item"),
        on_delete=models.CASCADE,
        related_name="vetoes",
        limit_choices_to={"kind": "veto"},
    )
    stage = models.ForeignKey(
        "competitions.Stage", verbose_name=_("stage"), on_delete=models.CASCADE, related_name="+"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RAISED, db_index=True
    )
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rejected by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejecting"), blank=True)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)

    class Meta:
        verbose_name = _("veto")
        verbose_name_plural = _("vetoes")
        ordering = ["-created_at"]
        constraints = [
            # A veto item stands against an entry once: raised again only after a rejection.
            models.UniqueConstraint(
                fields=["project", "criterion"],
                condition=Q(status__in=["raised", "confirmed"]),
                name="veto_open_once_per_item",
                violation_error_message=_("This veto item is already raised against this entry."),
            ),
        ]

    def __str__(self):
        return f"{self.criterion} · {self.project}"


class StageLock(models.Model):
    """Scoring of one stage in one zone is locked: scores can no longer change."""

    zone = models.ForeignKey(
        "competitions.Zone",
        verbose_name=_("zone"),
        on_delete=models.CASCADE,
        related_name="stage_locks",
    )
    stage = models.ForeignKey(
        "competitions.Stage",
        verbose_name=_("stage"),
        on_delete=models.CASCADE,
        related_name="locks",
    )
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("locked by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    locked_at = models.DateTimeField(_("locked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stage lock")
        verbose_name_plural = _("stage locks")
        constraints = [
            models.UniqueConstraint(fields=["zone", "stage"], name="stage_lock_unique"),
        ]

    def __str__(self):
        return f"{self.zone} · {self.stage}"


class LockEvent(models.Model):
    """The audit record of locking and unlocking (unlocking needs a reason)."""

    zone = models.ForeignKey("competitions.Zone", on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey("competitions.Stage", on_delete=models.CASCADE, related_name="+")
    locked = models.BooleanField(_("locked"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lock event")
        verbose_name_plural = _("lock events")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.zone_id}/{self.stage_id}: {'locked' if self.locked else 'unlocked'}"


class StageResult(models.Model):
    """An entry's computed result in one stage, kept current when scores change."""

    # The unique (project, stage) index serves lookups by project.
    project = models.ForeignKey(
        "competitions.Project",
        on_delete=models.CASCADE,
        related_name="stage_results",
        db_index=False,
    )
    # Results are derived rows, rewritten in bulk by every recompute: the database checks
    # only the project reference at commit; stage and zone rows are removed by Django's
    # cascade (on_delete) all the same.
    stage = models.ForeignKey(
        "competitions.Stage", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    score = models.DecimalField(_("stage score"), max_digits=8, decimal_places=4, null=True)
    complete = models.BooleanField(_("complete"), default=False)
    spread_alert = models.BooleanField(_("spread alert"), default=False)
    criteria = models.JSONField(_("per criterion"), default=dict)
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)

    class Meta:
        verbose_name = _("stage result")
        verbose_name_plural = _("stage results")
        constraints = [
            models.UniqueConstraint(fields=["project", "stage"], name="stage_result_unique"),
        ]

    def __str__(self):
        return f"{self.project_id}/{self.stage_id}: {self.score}"


class FinalResult(models.Model):
    """An entry's final score, rank and grade in its zone."""

    project = models.OneToOneField(
        "competitions.Project", on_delete=models.CASCADE, related_name="final_result"
    )
    # The (zone, rank) index serves lookups by zone; no database constraint (see StageResult).
    zone = models.ForeignKey(
        "competitions.Zone",
        on_delete=models.CASCADE,
        related_name="final_results",
        db_index=False,
        db_constraint=False,
    )
    score = models.DecimalField(_("final score"), max_digits=6, decimal_places=2, null=True)
    complete = models.BooleanField(_("complete"), default=False)
    vetoed = models.BooleanField(_("vetoed"), default=False)
    rank = models.PositiveIntegerField(_("rank"), null=True)
    grade = models.CharField(_("grade"), max_length=32, blank=True)
    spread_alert = models.BooleanField(_("spread alert"), default=False)
    # Final percentages of the campaign's tie-break criteria, in order (as decimal strings).
    tie_break = models.JSONField(_("tie-break values"), default=list)
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)

    class Meta:
        verbose_name = _("final result")
        verbose_name_plural = _("final results")
        indexes = [models.Index(fields=["zone", "rank"])]

    def __str__(self):
        return f"{self.project_id}: {self.score} (#{self.rank})"
