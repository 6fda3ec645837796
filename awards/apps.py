from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwardsConfig(AppConfig):
    name = "awards"
    verbose_name = _("Honours")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import HonourType

        auditlog.register(HonourType)
