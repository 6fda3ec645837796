from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwardsConfig(AppConfig):
    name = "awards"
    verbose_name = _("Honours")

    def ready(self):
        from competitions.audit import audit

        from .models import (
            Certificate,
            HonourList,
            HonourListEntry,
            HonourRule,
            HonourType,
            InstantHonour,
            Objection,
        )

        audit(HonourType)
        audit(HonourRule)
        audit(HonourList)
        audit(HonourListEntry)
        audit(Objection)
        audit(InstantHonour)
        audit(Certificate)
