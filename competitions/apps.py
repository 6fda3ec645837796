from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetitionsConfig(AppConfig):
    name = "competitions"
    verbose_name = _("Competitions")

    def ready(self):
        from auditlog.registry import auditlog

        from . import models

        for model in (
            models.Organisation,
            models.Campaign,
            models.CampaignDocument,
            models.Zone,
            models.Stage,
            models.Unit,
            models.Team,
            models.Person,
            models.Project,
        ):
            auditlog.register(model)
