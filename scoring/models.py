from django.conf import settings
from django.db import models
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
