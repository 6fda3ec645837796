from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Notification, User


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


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "title", "created_at", "read_at"]
    list_filter = ["read_at", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "title", "event"]
    readonly_fields = ["user", "title", "body", "url", "event", "created_at"]
