from django.db import migrations

# The usual honours (AWARDS.md), at city level: the level of the union that usually runs a
# campaign. Staff can add the same honour at other levels.
HONOUR_TYPES = [
    ("五一劳动奖状", "unit", "labour"),
    ("五一劳动奖章", "person", "labour"),
    ("工人先锋号", "team", "labour"),
    ("劳动模范", "person", "labour"),
    ("模范集体", "unit", "labour"),
    ("先进集体", "unit", "labour"),
    ("先进个人", "person", "labour"),
    ("技术能手", "person", "skill"),
    ("工匠", "person", "labour"),
]


def seed(apps, schema_editor):
    HonourType = apps.get_model("awards", "HonourType")
    for name, recipient, campaign_kind in HONOUR_TYPES:
        # Idempotent by name: an honour staff already keep (at any level) is left alone.
        if not HonourType.objects.filter(name=name).exists():
            HonourType.objects.create(
                name=name, level="city", recipient=recipient, campaign_kind=campaign_kind
            )


class Migration(migrations.Migration):
    dependencies = [("awards", "0002_honour_lists")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
