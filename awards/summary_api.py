"""Summaries API: the summary builds of the campaigns the user reads, with their snapshots
(the figures of the whole campaign and of each zone), and "build now".

Same scope as the pages (``queries.summary_builds_for_user``: the campaign's competition office
and the unions above it) and the same service (``summaries.request_build``) for building.
The figures are as ``summaries.compute_figures`` documents them: counts as integers, yuan and
percentages as decimal strings.

Errors: 400 invalid input or a refusal (a campaign outside the user's scope, a build of the
campaign already queued or running, a period not begun or outside the campaign; nothing
changed), 403 not signed in (or, should the scopes ever differ, not the campaign's office:
the service decides), 404 a build outside the user's scope.
"""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Prefetch
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import decorators, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from competitions.api import ERRORS as COMPETITION_ERRORS
from competitions.filters import IdFilter

from . import queries, summaries
from .models import SummaryBuild, SummarySnapshot

ERRORS = {
    400: COMPETITION_ERRORS[400],
    403: COMPETITION_ERRORS[403],
    404: COMPETITION_ERRORS[404],
}


class SummarySnapshotSerializer(serializers.ModelSerializer):
    zone_name = serializers.SerializerMethodField(
        help_text=gettext_lazy("The zone's name when the summary was built; null: whole campaign.")
    )
    figures = serializers.JSONField(
        read_only=True,
        help_text=gettext_lazy(
            "units, projects (taking_part, declared, by_state), people (workers, "
            "contestants), reports (due, on_time, late, returned, missing, on_time_rate, "
            "filed), proposals (count, benefit), innovations, people_trained, safety, "
            "results (stages, zones_locked, ranked, top), honours (by_type and totals)."
        ),
    )

    class Meta:
        model = SummarySnapshot
        fields = ["id", "zone", "zone_name", "figures"]

    def get_zone_name(self, snapshot) -> str | None:
        return (snapshot.figures.get("scope") or {}).get("zone_name")


class SummaryBuildSerializer(serializers.ModelSerializer):
    period_label = serializers.SerializerMethodField()
    snapshots = SummarySnapshotSerializer(many=True, read_only=True)

    class Meta:
        model = SummaryBuild
        fields = [
            "id",
            "campaign",
            "period",
            "period_label",
            "period_start",
            "period_end",
            "trigger",
            "requested_by",
            "state",
            "progress",
            "error",
            "created_at",
            "finished_at",
            "snapshots",
        ]
        read_only_fields = fields

    def get_period_label(self, build) -> str:
        return summaries.period_label(build.period, build.period_start)


class BuildRequestSerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    period = serializers.ChoiceField(choices=SummaryBuild.Period.choices)
    day = serializers.DateField(
        help_text=gettext_lazy("A day in the month, quarter or year to build.")
    )

    def validate_campaign(self, value):
        campaign = queries.summary_campaigns_for_user(self.context["request"].user).filter(pk=value)
        campaign = campaign.first()
        if campaign is None:
            raise serializers.ValidationError(gettext_lazy("No such campaign in your scope."))
        return campaign


class SummaryBuildFilter(django_filters.FilterSet):
    campaign = IdFilter(field_name="campaign_id")
    period = django_filters.ChoiceFilter(choices=SummaryBuild.Period.choices)
    trigger = django_filters.ChoiceFilter(choices=SummaryBuild.Trigger.choices)
    state = django_filters.ChoiceFilter(choices=SummaryBuild.State.choices)

    class Meta:
        model = SummaryBuild
        fields = ["campaign", "period", "trigger", "state"]


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Summary builds with their figures")),
    retrieve=extend_schema(
        summary=gettext_lazy("One summary build"), responses={200: SummaryBuildSerializer, **ERRORS}
    ),
)
class SummaryViewSet(viewsets.ReadOnlyModelViewSet):
    """The summaries of the campaigns whose competition office the user is on (or above):
    every build, scheduled or built on request, newest period first, each with a snapshot of
    the whole campaign (``zone`` null) and one per zone."""

    serializer_class = SummaryBuildSerializer
    filterset_class = SummaryBuildFilter
    ordering_fields = ["period_start", "period_end", "created_at"]
    ordering = ["-period_end", "-period_start", "-created_at", "-pk"]

    def get_queryset(self):
        snapshots = SummarySnapshot.objects.order_by(
            F("zone__order").asc(nulls_first=True), F("zone_id").asc(nulls_first=True)
        )
        return queries.summary_builds_for_user(self.request.user).prefetch_related(
            Prefetch("snapshots", queryset=snapshots)
        )

    @extend_schema(
        request=BuildRequestSerializer,
        responses={202: SummaryBuildSerializer, **ERRORS},
        summary=gettext_lazy("Build a summary now"),
        description=gettext_lazy(
            "The campaign's competition office only. Builds the month, quarter or year that "
            "contains ``day`` in the background (poll the build for its state and progress); "
            "refused while another build of the campaign is queued or running."
        ),
    )
    @decorators.action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    def build(self, request):
        data = BuildRequestSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            build = summaries.request_build(
                values["campaign"], request.user, values["period"], values["day"]
            )
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from error
        except DjangoValidationError as error:
            raise serializers.ValidationError({"detail": " ".join(error.messages)}) from error
        build = self.get_queryset().get(pk=build.pk)
        return Response(SummaryBuildSerializer(build).data, status=status.HTTP_202_ACCEPTED)
