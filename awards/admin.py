from django.contrib import admin

from competitions.admin import ScopedModelAdmin

from .models import HonourType


@admin.register(HonourType)
class HonourTypeAdmin(ScopedModelAdmin):
    scope = staticmethod(lambda user: HonourType.objects.all())
    list_display = ["name", "level", "recipient", "campaign_kind"]
    list_filter = ["level", "recipient", "campaign_kind"]
    search_fields = ["name"]
