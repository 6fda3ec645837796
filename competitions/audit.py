"""The audit trail (django-auditlog): registration of models, and the entries of rows saved
in bulk (bulk_create/bulk_update send no signals, so auditlog would not see them)."""

from auditlog.cid import get_cid
from auditlog.context import auditlog_value
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.encoding import smart_str


def audit(model, **options):
    """Record every change of ``model``'s own fields (not reverse relations) with its author."""
    fields = [field.name for field in model._meta.concrete_fields if not field.primary_key]
    auditlog.register(model, include_fields=fields, **options)


def diff(old, new) -> dict:
    """The changed fields between two instances, as auditlog records them."""
    return model_instance_diff(old, new, use_json_for_changes=settings.AUDITLOG_STORE_JSON_CHANGES)


def log_bulk(model, changes, actor) -> None:
    """Write the audit entries auditlog would have written for (old, new) pairs saved in bulk
    (``old`` None for a created row), with the request's address and correlation id."""
    try:
        context = auditlog_value.get()  # set by AuditlogMiddleware for the current request
    except LookupError:
        context = {}
    content_type = ContentType.objects.get_for_model(model)
    now, cid = timezone.now(), get_cid()
    LogEntry.objects.bulk_create(
        LogEntry(
            content_type=content_type,
            object_pk=str(new.pk),
            object_id=new.pk,
            object_repr=smart_str(new),
            action=LogEntry.Action.CREATE if old is None else LogEntry.Action.UPDATE,
            changes=diff(old, new),
            actor=actor,
            actor_email=getattr(actor, "email", None),
            remote_addr=context.get("remote_addr"),
            remote_port=context.get("remote_port"),
            cid=cid,
            timestamp=now,
        )
        for old, new in changes
    )
