from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("Background task dispatch")

    def ready(self):
        from config.celery import app

        from .tasks import SweepOutboxOnConnect

        app.steps["consumer"].add(SweepOutboxOnConnect)
