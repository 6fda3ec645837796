"""Skill contests API: events, heats (entries, marks, locking, marking progress) and
contestants.

Same scoping as the pages (``queries.*_for_user``) and the same services for every change.

Blind marking, decided here once for every door:

- Names: a heat's entries carry their contestant's name and unit only when
  ``queries.shows_names`` says so: once the heat is locked, and before that only for the staff
  who run the event. Judges and everyone else see station numbers.
- Scores: once the heat is locked, the results stored on its entries (theory, practical,
  total, rank, advanced, prize). Before the lock only the staff who run the event see the
  live results (``services.heat_results``); everyone else reads null scores.
- Marks: a judge reads and writes only their own marks, and only of the components they judge.

Errors: 400 invalid input (per-station messages under ``marks``), 403 not allowed for this
user, 404 outside the user's scope (a judge of another heat gets 404 for this one), 409 when
the state of the heat refuses the change: it is locked (or, to unlock, not locked), its marking
is incomplete, or its contestants are already marked in the next tier. Nothing changes on any
error.
"""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import decorators, mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from competitions.api import ERRORS as COMPETITION_ERRORS
from competitions.api import ErrorSerializer
from competitions.filters import IdFilter
from competitions.models import Person
from competitions.privacy import PersonalDataField
from competitions.queries import user_role
from scoring import engine
from scoring.api import ScoringConflict

from . import queries, services
from .models import Component, ComponentScore, Contestant, Heat, HeatEntry, SkillEvent, Tier

# The same 409 as scoring's: the state of the heat refuses the change.
HeatConflict = ScoringConflict


ERRORS = {
    400: COMPETITION_ERRORS[400],
    403: COMPETITION_ERRORS[403],
    404: COMPETITION_ERRORS[404],
    409: OpenApiResponse(
        ErrorSerializer,
        description=gettext_lazy(
            "The state of the heat does not allow this: it is locked (or not locked), its "
            "marking is not complete, or its contestants are marked in the next tier already."
        ),
    ),
}


def _run(operation, conflict=lambda: False, field=None):
    """Run a service call, turning its refusals into API errors.

    A refusal the service gives as one message becomes 409 when ``conflict()`` says the state
    of the heat caused it, else 400; messages per station become 400 under ``field``."""
    try:
        return operation()
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error) or None) from error
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            messages = error.message_dict
            raise serializers.ValidationError({field: messages} if field else messages) from error
        message = " ".join(error.messages)
        if conflict():
            raise HeatConflict(message) from error
        raise serializers.ValidationError({"detail": message}) from error


def _is_locked(heat) -> bool:
    return Heat.objects.filter(pk=heat.pk, locked_at__isnull=False).exists()


def _count(model, field):
    """The number of ``model`` rows pointing at the outer row through ``field``, as a
    subquery (a join would be multiplied by the scoping joins of the outer query)."""
    rows = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


# --- Events ----------------------------------------------------------------------------------


class SkillTierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tier
        fields = ["id", "level", "order", "advance_count", "advance_percent"]


class SkillEventSerializer(serializers.ModelSerializer):
    practical_weight = serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        read_only=True,
        help_text=gettext_lazy("Share of the practical score in the total: 1 − theory weight."),
    )
    tie_break = serializers.ListField(child=serializers.CharField(), read_only=True)
    prize_shares = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        read_only=True,
        help_text=gettext_lazy(
            "Prize names with their percentage of the finalists, best prize first."
        ),
    )
    tiers = SkillTierSerializer(many=True, read_only=True)
    contestant_count = serializers.IntegerField(read_only=True)
    small_field = serializers.SerializerMethodField(
        help_text=gettext_lazy("Fewer contestants are registered than the minimum field size.")
    )

    class Meta:
        model = SkillEvent
        fields = [
            "id",
            "campaign",
            "trade",
            "theory_weight",
            "practical_weight",
            "min_field_size",
            "trim_threshold",
            "tie_break",
            "prize_shares",
            "tiers",
            "contestant_count",
            "small_field",
        ]

    def get_small_field(self, event) -> bool:
        return event.contestant_count < event.min_field_size


class SkillEventFilter(django_filters.FilterSet):
    campaign = IdFilter(field_name="campaign_id")

    class Meta:
        model = SkillEvent
        fields = ["campaign"]


class SkillEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The skill events (trades) the user can see, with their scoring rules, tiers and the
    number of registered contestants; ``small_field`` flags events with fewer contestants
    than their minimum field size."""

    serializer_class = SkillEventSerializer
    filterset_class = SkillEventFilter
    ordering_fields = ["trade"]
    ordering = ["campaign", "trade", "pk"]

    def get_queryset(self):
        return (
            queries.events_for_user(self.request.user)
            .annotate(contestant_count=_count(Contestant, "event"))
            .prefetch_related(Prefetch("tiers", queryset=Tier.objects.order_by("order", "pk")))
        )


# --- Heats -----------------------------------------------------------------------------------


class HeatSerializer(serializers.ModelSerializer):
    event = serializers.IntegerField(source="tier.event_id", read_only=True)
    level = serializers.ChoiceField(source="tier.level", choices=Tier.Level.choices, read_only=True)
    entry_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Heat
        fields = [
            "id",
            "event",
            "tier",
            "level",
            "name",
            "starts_at",
            "venue",
            "locked_at",
            "advances_to",
            "entry_count",
        ]


class HeatFilter(django_filters.FilterSet):
    event = IdFilter(field_name="tier__event_id")
    tier = IdFilter(field_name="tier_id")

    class Meta:
        model = Heat
        fields = ["event", "tier"]


class HeatEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    station_number = serializers.CharField()
    completion_seconds = serializers.IntegerField(allow_null=True)
    contestant = serializers.IntegerField(allow_null=True)
    contestant_name = serializers.CharField(
        allow_null=True,
        help_text=gettext_lazy(
            "Null while the heat is not locked, except for the staff who run the event."
        ),
    )
    unit = serializers.IntegerField(allow_null=True)
    unit_name = serializers.CharField(allow_null=True)
    theory = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    practical = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    total = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        allow_null=True,
        help_text=gettext_lazy(
            "The stored result once the heat is locked; before that the live result, for the "
            "staff who run the event only."
        ),
    )
    rank = serializers.IntegerField(allow_null=True)
    advanced = serializers.BooleanField(allow_null=True)
    prize = serializers.CharField(allow_null=True)


class HeatMarkSerializer(serializers.Serializer):
    station_number = serializers.CharField()
    component = serializers.ChoiceField(choices=Component.choices)
    value = serializers.DecimalField(max_digits=6, decimal_places=2)


class HeatMarkInputSerializer(serializers.Serializer):
    station_number = serializers.CharField()
    value = serializers.CharField(
        allow_null=True,
        allow_blank=True,
        help_text=gettext_lazy("A score from 0 to 100, at most 2 decimals; blank clears the mark."),
    )


class HeatMarksInputSerializer(serializers.Serializer):
    component = serializers.ChoiceField(choices=Component.choices)
    marks = HeatMarkInputSerializer(many=True)


@extend_schema_field(
    {
        "oneOf": [
            {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
            {"type": "array", "items": {}},
        ]
    }
)
class MarkErrorsField(serializers.JSONField):
    """Station number → its messages; or, when the marks sent are malformed (missing, not a
    list, an item without a station), the marks field's own errors: a list."""


class HeatMarksErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(required=False)
    marks = MarkErrorsField(
        required=False,
        help_text=gettext_lazy("Station number → its messages."),
    )


class AdvancedEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    station_number = serializers.CharField()
    contestant_name = serializers.CharField(source="contestant.person.name")
    unit_name = serializers.CharField(source="contestant.unit.name")
    total = serializers.DecimalField(max_digits=6, decimal_places=2)
    rank = serializers.IntegerField()


class HeatAwardSerializer(serializers.Serializer):
    entry = serializers.IntegerField(source="entry.pk")
    station_number = serializers.CharField(source="entry.station_number")
    contestant_name = serializers.CharField(source="entry.contestant.person.name")
    unit_name = serializers.CharField(source="entry.contestant.unit.name")
    rank = serializers.IntegerField()
    prize = serializers.CharField()


class HeatLockSerializer(serializers.Serializer):
    heat = HeatSerializer()
    advanced = AdvancedEntrySerializer(many=True)
    target = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("The heat of the next tier they entered.")
    )
    awards = HeatAwardSerializer(many=True)


class UnlockReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Why the heat is unlocked; required and recorded."),
    )

    def validate_reason(self, reason):
        reason = reason.strip()
        if not reason:
            raise serializers.ValidationError(_("Give the reason for unlocking; it is recorded."))
        return reason


class HeatProgressSerializer(serializers.Serializer):
    entries = serializers.IntegerField()
    expected = serializers.IntegerField(
        help_text=gettext_lazy("Marks expected: one per judge of each component and entry.")
    )
    given = serializers.IntegerField()
    missing = serializers.ListField(
        child=serializers.CharField(),
        help_text=gettext_lazy("Station numbers still missing a mark."),
    )
    complete = serializers.BooleanField()


def _score(value):
    return None if value is None else engine.round_half_up(value)


class HeatViewSet(viewsets.ReadOnlyModelViewSet):
    """Heats of the events the user can see (judges: the heats they judge). Staff who run the
    event lock and unlock a heat; judges save their marks by station number."""

    serializer_class = HeatSerializer
    filterset_class = HeatFilter
    ordering_fields = ["name", "starts_at"]
    ordering = ["tier__event", "tier__order", "name", "pk"]

    def get_queryset(self):
        qs = (
            queries.heats_for_user(self.request.user)
            .select_related("tier")
            .annotate(entry_count=_count(HeatEntry, "heat"))
        )
        if self.action not in ("list", "retrieve"):
            # The actions check who runs the event: its campaign and co-organisers at once.
            qs = qs.select_related("tier__event__campaign__organiser").prefetch_related(
                "tier__event__campaign__co_organisers"
            )
        return qs

    def _heat_data(self, heat):
        return HeatSerializer(self.get_queryset().get(pk=heat.pk)).data

    @extend_schema(
        responses={200: HeatEntrySerializer(many=True), 404: ERRORS[404]},
        summary=gettext_lazy("The heat's entries"),
        description=gettext_lazy(
            "In rank order once the heat is locked, with the stored results; before that by "
            "station number. Names only once the heat is locked, or for the staff who run the "
            "event; scores before the lock only for them (the live results)."
        ),
    )
    @decorators.action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def entries(self, request, pk=None):
        heat = self.get_object()
        user = request.user
        locked = heat.locked_at is not None
        names = queries.shows_names(heat, user)
        live = {}
        if not locked and queries.runs_event(user, heat.tier.event):
            live = {row.entry.pk: row for row in services.heat_results(heat)}
        rows = (
            queries.entries_for_user(user)
            .filter(heat=heat)
            .select_related("contestant__person", "contestant__unit")
        )
        if locked:
            rows = rows.order_by(F("rank").asc(nulls_last=True), "station_number", "pk")
        else:
            rows = rows.order_by("station_number", "pk")
        data = []
        for entry in rows:
            row = {
                "id": entry.pk,
                "station_number": entry.station_number,
                "completion_seconds": entry.completion_seconds,
                "contestant": entry.contestant_id if names else None,
                "contestant_name": entry.contestant.person.name if names else None,
                "unit": entry.contestant.unit_id if names else None,
                "unit_name": entry.contestant.unit.name if names else None,
                "theory": None,
                "practical": None,
                "total": None,
                "rank": None,
                "advanced": None,
                "prize": None,
            }
            if locked:
                row.update(
                    theory=entry.theory,
                    practical=entry.practical,
                    total=entry.total,
                    rank=entry.rank,
                    advanced=entry.advanced,
                    prize=entry.prize or None,
                )
            elif (result := live.get(entry.pk)) is not None:
                row.update(
                    theory=_score(result.theory),
                    practical=_score(result.practical),
                    total=result.total_rounded,
                    rank=result.rank,
                )
            data.append(row)
        return Response(HeatEntrySerializer(data, many=True).data)

    def _marks(self, heat, user):
        marks = (
            ComponentScore.objects.filter(entry__heat=heat, judge=user)
            .annotate(station_number=F("entry__station_number"))
            .order_by("component", "entry__station_number")
        )
        return HeatMarkSerializer(marks, many=True).data

    @extend_schema(
        methods=["GET"],
        responses={200: HeatMarkSerializer(many=True), 403: ERRORS[403], 404: ERRORS[404]},
        summary=gettext_lazy("The judge's own marks in the heat"),
    )
    @extend_schema(
        methods=["POST"],
        request=HeatMarksInputSerializer,
        responses={
            200: HeatMarkSerializer(many=True),
            400: OpenApiResponse(
                HeatMarksErrorSerializer, description=gettext_lazy("Invalid marks; nothing saved.")
            ),
            403: ERRORS[403],
            404: ERRORS[404],
            409: ERRORS[409],
        },
        summary=gettext_lazy("Save the judge's marks of one component, by station number"),
        description=gettext_lazy(
            "Only a judge of that component in this heat; all marks are saved together or, "
            "with any error, none. Refused (409) once the heat is locked."
        ),
    )
    @decorators.action(
        detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[]
    )
    def marks(self, request, pk=None):
        heat = self.get_object()
        user = request.user
        components = services.judged_components(heat, user)
        if not components:
            raise PermissionDenied(_("You do not judge this heat."))
        if request.method == "GET":
            return Response(self._marks(heat, user))
        body = HeatMarksInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        component = body.validated_data["component"]
        if component not in components:
            raise PermissionDenied(_("You do not judge this component of this heat."))
        if heat.locked_at is not None:
            raise HeatConflict(_("This heat is locked; its scores can no longer change."))
        by_station = {entry.station_number: entry for entry in heat.entries.all()}
        errors, values = {}, {}
        for mark in body.validated_data["marks"]:
            station = mark["station_number"].strip()
            entry = by_station.get(station)
            if entry is None:
                errors[station] = [_("There is no such station in this heat.")]
            elif entry.pk in values:
                errors[station] = [_("This station is given more than once.")]
            else:
                values[entry.pk] = mark["value"]
        if errors:
            raise serializers.ValidationError({"marks": errors})
        _run(
            lambda: services.save_marks(heat, user, component, values),
            conflict=lambda: _is_locked(heat),
            field="marks",
        )
        return Response(self._marks(heat, user))

    @extend_schema(
        request=None,
        responses={200: HeatLockSerializer, **ERRORS},
        summary=gettext_lazy("Lock the heat's scores"),
        description=gettext_lazy(
            "Staff who run the event only; refused (409) while any station is not completely "
            "marked. Stores the results, enters the advancing contestants into the next tier's "
            "heat and, in the last tier, awards the prizes. Names become visible."
        ),
    )
    @decorators.action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def lock(self, request, pk=None):
        heat = self.get_object()
        outcome = _run(lambda: services.lock_heat(heat, request.user), conflict=lambda: True)
        return Response(
            HeatLockSerializer(
                {
                    "heat": self.get_queryset().get(pk=heat.pk),
                    "advanced": outcome.advanced,
                    "target": outcome.target.pk if outcome.target else None,
                    "awards": outcome.awards,
                }
            ).data
        )

    @extend_schema(
        request=UnlockReasonSerializer,
        responses={200: HeatSerializer, **ERRORS},
        summary=gettext_lazy("Unlock the heat's scores"),
        description=gettext_lazy(
            "Staff who run the event only, with a reason. Clears the stored results and takes "
            "the advancing contestants out of the next tier again; refused (409) once any of "
            "them is marked there."
        ),
    )
    @decorators.action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def unlock(self, request, pk=None):
        heat = self.get_object()
        user = request.user
        _run(lambda: services.require_event_staff(heat.tier.event, user))
        body = UnlockReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reason = body.validated_data["reason"]
        _run(lambda: services.unlock_heat(heat, user, reason), conflict=lambda: True)
        return Response(self._heat_data(heat))

    @extend_schema(
        responses={200: HeatProgressSerializer, 404: ERRORS[404]},
        summary=gettext_lazy("How far the marking of the heat is"),
    )
    @decorators.action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def progress(self, request, pk=None):
        heat = self.get_object()
        return Response(HeatProgressSerializer(services.marking_progress(heat)).data)


# --- Contestants -----------------------------------------------------------------------------


class ContestantHeatSerializer(serializers.Serializer):
    heat = serializers.IntegerField(source="heat_id")
    station_number = serializers.CharField()


class ContestantSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    person_phone = PersonalDataField("phone", source="person")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    heats = ContestantHeatSerializer(source="entries", many=True, read_only=True)

    class Meta:
        model = Contestant
        fields = [
            "id",
            "event",
            "person",
            "person_name",
            "person_phone",
            "unit",
            "unit_name",
            "heats",
        ]
        read_only_fields = ["unit"]
        # A second registration is refused by ``services.register`` with its own message.
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["event"].queryset = queries.events_for_user(request.user)
            # Any person: the service tells a unit liaison (403) that another unit's people
            # are not theirs to register.
            self.fields["person"].queryset = Person.objects.all()


class ContestantFilter(django_filters.FilterSet):
    event = IdFilter(field_name="event_id")

    class Meta:
        model = Contestant
        fields = ["event"]


@extend_schema_view(
    create=extend_schema(
        summary=gettext_lazy("Register a person for a skill event"),
        description=gettext_lazy(
            "A unit liaison registers their own unit's people; the competition office anyone "
            "of a unit in its scope. The person competes for their unit."
        ),
        responses={201: ContestantSerializer, **ERRORS},
    ),
)
class ContestantViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Registered contestants: units see their own, staff those of the campaigns they run and
    of the units in their subtree, judges none (they mark by station number)."""

    serializer_class = ContestantSerializer
    filterset_class = ContestantFilter
    ordering_fields = ["event", "person__name"]
    ordering = ["event", "person__name", "pk"]

    def get_queryset(self):
        entries = HeatEntry.objects.order_by("heat__tier__order", "heat_id")
        return (
            queries.contestants_for_user(self.request.user)
            .select_related("person", "unit")
            .prefetch_related(Prefetch("entries", queryset=entries))
        )

    def create(self, request, *args, **kwargs):
        if user_role(request.user) not in ("unit", "organiser", "superuser"):
            raise PermissionDenied(_("Only units and the competition office register contestants."))
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        event, person = body.validated_data["event"], body.validated_data["person"]
        contestant = _run(lambda: services.register(event, person, request.user))
        contestant = Contestant.objects.select_related("person", "unit").get(pk=contestant.pk)
        return Response(self.get_serializer(contestant).data, status=status.HTTP_201_CREATED)
