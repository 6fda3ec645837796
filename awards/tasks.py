"""Background jobs of the honours lists: thin tasks that take ids and call ``services``."""

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import OperationalError

from .models import HonourList, HonourRule


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def generate_honour_list(rule_id: int) -> int:
    """Generate the draft list of a rule and record the job's state on it for pages to poll.

    Safe to retry and to run twice: ``services.generate`` replaces the draft in one
    transaction, so a run that failed half way left nothing behind and the next one builds
    the whole list. A refusal (results not locked, list already published) is recorded on a
    draft list as a failure with its message and not retried. Returns the number of entries.
    """
    from . import services

    rule = HonourRule.objects.get(pk=rule_id)
    honour_list, _created = HonourList.objects.get_or_create(rule=rule)
    services.record_job(honour_list.pk, HonourList.TaskState.RUNNING, 10)
    try:
        honour_list = services.generate(rule)
    except ValidationError as error:
        services.record_job(
            honour_list.pk, HonourList.TaskState.FAILED, 0, " ".join(error.messages)
        )
        return 0
    except Exception as error:
        services.record_job(honour_list.pk, HonourList.TaskState.FAILED, 0, str(error))
        raise
    services.record_job(honour_list.pk, HonourList.TaskState.DONE, 100)
    return honour_list.entries.filter(removed_at__isnull=True).count()
