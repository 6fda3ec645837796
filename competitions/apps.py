from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetitionsConfig(AppConfig):
    name = "competitions"
    verbose_name = _("Competitions")

    def ready(self):
        from . import models
        from .audit import audit

        audit(models.Campaign, m2m_fields={"co_organisers"})
        for model in (
            models.Organisation,
            models.CampaignDocument,
            models.Zone,
            models.Stage,
            models.Unit,
            models.Team,
            models.Person,
            models.Project,
            models.CampaignRegistration,
            models.Milestone,
            models.ProgressReport,
        ):
            audit(model)
