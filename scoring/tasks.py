"""Background jobs of scoring: thin tasks that take ids and call ``services``."""

from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_veto_raised(veto_id: int) -> int:
    """Tell the campaign's organisers that a veto awaits their decision. Safe to retry:
    each of them gets the notification once."""
    from . import services

    return services._notify_veto_raised(veto_id)
