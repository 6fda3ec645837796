from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class HonourType(models.Model):
    """A kind of honour (五一劳动奖状, 工人先锋号 ...); the usual ones are shipped."""

    class Level(models.TextChoices):
        NATIONAL = "national", _("National")
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        DISTRICT = "district", _("District")
        ENTERPRISE = "enterprise", _("Enterprise")

    class Recipient(models.TextChoices):
        UNIT = "unit", _("Unit")
        TEAM = "team", _("Team")
        PERSON = "person", _("Person")

    class CampaignKind(models.TextChoices):
        LABOUR = "labour", _("Labour competition")
        SKILL = "skill", _("Skill contest")

    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    recipient = models.CharField(_("recipient"), max_length=8, choices=Recipient.choices)
    campaign_kind = models.CharField(
        _("campaign kind"), max_length=16, choices=CampaignKind.choices, default="labour"
    )

    class Meta:
        verbose_name = _("honour type")
        verbose_name_plural = _("honour types")
        ordering = ["recipient", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "level"],
                name="honour_type_unique",
                violation_error_message=_("This honour type exists already at this level."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_level_display()})"


PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


def _percent_field(label, help_text=""):
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
        help_text=help_text,
    )


def _percent_check(field, name):
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0, f"{field}__lte": 100}),
        name=name,
        violation_error_message=_("A percentage lies between 0 and 100."),
    )


class HonourRule(models.Model):
    """How one honour is awarded in one campaign (or one zone of it): quota and eligibility."""

    campaign = models.ForeignKey(
        "competitions.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        related_name="honour_rules",
    )
    honour_type = models.ForeignKey(
        HonourType,
        verbose_name=_("honour type"),
        on_delete=models.PROTECT,
        related_name="rules",
    )
    zone = models.ForeignKey(
        "competitions.Zone",
        verbose_name=_("zone"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="honour_rules",
        help_text=_("Leave empty for a quota over the whole campaign."),
    )
    quota = models.PositiveIntegerField(_("quota"), validators=[MinValueValidator(1)])
    min_score = models.DecimalField(
        _("minimum final score"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    top_n = models.PositiveIntegerField(
        _("top N of the zone ranking"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    top_percent = _percent_field(_("top percentage of the zone ranking"))
    require_completed = models.BooleanField(_("project completed required"), default=False)
    min_on_time_rate = _percent_field(
        _("minimum on-time report rate (%)"),
        _("Share of the project's due progress reports that arrived on time."),
    )
    per_unit_cap = models.PositiveIntegerField(
        _("at most per unit"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("For individual honours: at most this many recipients from one unit."),
    )
    front_line_min = _percent_field(_("front-line workers at least (%)"))
    leader_max = _percent_field(_("unit leaders at most (%)"))
    industrial_min = _percent_field(_("industrial workers at least (%)"))
    migrant_min = _percent_field(_("migrant workers at least (%)"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("honour rule")
        verbose_name_plural = _("honour rules")
        ordering = ["campaign", "zone", "honour_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "honour_type", "zone"],
                condition=Q(zone__isnull=False),
                name="honour_rule_unique_per_zone",
                violation_error_message=_("This honour already has a rule in this zone."),
            ),
            models.UniqueConstraint(
                fields=["campaign", "honour_type"],
                condition=Q(zone__isnull=True),
                name="honour_rule_unique_per_campaign",
                violation_error_message=_("This honour already has a rule for the campaign."),
            ),
            models.CheckConstraint(
                condition=Q(quota__gte=1),
                name="honour_rule_quota_positive",
                violation_error_message=_("The quota must be at least 1."),
            ),
            models.CheckConstraint(
                condition=Q(top_n__isnull=True) | Q(top_n__gte=1),
                name="honour_rule_top_n_positive",
                violation_error_message=_("Top N must be at least 1."),
            ),
            models.CheckConstraint(
                condition=Q(per_unit_cap__isnull=True) | Q(per_unit_cap__gte=1),
                name="honour_rule_unit_cap_positive",
                violation_error_message=_("The per-unit cap must be at least 1."),
            ),
            _percent_check("top_percent", "honour_rule_top_percent_range"),
            _percent_check("min_on_time_rate", "honour_rule_on_time_range"),
            _percent_check("front_line_min", "honour_rule_front_line_range"),
            _percent_check("leader_max", "honour_rule_leader_range"),
            _percent_check("industrial_min", "honour_rule_industrial_range"),
            _percent_check("migrant_min", "honour_rule_migrant_range"),
        ]

    def __str__(self):
        where = self.zone.name if self.zone_id else self.campaign.title
        return f"{self.honour_type.name} · {where}"

    @property
    def composition_quotas(self) -> dict:
        """The composition quotas that are set, by field name."""
        fields = ("front_line_min", "leader_max", "industrial_min", "migrant_min")
        return {name: getattr(self, name) for name in fields if getattr(self, name) is not None}

    def clean(self):
        errors = {}
        if self.zone_id and self.campaign_id and self.zone.campaign_id != self.campaign_id:
            errors["zone"] = _("The zone must belong to the campaign.")
        if self.honour_type_id:
            recipient = self.honour_type.recipient
            if self.per_unit_cap and recipient == HonourType.Recipient.UNIT:
                errors["per_unit_cap"] = _(
                    "A per-unit cap applies to honours for people and teams only."
                )
            if self.composition_quotas and recipient != HonourType.Recipient.PERSON:
                errors["front_line_min"] = _("Composition quotas apply to honours for people only.")
        if errors:
            raise ValidationError(errors)


class HonourList(models.Model):
    """The honours list of one rule: generated as a draft, published for notice, confirmed."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published for public notice")
        CONFIRMED = "confirmed", _("Confirmed")

    class TaskState(models.TextChoices):
        IDLE = "idle", _("Not started")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    # One list per rule: generating again replaces the draft, never adds a second list.
    rule = models.OneToOneField(
        HonourRule, verbose_name=_("honour rule"), on_delete=models.CASCADE, related_name="list"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    version = models.PositiveIntegerField(_("version"), default=0)
    notice_start = models.DateField(_("notice starts"), null=True, blank=True)
    notice_end = models.DateField(_("notice ends"), null=True, blank=True)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    composition_override_reason = models.TextField(
        _("reason for overriding the composition quotas"), blank=True
    )
    task_state = models.CharField(
        _("generation job"), max_length=16, choices=TaskState.choices, default=TaskState.IDLE
    )
    task_progress = models.PositiveSmallIntegerField(
        _("generation progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    task_error = models.TextField(_("generation error"), blank=True)
    task_updated_at = models.DateTimeField(_("job updated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("honours list")
        verbose_name_plural = _("honours lists")
        ordering = ["rule"]
        constraints = [
            models.CheckConstraint(
                condition=Q(notice_end__isnull=True)
                | Q(notice_start__isnull=False, notice_end__gte=F("notice_start")),
                name="honour_list_notice_dates_ordered",
                violation_error_message=_("The notice cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(task_progress__lte=100),
                name="honour_list_progress_max_100",
            ),
        ]

    def __str__(self):
        return str(self.rule)

    @property
    def campaign(self):
        """The rule's campaign: who manages it manages the list."""
        return self.rule.campaign


class HonourListEntry(models.Model):
    """One recipient on an honours list. Entries are never deleted once the list is public:
    a removed entry keeps ``removed_at`` and the reason."""

    class Source(models.TextChoices):
        GENERATED = "generated", _("Generated from the results")
        ADDED = "added", _("Added by staff")
        SUBSTITUTE = "substitute", _("Substitute after a removal")
        INSTANT = "instant", _("Instant honour")

    honour_list = models.ForeignKey(
        HonourList, verbose_name=_("honours list"), on_delete=models.CASCADE, related_name="entries"
    )
    project = models.ForeignKey(
        "competitions.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="honour_entries",
    )
    unit = models.ForeignKey(
        "competitions.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="honour_entries",
    )
    team = models.ForeignKey(
        "competitions.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="honour_entries",
    )
    person = models.ForeignKey(
        "competitions.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="honour_entries",
    )
    # Who the honour goes to, as one value the uniqueness constraint can hold:
    # "person:<id>", "team:<id>", "unit:<id>", or "project:<id>" while a person or team
    # is still to be nominated.
    recipient_key = models.CharField(max_length=32, editable=False)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    over_quota = models.BooleanField(_("over quota"), default=False)
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.GENERATED
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    removal_reason = models.TextField(_("reason for removal"), blank=True)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("nominated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    nominated_at = models.DateTimeField(_("nominated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("honours list entry")
        verbose_name_plural = _("honours list entries")
        ordering = ["honour_list", F("rank").asc(nulls_last=True), "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["honour_list", "recipient_key"],
                condition=Q(removed_at__isnull=True),
                name="honour_entry_recipient_once",
                violation_error_message=_("This recipient is already on the list."),
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True) | ~Q(removal_reason=""),
                name="honour_entry_removal_has_reason",
                violation_error_message=_("A removal needs a reason."),
            ),
        ]

    def __str__(self):
        return self.recipient_name

    def save(self, *args, **kwargs):
        self.recipient_key = self.compute_recipient_key()
        super().save(*args, **kwargs)

    @property
    def recipient_name(self) -> str:
        recipient = self.person or self.team or self.unit
        return str(recipient)

    @property
    def active(self) -> bool:
        return self.removed_at is None

    def compute_recipient_key(self) -> str:
        if self.person_id:
            return f"person:{self.person_id}"
        if self.team_id:
            return f"team:{self.team_id}"
        recipient = self.honour_list.rule.honour_type.recipient
        if recipient != HonourType.Recipient.UNIT and self.project_id:
            return f"project:{self.project_id}"
        return f"unit:{self.unit_id}"


def validate_contact(value: str) -> None:
    """A phone number or an e-mail address, checked loosely."""
    value = (value or "").strip()
    if "@" in value:
        local, _at, domain = value.rpartition("@")
        if local and "." in domain and " " not in value:
            return
    else:
        digits = [c for c in value if c.isdigit()]
        if 5 <= len(digits) <= 20 and all(c.isdigit() or c in "+-() " for c in value):
            return
    raise ValidationError(_("Give a phone number or an e-mail address."), code="invalid_contact")


class Objection(models.Model):
    """An objection lodged against an entry during the public notice (公示).

    The objector's name and contact are kept from the public: only the campaign's staff see
    them. Staff record the investigation and decide; the decision fields say who and when."""

    class Status(models.TextChoices):
        LODGED = "lodged", _("Lodged")
        UPHELD = "upheld", _("Upheld")
        DISMISSED = "dismissed", _("Dismissed")

    entry = models.ForeignKey(
        HonourListEntry,
        verbose_name=_("honours list entry"),
        on_delete=models.CASCADE,
        related_name="objections",
    )
    name = models.CharField(_("your name"), max_length=64)
    contact = models.CharField(_("phone or e-mail"), max_length=128, validators=[validate_contact])
    content = models.TextField(_("objection"), max_length=2000)
    lodged_at = models.DateTimeField(_("lodged at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.LODGED, db_index=True
    )
    investigation = models.TextField(_("investigation"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["lodged_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="lodged") | (Q(decided_at__isnull=False) & ~Q(investigation="")),
                name="objection_decision_recorded",
                violation_error_message=_("A decision needs the investigation."),
            ),
        ]

    def __str__(self):
        return f"{self.entry} · {self.get_status_display()}"


class InstantHonour(models.Model):
    """An honour given at once during a campaign (即时授予), outside the generated lists,
    with a written reason; it gets a certificate like a confirmed honour."""

    campaign = models.ForeignKey(
        "competitions.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        related_name="instant_honours",
    )
    honour_type = models.ForeignKey(
        HonourType,
        verbose_name=_("honour type"),
        on_delete=models.PROTECT,
        related_name="instant_honours",
    )
    unit = models.ForeignKey(
        "competitions.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="instant_honours",
    )
    team = models.ForeignKey(
        "competitions.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="instant_honours",
    )
    person = models.ForeignKey(
        "competitions.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="instant_honours",
    )
    project = models.ForeignKey(
        "competitions.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="instant_honours",
    )
    reason = models.TextField(_("reason"), max_length=2000)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("awarded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    awarded_at = models.DateTimeField(_("awarded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("instant honour")
        verbose_name_plural = _("instant honours")
        ordering = ["-awarded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="instant_honour_has_reason",
                violation_error_message=_("An instant honour needs a written reason."),
            ),
        ]

    def __str__(self):
        return f"{self.honour_type.name} · {self.recipient_name}"

    @property
    def recipient_name(self) -> str:
        return str(self.person or self.team or self.unit)


class Certificate(models.Model):
    """A numbered certificate of a confirmed honour or an instant honour.

    The printed text is frozen here when the certificate is issued (names change, the
    certificate does not); the verification code lets anyone check it on the public
    verification page."""

    campaign = models.ForeignKey(
        "competitions.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    entry = models.OneToOneField(
        HonourListEntry,
        verbose_name=_("honours list entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificate",
    )
    instant_honour = models.OneToOneField(
        InstantHonour,
        verbose_name=_("instant honour"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificate",
    )
    serial = models.PositiveIntegerField(_("serial number in the campaign"))
    number = models.CharField(_("certificate number"), max_length=32, unique=True)
    verification_code = models.CharField(_("verification code"), max_length=16, unique=True)
    honour_name = models.CharField(_("honour"), max_length=64)
    recipient_name = models.CharField(_("recipient"), max_length=200)
    unit_name = models.CharField(_("unit"), max_length=200)
    campaign_title = models.CharField(_("campaign"), max_length=200)
    issuer_name = models.CharField(_("issued by"), max_length=200)
    list_version = models.PositiveIntegerField(_("list version"), null=True, blank=True)
    issued_on = models.DateField(_("issued on"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["campaign", "serial"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "serial"], name="certificate_serial_unique_per_campaign"
            ),
            models.CheckConstraint(
                condition=Q(entry__isnull=False, instant_honour__isnull=True)
                | Q(entry__isnull=True, instant_honour__isnull=False),
                name="certificate_of_one_honour",
                violation_error_message=_(
                    "A certificate is for one list entry or one instant honour."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.number} · {self.honour_name} · {self.recipient_name}"


class SummaryBuild(models.Model):
    """One run building the summaries of a campaign for a period: the campaign as a whole
    and each zone get a snapshot. Scheduled runs (Celery beat) are one per campaign and
    period; "build now" runs are kept beside them, so history is never overwritten."""

    class Period(models.TextChoices):
        MONTH = "month", _("Monthly")
        QUARTER = "quarter", _("Quarterly")
        YEAR = "year", _("Annual")

    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        MANUAL = "manual", _("Built on request")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    campaign = models.ForeignKey(
        "competitions.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        related_name="summary_builds",
    )
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    trigger = models.CharField(
        _("trigger"), max_length=16, choices=Trigger.choices, default=Trigger.SCHEDULED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("summary build")
        verbose_name_plural = _("summary builds")
        ordering = ["campaign", "-period_start", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "period", "period_start"],
                condition=Q(trigger="scheduled"),
                name="summary_scheduled_once_per_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="summary_period_ordered",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="summary_progress_max"),
        ]

    def __str__(self):
        return f"{self.campaign} · {self.get_period_display()} {self.period_start}"


class SummarySnapshot(models.Model):
    """The figures of one summary: of the whole campaign (no zone) or of one zone."""

    build = models.ForeignKey(
        SummaryBuild,
        verbose_name=_("summary build"),
        on_delete=models.CASCADE,
        related_name="snapshots",
    )
    zone = models.ForeignKey(
        "competitions.Zone",
        verbose_name=_("zone"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="summary_snapshots",
    )
    figures = models.JSONField(_("figures"), default=dict)

    class Meta:
        verbose_name = _("summary")
        verbose_name_plural = _("summaries")
        ordering = ["build", F("zone").asc(nulls_first=True)]
        constraints = [
            models.UniqueConstraint(
                fields=["build", "zone"],
                condition=Q(zone__isnull=False),
                name="summary_snapshot_once_per_zone",
            ),
            models.UniqueConstraint(
                fields=["build"],
                condition=Q(zone__isnull=True),
                name="summary_snapshot_once_per_campaign",
            ),
        ]

    def __str__(self):
        return f"{self.build} · {self.zone or _('whole campaign')}"
