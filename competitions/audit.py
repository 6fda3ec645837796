"""Registration of models with the audit trail (django-auditlog)."""

from auditlog.registry import auditlog


def audit(model, **options):
    """Record every change of ``model``'s own fields (not reverse relations) with its author."""
    fields = [field.name for field in model._meta.concrete_fields if not field.primary_key]
    auditlog.register(model, include_fields=fields, **options)
