from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .login import AdminLoginForm
from .models import Notification, User

# The admin's login says how long to wait when the login throttle refuses it.
admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "role", "organisation", "unit", "is_active"]
    list_filter = ["role", "is_active", "is_superuser"]
    list_select_related = ["organisation", "unit"]
    search_fields = ["username", "display_name", "email", "phone"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Role"), {"fields": ["role", "display_name", "phone", "organisation", "unit"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("Role"), {"fields": ["role", "display_name", "organisation", "unit"]}),
    ]
    raw_id_fields = ["unit"]
    readonly_fields = ["personal_data_requests"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [*fieldsets, (_("Personal data"), {"fields": ["personal_data_requests"]})]

    @admin.display(description=_("personal data requests"))
    def personal_data_requests(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("account-privacy", args=[obj.pk]),
            _("Export or erase this account's data (PIPL)"),
        )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "title", "created_at", "read_at"]
    list_filter = ["read_at", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "title", "event"]
    readonly_fields = ["user", "title", "body", "url", "event", "created_at"]
