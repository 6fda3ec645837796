"""Demo summaries: the scheduled summaries of the demo campaigns (the G20 campaign and the
city skill contest) for every month, quarter and year of theirs that has ended, as Celery
beat would have built them. Idempotent: finished builds are kept, unfinished ones completed.
``seed_demo`` calls it after the demo data."""

import datetime

from django.utils import timezone

from competitions.models import Campaign

from . import summaries
from .models import SummaryBuild

DEMO_CAMPAIGNS = ("服务G20杭州峰会立功竞赛", "杭州市职工职业技能大赛")


def ended_periods(campaign, until: datetime.date):
    """The (period, start, end) of the campaign's months, quarters and years that ended by
    ``until``, in the order the beat job would have built them."""
    day = summaries.period_bounds("month", campaign.start_date)[1]
    last = min(until, summaries.period_bounds("year", campaign.end_date)[1])
    while day <= last:
        for period, start, end in summaries.periods_ending(day):
            if start <= campaign.end_date and end >= campaign.start_date:
                yield period, start, end
        day = summaries.period_bounds("month", day + datetime.timedelta(days=1))[1]


def seed_summaries(stdout=None) -> int:
    """Build the demo campaigns' summaries in-process; returns how many were built now."""
    until = summaries.last_month_end(timezone.localdate())
    count = 0
    campaigns = Campaign.objects.filter(title__in=DEMO_CAMPAIGNS).exclude(
        status=Campaign.Status.DRAFT
    )
    for campaign in campaigns:
        for period, start, end in ended_periods(campaign, until):
            build, _created = SummaryBuild.objects.get_or_create(
                campaign=campaign,
                period=period,
                period_start=start,
                trigger=SummaryBuild.Trigger.SCHEDULED,
                defaults={"period_end": end},
            )
            if build.state == SummaryBuild.State.DONE:
                continue
            # Built the day after the period, as the beat job would have.
            summaries.run_build(build.pk, today=end + datetime.timedelta(days=1))
            SummaryBuild.objects.filter(pk=build.pk).update(
                finished_at=timezone.make_aware(
                    datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(2))
                )
            )
            count += 1
    if stdout is not None:
        stdout.write(f"Demo summaries: {count} built.")
    return count
