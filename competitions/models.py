from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from .validators import (
    UploadValidator,
    normalise_id_number,
    normalise_mobile,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
)


class Organisation(MP_Node):
    """A trade union organisation in the union tree.

    Materialised path (django-treebeard MP_Node): a subtree is one indexed
    ``path LIKE 'prefix%'`` query, which is what scoping runs on every request.
    """

    class Kind(models.TextChoices):
        NATIONAL = "national", _("National federation")
        PROVINCE = "province", _("Provincial federation")
        CITY = "city", _("City federation")
        DISTRICT = "district", _("District/county federation")
        INDUSTRY = "industry", _("Industry union")
        ENTERPRISE = "enterprise", _("Enterprise union")
        OTHER = "other", _("Other body")

    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    region_code = models.CharField(_("region code"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["path"]

    def __str__(self):
        return self.name


class Campaign(models.Model):
    class Kind(models.TextChoices):
        LABOUR = "labour", _("Labour competition")
        SKILL = "skill", _("Skill contest")

    class Status(models.TextChoices):
        DRAFT = "draft", _("In preparation")
        ACTIVE = "active", _("Running")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.LABOUR)
    theme = models.CharField(_("theme"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    organiser = models.ForeignKey(
        Organisation,
        verbose_name=_("lead organiser"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    co_organisers = models.ManyToManyField(
        Organisation,
        verbose_name=_("co-organisers"),
        blank=True,
        related_name="co_organised_campaigns",
    )
    leadership_group = models.TextField(_("leadership group"), blank=True)
    office = models.CharField(_("competition office"), max_length=200, blank=True)
    evaluation_method = models.TextField(_("evaluation method"), blank=True)
    report_every_months = models.PositiveSmallIntegerField(
        _("report every (months)"),
        default=1,
        choices=[(1, _("monthly")), (2, _("every two months")), (3, _("quarterly"))],
    )
    report_due_day = models.PositiveSmallIntegerField(
        _("report due day"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Reports are due on this day of the month after their period."),
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("reminder days before the deadline"),
        default=3,
        validators=[MaxValueValidator(27)],
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start_date", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="campaign_period_ordered",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(report_due_day__gte=1, report_due_day__lte=28),
                name="campaign_report_due_day_1_28",
                violation_error_message=_("The due day lies between 1 and 28."),
            ),
            models.UniqueConstraint(
                fields=["organiser", "title"],
                name="campaign_title_unique_per_organiser",
                violation_error_message=_("This organiser already has a campaign with this title."),
            ),
        ]

    def __str__(self):
        return self.title


def campaign_document_path(instance, filename):
    return f"campaigns/{instance.campaign_id}/{filename}"


class CampaignDocument(models.Model):
    """A published notice (通知), evaluation method (考评办法) or other document."""

    class Kind(models.TextChoices):
        NOTICE = "notice", _("Notice")
        METHOD = "method", _("Evaluation method")
        OTHER = "other", _("Other")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.NOTICE)
    file = models.FileField(
        _("file"),
        upload_to=campaign_document_path,
        blank=True,
        validators=[UploadValidator()],
        help_text=_("PDF, images or Office documents."),
    )
    published_on = models.DateField(_("published on"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign document")
        verbose_name_plural = _("campaign documents")
        ordering = ["campaign", "-published_on", "title"]

    def __str__(self):
        return self.title


class Zone(models.Model):
    """A competition zone (赛区) with its slogan and comparison dimensions (e.g. 六比)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="zones"
    )
    name = models.CharField(_("name"), max_length=100)
    slogan = models.CharField(_("slogan"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    dimensions_label = models.CharField(
        _("dimensions label"), max_length=32, blank=True, help_text=_("For example 六比.")
    )
    dimensions = models.JSONField(
        _("comparison dimensions"),
        default=list,
        blank=True,
        help_text=_("For example 比质量, 比安全, 比进度."),
    )

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["campaign", "order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "name"],
                name="zone_name_unique_per_campaign",
                violation_error_message=_("This campaign already has a zone with this name."),
            ),
        ]

    def __str__(self):
        return self.name


class Stage(models.Model):
    """A stage (阶段) of a campaign; its weight counts in the final result."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    weight = models.DecimalField(
        _("weight"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Share of the final result, between 0 and 1."),
    )

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["campaign", "order", "start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "name"],
                name="stage_name_unique_per_campaign",
                violation_error_message=_("This campaign already has a stage with this name."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="stage_period_ordered",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=1),
                name="stage_weight_between_0_and_1",
                violation_error_message=_("A stage weight lies between 0 and 1."),
            ),
        ]

    def __str__(self):
        return self.name


class Unit(models.Model):
    """A participating unit (参赛单位): an enterprise or institution."""

    class Ownership(models.TextChoices):
        STATE = "state", _("State-owned")
        COLLECTIVE = "collective", _("Collective")
        PRIVATE = "private", _("Private")
        FOREIGN = "foreign", _("Foreign-funded")
        HMT = "hmt", _("Hong Kong, Macao or Taiwan funded")
        JOINT = "joint", _("Joint venture")
        INSTITUTION = "institution", _("Public institution")
        GOVERNMENT = "government", _("Government body")
        OTHER = "other", _("Other")

    class Size(models.TextChoices):
        LARGE = "large", _("Large")
        MEDIUM = "medium", _("Medium")
        SMALL = "small", _("Small")
        MICRO = "micro", _("Micro")

    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
        error_messages={"unique": _("A unit with this credit code is already registered.")},
    )
    ownership = models.CharField(_("ownership"), max_length=16, choices=Ownership.choices)
    industry = models.CharField(_("industry"), max_length=64)
    size = models.CharField(_("size"), max_length=8, choices=Size.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("union organisation"),
        on_delete=models.PROTECT,
        related_name="units",
        help_text=_("The union organisation the unit belongs to (隶属关系)."),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Team(models.Model):
    """A team (班组) inside a unit."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="teams"
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["unit", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "name"],
                name="team_name_unique_per_unit",
                violation_error_message=_("This unit already has a team with this name."),
            ),
        ]

    def __str__(self):
        return self.name


class Person(models.Model):
    """A worker (职工) of a unit; the flags feed the composition quotas of honours."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="people"
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    name = models.CharField(_("name"), max_length=64)
    trade = models.CharField(_("trade"), max_length=64, blank=True, help_text=_("工种"))
    job_title = models.CharField(_("job title"), max_length=64, blank=True)
    is_front_line = models.BooleanField(_("front-line worker"), default=False)
    is_leader = models.BooleanField(_("unit leader"), default=False)
    is_industrial_worker = models.BooleanField(_("industrial worker"), default=False)
    is_migrant_worker = models.BooleanField(_("migrant worker"), default=False)
    # Personal data needed to register an honour (奖章, 技术能手); shown in full only to the
    # unit and the unions responsible for it (``competitions.privacy``).
    phone = models.CharField(
        _("mobile phone"),
        max_length=20,
        blank=True,
        validators=[validate_mobile],
        help_text=_("Mainland mobile number, 11 digits."),
    )
    id_number = models.CharField(
        _("ID card number"),
        max_length=18,
        blank=True,
        validators=[validate_id_number],
        help_text=_("居民身份证号, 18 characters; needed to register an individual honour."),
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["unit", "name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.normalise()
        super().save(*args, **kwargs)

    def clean(self):
        from django.core.exceptions import ValidationError

        self.normalise()
        if self.team_id and self.unit_id and self.team.unit_id != self.unit_id:
            raise ValidationError({"team": _("The team must belong to the person's unit.")})

    def normalise(self) -> None:
        """Store the phone as its 11 digits and the ID number without spaces, X upper-case."""
        self.phone = normalise_mobile(self.phone) if self.phone else ""
        self.id_number = normalise_id_number(self.id_number)


class Project(models.Model):
    """A competition project (竞赛项目) declared by a unit for a zone of a campaign."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for revision")
        REJECTED = "rejected", _("Rejected")
        APPROVED = "approved", _("Approved")
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="projects"
    )
    zone = models.ForeignKey(
        Zone, verbose_name=_("zone"), on_delete=models.PROTECT, related_name="projects"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="projects"
    )
    title = models.CharField(_("title"), max_length=200)
    target_tasks = models.TextField(_("target tasks"), blank=True)
    content = models.TextField(_("content"), blank=True)
    standards = models.TextField(_("standards"), blank=True)
    requirements = models.TextField(_("requirements"), blank=True)
    plan = models.TextField(
        _("one-to-one plan"), blank=True, help_text=_("The unit's 一对一竞赛方案.")
    )
    leader = models.ForeignKey(
        Person,
        verbose_name=_("project leader"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_projects",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    running_since = models.DateField(
        _("running since"),
        null=True,
        blank=True,
        help_text=_("Progress reports are due from this date's reporting period on."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit", "title"],
                name="project_title_unique_per_unit_and_campaign",
                violation_error_message=_(
                    "This unit already declared a project with this title in this campaign."
                ),
            ),
        ]
        indexes = [models.Index(fields=["campaign", "zone", "status"])]

    def __str__(self):
        return self.title

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.zone_id and self.campaign_id and self.zone.campaign_id != self.campaign_id:
            raise ValidationError({"zone": _("The zone must belong to the project's campaign.")})
        if self.leader_id and self.unit_id and self.leader.unit_id != self.unit_id:
            raise ValidationError({"leader": _("The leader must work for the project's unit.")})
        if self.team_id and self.unit_id and self.team.unit_id != self.unit_id:
            raise ValidationError({"team": _("The team must belong to the project's unit.")})

    @property
    def is_editable(self):
        """Declarations can be edited by the unit while a draft or returned for revision."""
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)


class CampaignRegistration(models.Model):
    """A unit's participation in a campaign: requested by the unit (or made by staff) and
    decided by the staff of the unit's organisation. Only registered units declare projects."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="registrations"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="registrations"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign registration")
        verbose_name_plural = _("campaign registrations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit"],
                name="registration_unique",
                violation_error_message=_("This unit has already registered for this campaign."),
            ),
        ]

    def __str__(self):
        return f"{self.unit} · {self.campaign}"


class Milestone(models.Model):
    """Planned progress of a project at the end of a reporting period (month)."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="milestones"
    )
    period = models.DateField(_("reporting period"), help_text=_("Any day of the month."))
    planned_percent = models.DecimalField(
        _("planned progress (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "period"],
                name="milestone_unique_period",
                violation_error_message=_("This period already has a milestone."),
            ),
            models.CheckConstraint(
                condition=Q(planned_percent__gte=0, planned_percent__lte=100),
                name="milestone_percent_0_100",
                violation_error_message=_("Planned progress lies between 0 and 100%."),
            ),
        ]

    def __str__(self):
        return f"{self.period:%Y-%m}: {self.planned_percent}%"

    def save(self, *args, **kwargs):
        # A reporting period is a month; store it as its first day.
        self.period = self.period.replace(day=1)
        super().save(*args, **kwargs)


def attachment_path(instance, filename):
    return f"projects/{instance.project_id}/{filename}"


class ProjectAttachment(models.Model):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(
        _("file"),
        upload_to=attachment_path,
        validators=[UploadValidator()],
        help_text=_("PDF, images or Office documents."),
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["project", "uploaded_at"]

    def __str__(self):
        return self.title or self.file.name.rsplit("/", 1)[-1]


class ProjectTransition(models.Model):
    """One step of a project through the review workflow: who, when, from, to and why."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="transitions"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=16)
    from_status = models.CharField(_("from"), max_length=16, choices=Project.Status.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=Project.Status.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("project transition")
        verbose_name_plural = _("project transitions")
        ordering = ["project", "created_at", "id"]

    def __str__(self):
        return f"{self.project}: {self.from_status} → {self.to_status}"


class ProgressReport(models.Model):
    """A project's report (进度填报) for one reporting period.

    Opened by the schedule job for every running project; the unit fills it in and submits
    it; staff accept it or return it with a comment.
    """

    # The figures a unit reports each period, in the order forms and exports show them.
    FIGURES = (
        "actual_percent",
        "workers",
        "hidden_dangers_found",
        "hidden_dangers_fixed",
        "safety_incidents",
        "quality_issues",
        "proposals",
        "proposals_benefit",
        "innovations",
        "people_trained",
    )

    class Status(models.TextChoices):
        DUE = "due", _("Due")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="reports"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    due_date = models.DateField(_("due date"), db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DUE, db_index=True
    )
    planned_percent = models.DecimalField(
        _("planned progress (%)"), max_digits=5, decimal_places=2, default=0
    )
    actual_percent = models.DecimalField(
        _("actual progress (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    workers = models.PositiveIntegerField(_("workers taking part"), default=0)
    hidden_dangers_found = models.PositiveIntegerField(_("hidden dangers found"), default=0)
    hidden_dangers_fixed = models.PositiveIntegerField(_("hidden dangers fixed"), default=0)
    safety_incidents = models.PositiveIntegerField(_("safety incidents"), default=0)
    quality_issues = models.PositiveIntegerField(_("quality issues"), default=0)
    proposals = models.PositiveIntegerField(_("rational proposals"), default=0)
    proposals_benefit = models.DecimalField(
        _("economic benefit of proposals (yuan)"),
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    innovations = models.PositiveIntegerField(_("technical innovations"), default=0)
    people_trained = models.PositiveIntegerField(_("people trained"), default=0)
    narrative = models.TextField(_("narrative"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    late = models.BooleanField(
        _("late"), default=False, help_text=_("First submitted after the due date.")
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    overdue_notice_sent_at = models.DateTimeField(
        _("overdue notice sent at"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["project", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "period_start"],
                name="report_once_per_period",
                violation_error_message=_("This project has a report for this period already."),
            ),
            models.CheckConstraint(
                condition=Q(hidden_dangers_fixed__lte=F("hidden_dangers_found")),
                name="report_fixed_not_above_found",
                violation_error_message=_(
                    "Hidden dangers fixed cannot exceed hidden dangers found."
                ),
            ),
            models.CheckConstraint(
                condition=Q(actual_percent__isnull=True)
                | Q(actual_percent__gte=0, actual_percent__lte=100),
                name="report_actual_percent_0_100",
                violation_error_message=_("Actual progress lies between 0 and 100%."),
            ),
            models.CheckConstraint(
                condition=Q(proposals_benefit__gte=0),
                name="report_benefit_not_negative",
                violation_error_message=_("The economic benefit cannot be negative."),
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self):
        return f"{self.project} · {self.period_label}"

    @property
    def period_label(self) -> str:
        if self.period_start.month == self.period_end.month:
            return f"{self.period_start:%Y-%m}"
        return f"{self.period_start:%Y-%m}–{self.period_end:%Y-%m}"

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DUE, self.Status.RETURNED)

    def clean(self):
        from django.core.exceptions import ValidationError

        if (self.hidden_dangers_fixed or 0) > (self.hidden_dangers_found or 0):
            raise ValidationError(
                {
                    "hidden_dangers_fixed": _(
                        "Hidden dangers fixed cannot exceed hidden dangers found."
                    )
                }
            )


def report_attachment_path(instance, filename):
    return f"reports/{instance.report_id}/{filename}"


class ReportAttachment(models.Model):
    report = models.ForeignKey(
        ProgressReport,
        verbose_name=_("progress report"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(
        _("file"),
        upload_to=report_attachment_path,
        validators=[UploadValidator(kinds=("jpg", "png", "pdf"))],
        help_text=_("Photos (JPG, PNG) or PDF."),
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report attachment")
        verbose_name_plural = _("report attachments")
        ordering = ["report", "uploaded_at"]

    def __str__(self):
        return self.title or self.file.name.rsplit("/", 1)[-1]


class PrivacyRequest(models.Model):
    """A data subject's request under China's PIPL, as handled: a copy of their data
    (art. 45) or its erasure (art. 47). The record names the subject by id only, so it keeps
    no personal data of its own once the subject is erased."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("Export")
        ERASURE = "erasure", _("Erasure")

    class Subject(models.TextChoices):
        PERSON = "person", _("Person")
        USER = "user", _("User account")

    class Channel(models.TextChoices):
        WEB = "web", _("Web page")
        COMMAND = "command", _("Command line")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=16, choices=Subject.choices)
    subject_id = models.PositiveIntegerField(_("subject id"))
    reason = models.TextField(_("reason"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    summary = models.JSONField(
        _("summary"), default=dict, blank=True, help_text=_("What was exported or erased.")
    )
    created_at = models.DateTimeField(_("handled at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("personal data request")
        verbose_name_plural = _("personal data requests")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["subject", "subject_id"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="erasure") | ~Q(reason=""),
                name="privacy_erasure_has_reason",
                violation_error_message=_("An erasure needs the reason it was requested."),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.get_subject_display()} #{self.subject_id}"
