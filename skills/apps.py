from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SkillsConfig(AppConfig):
    name = "skills"
    verbose_name = _("Skill contests")

    def ready(self):
        from competitions.audit import audit

        from . import models, rules  # noqa: F401 - registers the permissions

        for model in (
            models.SkillEvent,
            models.Tier,
            models.Heat,
            models.HeatJudge,
            models.Contestant,
            models.HeatEntry,
            models.ComponentScore,
        ):
            audit(model)
