from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from competitions.admin import ScopedInline, ScopedModelAdmin
from competitions.privacy import mask_contact, objection_contact, request_cache

from . import services
from .models import HonourList, HonourListEntry, HonourRule, HonourType, Objection
from .queries import honour_lists_for_user, honour_rules_for_user, objections_for_staff


@admin.register(HonourType)
class HonourTypeAdmin(ScopedModelAdmin):
    scope = staticmethod(lambda user: HonourType.objects.all())
    list_display = ["name", "level", "recipient", "campaign_kind"]
    list_filter = ["level", "recipient", "campaign_kind"]
    search_fields = ["name"]


@admin.register(HonourRule)
class HonourRuleAdmin(ScopedModelAdmin):
    scope = staticmethod(honour_rules_for_user)
    list_display = ["honour_type", "campaign", "zone", "quota", "min_score", "top_n"]
    list_filter = ["honour_type"]
    list_select_related = ["honour_type", "campaign", "zone"]
    search_fields = ["campaign__title", "zone__name", "honour_type__name"]
    actions = ["generate_lists"]

    @admin.action(description=_("Generate the draft honours lists"))
    def generate_lists(self, request, queryset):
        queued = 0
        for rule in queryset.select_related("campaign"):
            try:
                services.queue_generation(rule, request.user)
            except (PermissionDenied, ValidationError) as error:
                self.message_user(request, f"{rule}: {error}", messages.ERROR)
            else:
                queued += 1
        if queued:
            self.message_user(
                request, _("%(count)d honours lists are being generated.") % {"count": queued}
            )


class HonourListEntryInline(ScopedInline):
    model = HonourListEntry
    can_delete = False
    fields = [
        "rank",
        "unit",
        "project",
        "team",
        "person",
        "score",
        "over_quota",
        "source",
        "reason",
        "removed_at",
        "removal_reason",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(HonourList)
class HonourListAdmin(ScopedModelAdmin):
    scope = staticmethod(honour_lists_for_user)
    list_display = [
        "rule",
        "status",
        "version",
        "notice_start",
        "notice_end",
        "task_state",
        "objections_link",
    ]
    list_filter = ["status", "task_state"]
    list_select_related = ["rule__honour_type", "rule__campaign", "rule__zone"]
    search_fields = ["rule__campaign__title", "rule__honour_type__name"]
    inlines = [HonourListEntryInline]
    readonly_fields = [
        "rule",
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
        "task_error",
        "task_updated_at",
    ]

    @admin.display(description=_("Objections"))
    def objections_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("awards:objections", args=[obj.pk]), _("Objections")
        )


@admin.register(Objection)
class ObjectionAdmin(ScopedModelAdmin):
    """Objections are read here; they are decided on the list's objections page, through
    ``services.decide_objection`` (which removes and substitutes an upheld entry)."""

    list_display = ["entry", "status", "masked_contact", "lodged_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["entry__unit", "entry__team", "entry__person", "decided_by"]
    search_fields = ["content", "entry__unit__name"]
    fields = readonly_fields = [
        "entry",
        "name",
        "contact",
        "content",
        "lodged_at",
        "status",
        "investigation",
        "decided_by",
        "decided_at",
    ]

    scope = staticmethod(objections_for_staff)

    @admin.display(description=_("phone or e-mail"))
    def masked_contact(self, obj):
        # Lists always mask it; the deciding staff read it on the objection itself.
        return mask_contact(obj.contact)

    def _contact_for(self, request):
        """The contact as the admin user may see it (privacy.may_see_objection_contact)."""

        def contact(obj):
            return objection_contact(request.user, obj, cache=request_cache(request))

        contact.short_description = _("phone or e-mail")
        return contact

    def get_fields(self, request, obj=None):
        return self._with_contact(request, self.fields)

    def get_readonly_fields(self, request, obj=None):
        return self._with_contact(request, self.readonly_fields)

    def _with_contact(self, request, names):
        # One callable per request, the same object in both lists (the admin matches them).
        column = request.__dict__.setdefault("_objection_contact", self._contact_for(request))
        return [column if name == "contact" else name for name in names]
