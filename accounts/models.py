from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in. The role decides what they see (属地管理、分级负责)."""

    class Role(models.TextChoices):
        ORGANISER = "organiser", _("Organiser staff")
        UNIT = "unit", _("Unit liaison")
        EVALUATOR = "evaluator", _("Evaluator")
        NONE = "", _("No role")

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    organisation = models.ForeignKey(
        "competitions.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text=_(
            "Organiser staff: the union they work for. Evaluators: the union they "
            "belong to (used for conflicts of interest)."
        ),
    )
    unit = models.ForeignKey(
        "competitions.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text=_("Unit liaisons: their unit. Evaluators: their employer, if any."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="organiser") | Q(organisation__isnull=False),
                name="organiser_has_organisation",
                violation_error_message=_("Organiser staff must belong to an organisation."),
            ),
            models.CheckConstraint(
                condition=~Q(role="unit") | Q(unit__isnull=False),
                name="liaison_has_unit",
                violation_error_message=_("A unit liaison must belong to a unit."),
            ),
        ]

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_organiser(self):
        return self.role == self.Role.ORGANISER

    @property
    def is_liaison(self):
        return self.role == self.Role.UNIT

    @property
    def is_evaluator(self):
        return self.role == self.Role.EVALUATOR


class Notification(models.Model):
    """An in-app message to one user; the same event may also go out by email."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    event = models.CharField(
        _("event"),
        max_length=64,
        help_text=_("What caused it, e.g. transition:42; one notification per user and event."),
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="notification_once_per_event"),
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return self.title
