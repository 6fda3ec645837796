"""The generation job: state recorded on the list, safe to run again after a failure."""

import pytest

from awards import services
from awards.models import HonourList, HonourListEntry
from awards.tasks import generate_honour_list

from .conftest import EXAMPLE_2


def test_task_records_done(ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"})
    rule = honour(quota=2, min_score="85")
    assert generate_honour_list.delay(rule.pk).get() == 2
    honour_list = HonourList.objects.get(rule=rule)
    assert honour_list.task_state == "done" and honour_list.task_progress == 100


def test_task_records_refusal_before_locks(ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"}, lock=False)
    rule = honour(quota=2)
    assert generate_honour_list.delay(rule.pk).get() == 0
    honour_list = HonourList.objects.get(rule=rule)
    assert honour_list.task_state == "failed" and "locked" in honour_list.task_error
    assert not honour_list.entries.exists()


def test_task_failing_half_way_then_rerun_leaves_one_correct_list(ranking, honour, monkeypatch):
    ranking(EXAMPLE_2, vetoed={"D"})
    rule = honour(quota=2, min_score="85")
    services.generate(rule)  # an earlier draft that the failed run must leave intact
    written = []

    def fail_after_writing(honour_list):
        written.append(HonourListEntry.objects.filter(honour_list=honour_list).count())
        raise RuntimeError("worker lost")

    monkeypatch.setattr(services, "_finish_generation", fail_after_writing)
    with pytest.raises(RuntimeError):
        generate_honour_list.delay(rule.pk).get()
    assert written == [2]  # the rows were written before the failure ...
    honour_list = HonourList.objects.get(rule=rule)
    assert honour_list.task_state == "failed" and "worker lost" in honour_list.task_error
    assert honour_list.entries.count() == 2  # ... and rolled back to the earlier draft

    monkeypatch.undo()
    assert generate_honour_list.delay(rule.pk).get() == 2
    assert HonourList.objects.filter(rule=rule).count() == 1
    honour_list.refresh_from_db()
    assert honour_list.task_state == "done"
    assert sorted(honour_list.entries.values_list("project__title", "over_quota")) == [
        ("A", False),
        ("B", False),
    ]


def test_queue_generation_runs_the_task_on_commit(
    world, ranking, honour, django_capture_on_commit_callbacks
):
    ranking(EXAMPLE_2, vetoed={"D"})
    rule = honour(quota=2, min_score="85")
    with django_capture_on_commit_callbacks(execute=True):
        honour_list = services.queue_generation(rule, world.users["city"])
    honour_list.refresh_from_db()
    assert honour_list.task_state == "done" and honour_list.entries.count() == 2


def test_a_second_delivery_of_a_carried_out_request_keeps_the_adjustments(
    world, ranking, honour, django_capture_on_commit_callbacks
):
    """The broker delivers at least once: the same request delivered again after the list
    was generated and adjusted by hand changes nothing; a new request generates anew."""
    from django.utils import timezone

    ranking(EXAMPLE_2, vetoed={"D"})
    rule = honour(quota=2, min_score="85")
    requested_at = timezone.now().isoformat()
    assert generate_honour_list.delay(rule.pk, requested_at).get() == 2
    honour_list = HonourList.objects.get(rule=rule)
    entry = honour_list.entries.get(project__title="A")
    services.remove_entry(entry, world.users["city"], "upheld objection", substitute=False)

    assert generate_honour_list.delay(rule.pk, requested_at).get() == 1
    entry.refresh_from_db()
    assert entry.removed_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        services.queue_generation(rule, world.users["city"])
    assert sorted(
        honour_list.entries.filter(removed_at__isnull=True).values_list("project__title", flat=True)
    ) == ["A", "B"]
