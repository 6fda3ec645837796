from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from competitions.models import Campaign, Person, Unit

# Chinese rules cap the theory share of a skill contest at 30%.
MAX_THEORY_WEIGHT = Decimal("0.3")


class Component(models.TextChoices):
    THEORY = "theory", _("Theory")
    PRACTICAL = "practical", _("Practical")


def default_tie_break():
    return ["practical", "time", "theory"]


def default_prize_shares():
    return [["一等奖", "10"], ["二等奖", "20"], ["三等奖", "30"]]


class SkillEvent(models.Model):
    """One trade (工种) of a skill contest campaign, with its scoring rules."""

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        related_name="skill_events",
    )
    trade = models.CharField(
        _("trade"),
        max_length=64,
        help_text=_("The trade contested, e.g. lathe operator or electrician."),
    )
    theory_weight = models.DecimalField(
        _("theory weight"),
        max_digits=3,
        decimal_places=2,
        default=MAX_THEORY_WEIGHT,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_THEORY_WEIGHT)],
        help_text=_("Share of the theory score in the total, at most 0.3."),
    )
    min_field_size = models.PositiveSmallIntegerField(
        _("minimum field size"),
        default=6,
        help_text=_("Events with fewer contestants are flagged."),
    )
    trim_threshold = models.PositiveSmallIntegerField(
        _("trimming threshold"),
        default=5,
        help_text=_(
            "With at least this many judges the highest and lowest score of a component are "
            "dropped."
        ),
    )
    tie_break = models.JSONField(
        _("tie-break chain"),
        default=default_tie_break,
        help_text=_("Applied in turn to equal totals: practical, time, theory."),
    )
    prize_shares = models.JSONField(
        _("prize shares"),
        default=default_prize_shares,
        help_text=_("Prize names with their percentage of the finalists, best prize first."),
    )

    class Meta:
        verbose_name = _("skill event")
        verbose_name_plural = _("skill events")
        ordering = ["campaign", "trade"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "trade"],
                name="skill_event_trade_unique_per_campaign",
                violation_error_message=_("This campaign already has an event for this trade."),
            ),
            models.CheckConstraint(
                condition=Q(theory_weight__gte=0, theory_weight__lte=MAX_THEORY_WEIGHT),
                name="skill_event_theory_weight_0_to_0_3",
                violation_error_message=_("The theory weight lies between 0 and 0.3."),
            ),
        ]

    def __str__(self):
        return self.trade

    @property
    def practical_weight(self) -> Decimal:
        return Decimal(1) - self.theory_weight


class Tier(models.Model):
    """A level of the event (单位 → 区县 → 市 → 省) and how many of each heat advance."""

    class Level(models.TextChoices):
        UNIT = "unit", _("Unit")
        DISTRICT = "district", _("District/county")
        CITY = "city", _("City")
        PROVINCE = "province", _("Province")

    event = models.ForeignKey(
        SkillEvent, verbose_name=_("skill event"), on_delete=models.CASCADE, related_name="tiers"
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    advance_count = models.PositiveSmallIntegerField(
        _("advance count"),
        null=True,
        blank=True,
        help_text=_("The top contestants of each heat who advance to the next tier."),
    )
    advance_percent = models.DecimalField(
        _("advance percent"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Or the top share of each heat, in percent (rounded down, at least one)."),
    )

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["event", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "level"],
                name="tier_level_unique_per_event",
                violation_error_message=_("This event already has a tier at this level."),
            ),
            models.CheckConstraint(
                condition=Q(advance_count__isnull=True) | Q(advance_percent__isnull=True),
                name="tier_advance_count_or_percent",
                violation_error_message=_("Give an advance count or a percentage, not both."),
            ),
            models.CheckConstraint(
                condition=Q(advance_percent__isnull=True)
                | Q(advance_percent__gte=0, advance_percent__lte=100),
                name="tier_advance_percent_0_to_100",
                violation_error_message=_("The advance percentage lies between 0 and 100."),
            ),
        ]

    def __str__(self):
        return f"{self.event} · {self.get_level_display()}"


class Heat(models.Model):
    """A heat (场次) of a tier; its scores are locked once the judging is over."""

    tier = models.ForeignKey(
        Tier, verbose_name=_("tier"), on_delete=models.CASCADE, related_name="heats"
    )
    name = models.CharField(_("name"), max_length=100)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    advances_to = models.ForeignKey(
        "self",
        verbose_name=_("advances to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="fed_by",
        help_text=_(
            "The heat of the next tier its advancing contestants enter; by default the next "
            "tier's first heat."
        ),
    )
    locked_at = models.DateTimeField(_("scores locked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("heat")
        verbose_name_plural = _("heats")
        ordering = ["tier", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tier", "name"],
                name="heat_name_unique_per_tier",
                violation_error_message=_("This tier already has a heat with this name."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    def clean(self):
        target = self.advances_to
        if target is not None and self.tier_id is not None:
            tier = self.tier
            if target.tier.event_id != tier.event_id or target.tier.order <= tier.order:
                raise ValidationError(
                    {"advances_to": _("Choose a heat of a later tier of the same event.")}
                )


class HeatJudge(models.Model):
    """A judge (an evaluator account) marking one component of a heat's entries."""

    heat = models.ForeignKey(
        Heat, verbose_name=_("heat"), on_delete=models.CASCADE, related_name="judges"
    )
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("judge"),
        on_delete=models.PROTECT,
        related_name="skill_heats",
        limit_choices_to={"role": "evaluator", "is_active": True},
    )
    component = models.CharField(
        _("component"), max_length=16, choices=Component.choices, default=Component.PRACTICAL
    )

    class Meta:
        verbose_name = _("heat judge")
        verbose_name_plural = _("heat judges")
        ordering = ["heat", "component", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["heat", "judge", "component"],
                name="heat_judge_unique",
                violation_error_message=_("This judge already marks this component of the heat."),
            ),
        ]

    def __str__(self):
        return f"{self.judge} · {self.get_component_display()}"


class HeatLogEntry(models.Model):
    """A lock or unlock of a heat's scores, with who did it and why."""

    class Action(models.TextChoices):
        LOCK = "lock", _("Locked")
        UNLOCK = "unlock", _("Unlocked")

    heat = models.ForeignKey(
        Heat, verbose_name=_("heat"), on_delete=models.CASCADE, related_name="log"
    )
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("heat lock event")
        verbose_name_plural = _("heat lock events")
        ordering = ["heat", "-created_at", "-pk"]

    def __str__(self):
        return f"{self.heat} · {self.get_action_display()}"


class Contestant(models.Model):
    """A worker registered for an event, competing for their unit."""

    event = models.ForeignKey(
        SkillEvent,
        verbose_name=_("skill event"),
        on_delete=models.CASCADE,
        related_name="contestants",
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="contestants"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="contestants"
    )

    class Meta:
        verbose_name = _("contestant")
        verbose_name_plural = _("contestants")
        ordering = ["event", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "person"],
                name="contestant_unique_per_event",
                violation_error_message=_("This person is already registered for this event."),
            ),
        ]

    def __str__(self):
        return str(self.person)


class HeatEntry(models.Model):
    """A contestant in a heat at a station (工位号); judges see only the station number."""

    heat = models.ForeignKey(
        Heat, verbose_name=_("heat"), on_delete=models.CASCADE, related_name="entries"
    )
    contestant = models.ForeignKey(
        Contestant,
        verbose_name=_("contestant"),
        on_delete=models.CASCADE,
        related_name="entries",
    )
    station_number = models.CharField(
        _("station number"),
        max_length=16,
        help_text=_("The number of the contestant's work station; judges see only this."),
    )
    completion_seconds = models.PositiveIntegerField(
        _("completion time (seconds)"), null=True, blank=True
    )
    # The result as stored when the heat is locked (cleared on unlock): what the results
    # board, the exports and the honours read.
    theory = models.DecimalField(
        _("theory score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    practical = models.DecimalField(
        _("practical score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    advanced = models.BooleanField(_("advanced"), default=False)
    prize = models.CharField(_("prize"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("heat entry")
        verbose_name_plural = _("heat entries")
        ordering = ["heat", "station_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["heat", "contestant"],
                name="heat_entry_contestant_unique_per_heat",
                violation_error_message=_("This contestant is already in this heat."),
            ),
            models.UniqueConstraint(
                fields=["heat", "station_number"],
                name="heat_entry_station_unique_per_heat",
                violation_error_message=_("This station number is already taken in this heat."),
            ),
        ]

    def __str__(self):
        return self.station_number

    @property
    def completion_time(self) -> str:
        """The completion time as mm:ss (minutes may exceed 59), "" when not recorded."""
        if self.completion_seconds is None:
            return ""
        minutes, seconds = divmod(self.completion_seconds, 60)
        return f"{minutes:02d}:{seconds:02d}"

    @property
    def time_key(self) -> tuple:
        """Orders entries by completion time for the tie-break, higher first: a shorter time
        is higher, a missing time lower than any recorded one."""
        seconds = self.completion_seconds
        return (0, 0) if seconds is None else (1, -seconds)


class ComponentScore(models.Model):
    """One judge's score of one component of an entry; imported theory scores have no judge."""

    Component = Component

    entry = models.ForeignKey(
        HeatEntry, verbose_name=_("heat entry"), on_delete=models.CASCADE, related_name="scores"
    )
    component = models.CharField(_("component"), max_length=16, choices=Component.choices)
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("judge"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="skill_scores",
    )
    value = models.DecimalField(
        _("score"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("component score")
        verbose_name_plural = _("component scores")
        ordering = ["entry", "component"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "component", "judge"],
                name="component_score_unique_per_judge",
                violation_error_message=_("This judge has already scored this component."),
            ),
            # NULLs are distinct in a unique index (and nulls_distinct is not portable to
            # SQLite), so an imported, judge-less score needs its own partial index.
            models.UniqueConstraint(
                fields=["entry", "component"],
                condition=Q(judge__isnull=True),
                name="component_score_unique_without_judge",
                violation_error_message=_("This component already has an imported score."),
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0, value__lte=100),
                name="component_score_value_0_to_100",
                violation_error_message=_("A score lies between 0 and 100."),
            ),
        ]

    def __str__(self):
        return f"{self.entry} · {self.get_component_display()}: {self.value}"
