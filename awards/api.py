"""Honours API: the honours lists with their entries and every action the list page offers,
objections (lodged by anyone during the public notice, read and decided by staff), and
instant honours.

Same scoping and services as the pages: lists are those of the campaigns the user sees
(``queries.honour_lists_for_user``), their entries those the user may read
(``queries.entries_for_user``: the campaign's staff all, others the public ones and a unit its
own). Every change calls the service of the pages, which checks who may do it.

Errors: 400 invalid input or a refusal of the service (the message says why; nothing
changed), 403 not allowed for this user, 404 outside the user's scope. The objector's name
and contact never appear in a public response: only the campaign's staff read them.
"""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import decorators, mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied

# DRF's variant: an id that is not a number is a 404 too (Django's raises ValueError).
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from competitions.api import ERRORS as COMPETITION_ERRORS
from competitions.filters import IdFilter
from competitions.models import Campaign, Person, Project, Team, Unit
from competitions.privacy import ObjectionContactField, PersonalDataField
from scoring.services import require_staff_of

from . import queries, services
from .models import (
    HonourList,
    HonourListEntry,
    HonourRule,
    HonourType,
    InstantHonour,
    Objection,
)
from .queries import honour_lists_for_user, honour_rules_for_user, objections_for_staff

ERRORS = {
    400: COMPETITION_ERRORS[400],
    403: COMPETITION_ERRORS[403],
    404: COMPETITION_ERRORS[404],
}
ENTRY_ID = OpenApiParameter("entry_id", OpenApiTypes.INT, OpenApiParameter.PATH)
OBJECTION_ID = OpenApiParameter("objection_id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _run(operation):
    """Run a service call, turning its refusals into API errors (nothing changed)."""
    try:
        return operation()
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error) or None) from error
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            raise serializers.ValidationError(error.message_dict) from error
        raise serializers.ValidationError({"detail": " ".join(error.messages)}) from error


# --- Serializers -------------------------------------------------------------------------------


class HonourEntrySerializer(serializers.ModelSerializer):
    recipient_name = serializers.CharField(read_only=True)
    # Needed to register a person's honour (奖章, 技术能手); masked outside the unit and the
    # unions responsible for it.
    person_phone = PersonalDataField("phone", source="person", allow_null=True)
    person_id_number = PersonalDataField("id_number", source="person", allow_null=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    project_title = serializers.CharField(source="project.title", read_only=True, allow_null=True)
    active = serializers.BooleanField(read_only=True)
    certificate_number = serializers.SerializerMethodField(
        help_text=gettext_lazy("The number of the entry's certificate once the list is confirmed.")
    )

    class Meta:
        model = HonourListEntry
        fields = [
            "id",
            "rank",
            "score",
            "recipient_name",
            "unit",
            "unit_name",
            "person",
            "person_phone",
            "person_id_number",
            "team",
            "project",
            "project_title",
            "source",
            "over_quota",
            "reason",
            "active",
            "removed_at",
            "removal_reason",
            "nominated_at",
            "certificate_number",
        ]
        read_only_fields = fields

    def get_certificate_number(self, entry) -> str | None:
        certificate = getattr(entry, "certificate", None)
        return certificate.number if certificate is not None else None


class HonourListSerializer(serializers.ModelSerializer):
    campaign = serializers.IntegerField(source="rule.campaign_id", read_only=True)
    zone = serializers.IntegerField(source="rule.zone_id", read_only=True, allow_null=True)
    honour_type = serializers.IntegerField(source="rule.honour_type_id", read_only=True)
    honour_name = serializers.CharField(source="rule.honour_type.name", read_only=True)
    recipient_kind = serializers.CharField(
        source="rule.honour_type.recipient",
        read_only=True,
        help_text=gettext_lazy("unit, team or person"),
    )
    quota = serializers.IntegerField(source="rule.quota", read_only=True)
    # Plain strings, not enums: several models of the API have a "status" of their own.
    status = serializers.CharField(
        read_only=True, help_text=gettext_lazy("draft, published or confirmed")
    )
    published_by = serializers.StringRelatedField(read_only=True, allow_null=True)
    confirmed_by = serializers.StringRelatedField(read_only=True, allow_null=True)
    entries = HonourEntrySerializer(
        source="visible_entries",
        many=True,
        read_only=True,
        help_text=gettext_lazy(
            "The entries the user may read: all (removed ones included) for the campaign's "
            "staff; the active entries of a published or confirmed list, and a unit's own, for "
            "others."
        ),
    )

    class Meta:
        model = HonourList
        fields = [
            "id",
            "rule",
            "campaign",
            "zone",
            "honour_type",
            "honour_name",
            "recipient_kind",
            "quota",
            "status",
            "version",
            "notice_start",
            "notice_end",
            "generated_at",
            "published_at",
            "published_by",
            "confirmed_at",
            "confirmed_by",
            "composition_override_reason",
            "task_state",
            "task_progress",
            "entries",
        ]
        read_only_fields = fields


class HonourJobSerializer(serializers.Serializer):
    state = serializers.CharField(help_text=gettext_lazy("idle, queued, running, done or failed"))
    state_display = serializers.CharField()
    progress = serializers.IntegerField(help_text=gettext_lazy("0 to 100"))
    step = serializers.CharField()
    step_display = serializers.CharField()
    error = serializers.CharField()
    active = serializers.BooleanField(help_text=gettext_lazy("Queued or running."))
    updated_at = serializers.DateTimeField(allow_null=True)


class HonourRuleRefSerializer(serializers.Serializer):
    rule = serializers.PrimaryKeyRelatedField(queryset=HonourRule.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["rule"].queryset = honour_rules_for_user(request.user)


class HonourPublishSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("Default: 5 working days after the start."),
    )
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Required when the list breaks a composition quota."),
    )


class HonourReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class HonourRemoveSerializer(HonourReasonSerializer):
    substitute = serializers.BooleanField(
        required=False,
        default=True,
        help_text=gettext_lazy("Fill the place from the ranking (ranked entries only)."),
    )


class HonourRemovalSerializer(serializers.Serializer):
    removed = HonourEntrySerializer()
    substitutes = HonourEntrySerializer(many=True)


class HonourAddEntrySerializer(serializers.Serializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    person = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(), required=False, allow_null=True, default=None
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True, default=None
    )
    project = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.all(), required=False, allow_null=True, default=None
    )
    reason = serializers.CharField(max_length=2000)


class HonourNominateSerializer(serializers.Serializer):
    entry = serializers.IntegerField()
    person = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(), required=False, allow_null=True, default=None
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True, default=None
    )


class ObjectionInputSerializer(serializers.Serializer):
    entry = serializers.IntegerField(help_text=gettext_lazy("The entry objected to."))
    name = serializers.CharField(max_length=64, help_text=gettext_lazy("Kept from the public."))
    contact = serializers.CharField(
        max_length=128, help_text=gettext_lazy("Phone or e-mail; kept from the public.")
    )
    content = serializers.CharField(max_length=2000)


class PublicObjectionSerializer(serializers.ModelSerializer):
    """What the objector gets back: the objection was received (no name, no contact)."""

    status = serializers.CharField(
        read_only=True, help_text=gettext_lazy("lodged, upheld or dismissed")
    )

    class Meta:
        model = Objection
        fields = ["id", "entry", "status", "lodged_at"]
        read_only_fields = fields


class StaffObjectionSerializer(serializers.ModelSerializer):
    recipient_name = serializers.CharField(source="entry.recipient_name", read_only=True)
    contact = ObjectionContactField()
    decided_by = serializers.StringRelatedField(read_only=True, allow_null=True)
    status = serializers.CharField(
        read_only=True, help_text=gettext_lazy("lodged, upheld or dismissed")
    )

    class Meta:
        model = Objection
        fields = [
            "id",
            "entry",
            "recipient_name",
            "name",
            "contact",
            "content",
            "lodged_at",
            "status",
            "investigation",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields


class ObjectionDecisionSerializer(serializers.Serializer):
    upheld = serializers.BooleanField(
        help_text=gettext_lazy("True: the entry is removed (with substitution); false: dismissed.")
    )
    investigation = serializers.CharField(max_length=4000)


class ObjectionDecidedSerializer(serializers.Serializer):
    objection = StaffObjectionSerializer()
    substitutes = HonourEntrySerializer(many=True)


class ObjectionThrottle(AnonRateThrottle):
    """Anonymous objections: enough for people, not for a script."""

    # A scope of its own: with the inherited "anon" it would share its request history with
    # the general anonymous throttle (settings.REST_FRAMEWORK) and count those requests too.
    scope = "objection"
    rate = "30/hour"


# --- Honours lists -----------------------------------------------------------------------------


class HonourListFilter(django_filters.FilterSet):
    campaign = IdFilter(field_name="rule__campaign_id")
    zone = IdFilter(field_name="rule__zone_id")
    rule = IdFilter(field_name="rule_id")

    class Meta:
        model = HonourList
        fields = ["campaign", "zone", "rule", "status"]


def _entries_prefetch(user):
    entries = (
        queries.entries_for_user(user)
        .select_related("unit", "person", "team", "project", "certificate")
        .order_by(F("removed_at").asc(nulls_first=True), F("rank").asc(nulls_last=True), "pk")
    )
    return Prefetch("entries", queryset=entries, to_attr="visible_entries")


ACTION_ERRORS = {400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]}


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("The honours lists the user sees")),
    retrieve=extend_schema(summary=gettext_lazy("One honours list with its entries")),
)
class HonourListViewSet(viewsets.ReadOnlyModelViewSet):
    """Honours lists (one per honour rule) with their entries, and the actions of the list
    page: generate (a background job), remove, keep (resolve a tie), add, nominate, publish,
    confirm; objections during the public notice."""

    serializer_class = HonourListSerializer
    filterset_class = HonourListFilter
    ordering_fields = ["status", "notice_start"]
    ordering = ["rule__campaign", "rule__zone", "rule__honour_type", "pk"]

    def get_permissions(self):
        if self.action == "objections" and self.request.method == "POST":
            return [AllowAny()]
        return super().get_permissions()

    def get_throttles(self):
        if self.action == "objections" and self.request.method == "POST":
            return [ObjectionThrottle()]
        return super().get_throttles()

    def get_queryset(self):
        user = self.request.user
        return (
            honour_lists_for_user(user)
            .select_related(
                "rule__campaign__organiser",
                "rule__zone",
                "rule__honour_type",
                "published_by",
                "confirmed_by",
            )
            .prefetch_related(_entries_prefetch(user))
        )

    def _list_data(self, honour_list, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=honour_list.pk)
        context = self.get_serializer_context()
        return Response(HonourListSerializer(fresh, context=context).data, status=code)

    def _entry(self, honour_list, entry_id):
        return get_object_or_404(
            HonourListEntry.objects.select_related("honour_list__rule__campaign", "unit"),
            pk=entry_id,
            honour_list=honour_list,
        )

    def _entry_data(self, entry):
        entry = HonourListEntry.objects.select_related(
            "unit", "person", "team", "project", "certificate"
        ).get(pk=entry.pk)
        return HonourEntrySerializer(entry, context=self.get_serializer_context()).data

    @extend_schema(
        request=None,
        responses={202: HonourJobSerializer, **ACTION_ERRORS},
        summary=gettext_lazy("Generate the draft list from the locked results"),
        description=gettext_lazy(
            "The campaign's staff only, on a draft list. Queues the generation job and "
            "answers 202 with its state; poll the job endpoint for its progress. Generating "
            "again replaces the draft."
        ),
    )
    @decorators.action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def generate(self, request, pk=None):
        honour_list = self.get_object()
        _run(lambda: services.queue_generation(honour_list.rule, request.user))
        honour_list.refresh_from_db()
        return Response(
            HonourJobSerializer(services.job_status(honour_list)).data,
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        request=HonourRuleRefSerializer,
        responses={202: HonourJobSerializer, **ACTION_ERRORS},
        operation_id="v1_honour_lists_generate_for_rule",
        summary=gettext_lazy("Generate the list of a rule (created on its first generation)"),
        description=gettext_lazy(
            "As the list's generate action, for a rule that may have no list yet; the answer's "
            "Location header names the list."
        ),
    )
    @decorators.action(
        detail=False,
        methods=["post"],
        url_path="generate",
        url_name="generate-rule",
        pagination_class=None,
        filter_backends=[],
    )
    def generate_rule(self, request):
        body = HonourRuleRefSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        rule = body.validated_data["rule"]
        honour_list = _run(lambda: services.queue_generation(rule, request.user))
        honour_list.refresh_from_db()
        return Response(
            HonourJobSerializer(services.job_status(honour_list)).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"{honour_list.pk}/"},
        )

    @extend_schema(
        responses={200: HonourJobSerializer, 403: ERRORS[403], 404: ERRORS[404]},
        summary=gettext_lazy("The generation job's state and progress"),
    )
    @decorators.action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def job(self, request, pk=None):
        honour_list = self.get_object()
        _run(lambda: require_staff_of(honour_list.rule.campaign, request.user))
        return Response(HonourJobSerializer(services.job_status(honour_list)).data)

    @extend_schema(
        request=HonourPublishSerializer,
        responses={200: HonourListSerializer, **ACTION_ERRORS},
        summary=gettext_lazy("Publish the list for public notice"),
        description=gettext_lazy(
            "Refused while entries are over quota or await a nomination, and, without an "
            "override reason, while a composition quota is broken."
        ),
    )
    @decorators.action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def publish(self, request, pk=None):
        honour_list = self.get_object()
        body = HonourPublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        _run(
            lambda: services.publish(
                honour_list, request.user, data["start"], data["end"], data["override_reason"]
            )
        )
        return self._list_data(honour_list)

    @extend_schema(
        request=None,
        responses={200: HonourListSerializer, **ACTION_ERRORS},
        summary=gettext_lazy("Confirm the list after its public notice"),
        description=gettext_lazy(
            "After the notice's last day, with every objection decided and no entry over "
            "quota; the version goes up and the certificates are issued."
        ),
    )
    @decorators.action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def confirm(self, request, pk=None):
        honour_list = self.get_object()
        _run(lambda: services.confirm(honour_list, request.user))
        return self._list_data(honour_list)

    @extend_schema(
        request=HonourRemoveSerializer,
        parameters=[ENTRY_ID],
        responses={200: HonourRemovalSerializer, **ACTION_ERRORS},
        summary=gettext_lazy("Remove an entry, with a reason"),
        description=gettext_lazy(
            "The entry is kept, marked removed; for a ranked entry the next eligible entries "
            "are proposed as substitutes unless substitute is false."
        ),
    )
    @decorators.action(
        detail=True,
        methods=["post"],
        url_path=r"entries/(?P<entry_id>\d+)/remove",
        url_name="entry-remove",
        pagination_class=None,
        filter_backends=[],
    )
    def remove(self, request, pk=None, entry_id=None):
        honour_list = self.get_object()
        entry = self._entry(honour_list, entry_id)
        body = HonourRemoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        substitutes = _run(
            lambda: services.remove_entry(entry, request.user, data["reason"], data["substitute"])
        )
        return Response(
            {
                "removed": self._entry_data(entry),
                "substitutes": [self._entry_data(e) for e in substitutes],
            }
        )

    @extend_schema(
        request=HonourReasonSerializer,
        parameters=[ENTRY_ID],
        responses={200: HonourEntrySerializer, **ACTION_ERRORS},
        summary=gettext_lazy("Keep an entry flagged over quota (resolve a tie), with a reason"),
    )
    @decorators.action(
        detail=True,
        methods=["post"],
        url_path=r"entries/(?P<entry_id>\d+)/keep",
        url_name="entry-keep",
        pagination_class=None,
        filter_backends=[],
    )
    def keep(self, request, pk=None, entry_id=None):
        honour_list = self.get_object()
        entry = self._entry(honour_list, entry_id)
        body = HonourReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = _run(
            lambda: services.resolve_over_quota(entry, request.user, body.validated_data["reason"])
        )
        return Response(self._entry_data(entry))

    @extend_schema(
        request=HonourAddEntrySerializer,
        responses={201: HonourEntrySerializer, **ACTION_ERRORS},
        summary=gettext_lazy("Add an entry by hand, with a reason"),
        description=gettext_lazy(
            "A unit taking part in the rule's campaign (and zone) and, as the honour needs, a "
            "person or team of it."
        ),
    )
    @decorators.action(
        detail=True,
        methods=["post"],
        url_path="add-entry",
        url_name="add-entry",
        pagination_class=None,
        filter_backends=[],
    )
    def add_entry(self, request, pk=None):
        honour_list = self.get_object()
        # Who may add comes first: otherwise the body's ids, validated first, would answer a
        # user who may not add differently for ids that exist (403) and ids that do not (400).
        _run(lambda: require_staff_of(honour_list.rule.campaign, request.user))
        body = HonourAddEntrySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        reason = data.pop("reason")
        entry = _run(lambda: services.add_entry(honour_list, request.user, reason, **data))
        return Response(self._entry_data(entry), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=HonourNominateSerializer,
        responses={200: HonourEntrySerializer, **ACTION_ERRORS},
        summary=gettext_lazy("Name the person or team who receives an entry's honour"),
        description=gettext_lazy(
            "The entry's unit liaison, or the campaign's staff on its behalf, while the list "
            "is a draft; the person or team belongs to the entry's unit."
        ),
    )
    @decorators.action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def nominate(self, request, pk=None):
        honour_list = self.get_object()
        body = HonourNominateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        entry = self._entry(honour_list, data["entry"])
        entry = _run(
            lambda: services.nominate(entry, request.user, person=data["person"], team=data["team"])
        )
        return Response(self._entry_data(entry))

    @extend_schema(
        methods=["GET"],
        responses={200: StaffObjectionSerializer(many=True), 403: ERRORS[403], 404: ERRORS[404]},
        summary=gettext_lazy("The objections to the list, with who lodged them"),
        description=gettext_lazy("The staff of the campaign's organisers only."),
    )
    @extend_schema(
        methods=["POST"],
        request=ObjectionInputSerializer,
        responses={201: PublicObjectionSerializer, 400: ERRORS[400], 404: ERRORS[404]},
        auth=[{}],
        summary=gettext_lazy("Lodge an objection during the public notice"),
        description=gettext_lazy(
            "Anyone, no login needed, while the list is in public notice; name and contact are "
            "required and kept from the public. The answer does not repeat them."
        ),
    )
    @decorators.action(
        detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[]
    )
    def objections(self, request, pk=None):
        if request.method == "POST":
            return self._lodge(request, pk)
        honour_list = self.get_object()
        _run(lambda: require_staff_of(honour_list.rule.campaign, request.user))
        rows = (
            objections_for_staff(request.user)
            .filter(entry__honour_list=honour_list)
            .select_related("entry__unit", "entry__person", "entry__team", "decided_by")
            .select_related("entry__honour_list__rule__campaign")
            .order_by("lodged_at", "pk")
        )
        context = self.get_serializer_context()
        return Response(StaffObjectionSerializer(rows, many=True, context=context).data)

    def _lodge(self, request, pk):
        # Public: any published list, whoever asks (no scope for anonymous users).
        honour_list = get_object_or_404(
            HonourList.objects.filter(status=HonourList.Status.PUBLISHED), pk=pk
        )
        body = ObjectionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        entry = HonourListEntry.objects.filter(honour_list=honour_list, pk=data["entry"]).first()
        if entry is None:
            raise serializers.ValidationError({"entry": [_("There is no such entry on the list.")]})
        objection = _run(
            lambda: services.lodge_objection(entry, data["name"], data["contact"], data["content"])
        )
        return Response(PublicObjectionSerializer(objection).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ObjectionDecisionSerializer,
        parameters=[OBJECTION_ID],
        responses={200: ObjectionDecidedSerializer, **ACTION_ERRORS},
        summary=gettext_lazy("Decide an objection: upheld or dismissed, with the investigation"),
        description=gettext_lazy(
            "Upheld removes the entry and, for a ranked entry, proposes the next eligible "
            "entries as substitutes."
        ),
    )
    @decorators.action(
        detail=True,
        methods=["post"],
        url_path=r"objections/(?P<objection_id>\d+)/decide",
        url_name="objection-decide",
        pagination_class=None,
        filter_backends=[],
    )
    def decide(self, request, pk=None, objection_id=None):
        honour_list = self.get_object()
        objection = get_object_or_404(
            Objection.objects.select_related("entry__honour_list"),
            pk=objection_id,
            entry__honour_list=honour_list,
        )
        body = ObjectionDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        substitutes = _run(
            lambda: services.decide_objection(
                objection, request.user, data["upheld"], data["investigation"]
            )
        )
        objection = (
            Objection.objects.select_related("entry__unit", "entry__person", "entry__team")
            .select_related("decided_by", "entry__honour_list__rule__campaign")
            .get(pk=objection.pk)
        )
        return Response(
            {
                "objection": StaffObjectionSerializer(
                    objection, context=self.get_serializer_context()
                ).data,
                "substitutes": [self._entry_data(e) for e in substitutes],
            }
        )


# --- Instant honours ---------------------------------------------------------------------------


class InstantHonourSerializer(serializers.ModelSerializer):
    recipient_name = serializers.CharField(read_only=True)
    awarded_by = serializers.StringRelatedField(read_only=True, allow_null=True)
    certificate_number = serializers.SerializerMethodField()
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.none())
    honour_type = serializers.PrimaryKeyRelatedField(queryset=HonourType.objects.all())
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    person = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(), required=False, allow_null=True, default=None
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True, default=None
    )
    project = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.all(), required=False, allow_null=True, default=None
    )

    class Meta:
        model = InstantHonour
        fields = [
            "id",
            "campaign",
            "honour_type",
            "unit",
            "person",
            "team",
            "project",
            "recipient_name",
            "reason",
            "awarded_by",
            "awarded_at",
            "certificate_number",
        ]
        read_only_fields = ["awarded_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            from competitions.queries import campaigns_for_user

            self.fields["campaign"].queryset = campaigns_for_user(request.user)

    def validate(self, data):
        """The recipient is one of the campaign's participants, as on the page's form; any
        other unit, person, team or project answers as an id that does not exist."""
        campaign = data["campaign"]
        choices = {
            "unit": queries.participating_units(campaign),
            "person": queries.participating_people(campaign),
            "team": queries.participating_teams(campaign),
            "project": queries.campaign_projects(campaign),
        }
        errors = {
            name: [self.fields[name].error_messages["does_not_exist"].format(pk_value=value.pk)]
            for name, scope in choices.items()
            if (value := data.get(name)) is not None and not scope.filter(pk=value.pk).exists()
        }
        if errors:
            raise serializers.ValidationError(errors)
        return data

    def get_certificate_number(self, honour) -> str | None:
        certificate = getattr(honour, "certificate", None)
        return certificate.number if certificate is not None else None


class InstantHonourFilter(django_filters.FilterSet):
    campaign = IdFilter(field_name="campaign_id")

    class Meta:
        model = InstantHonour
        fields = ["campaign"]


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Instant honours of the campaigns the user sees")),
    create=extend_schema(
        summary=gettext_lazy("Give an instant honour"),
        description=gettext_lazy(
            "The campaign's staff only, while it runs, with a written reason; the numbered "
            "certificate is issued at once."
        ),
        responses={201: InstantHonourSerializer, **ERRORS},
    ),
)
class InstantHonourViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Instant honours (即时授予): given at once during a campaign, outside the lists."""

    serializer_class = InstantHonourSerializer
    filterset_class = InstantHonourFilter
    ordering_fields = ["awarded_at"]
    ordering = ["-awarded_at", "-pk"]

    def get_queryset(self):
        return queries.instant_honours_for_user(self.request.user).select_related(
            "honour_type", "unit", "person", "team", "project", "awarded_by", "certificate"
        )

    def create(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        campaign, honour_type = data.pop("campaign"), data.pop("honour_type")
        reason = data.pop("reason")
        honour = _run(
            lambda: services.award_instant(campaign, honour_type, request.user, reason, **data)
        )
        honour = self.get_queryset().get(pk=honour.pk)
        return Response(self.get_serializer(honour).data, status=status.HTTP_201_CREATED)
