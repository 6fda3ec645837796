from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A task message written in the same transaction as the change that asks for it.

    It is published to the broker after the commit; until then (or while the broker is down)
    it waits here, so committed work always gets its task. ``sent_at`` is set once the broker
    took the message; sent rows are purged after ``DISPATCH_KEEP_SENT_DAYS``."""

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    attempts = models.PositiveIntegerField(_("publish attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["created_at", "pk"]
        indexes = [
            # The sweeper reads the oldest unsent messages; sent ones are the vast majority.
            models.Index(
                fields=["created_at"], condition=Q(sent_at__isnull=True), name="dispatch_pending"
            ),
        ]

    def __str__(self):
        return f"{self.task}{tuple(self.args)}"
