from django.db import models
from django.utils.translation import gettext_lazy as _


class HonourType(models.Model):
    """A kind of honour (五一劳动奖状, 工人先锋号 ...); the usual ones are shipped."""

    class Level(models.TextChoices):
        NATIONAL = "national", _("National")
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        DISTRICT = "district", _("District")
        ENTERPRISE = "enterprise", _("Enterprise")

    class Recipient(models.TextChoices):
        UNIT = "unit", _("Unit")
        TEAM = "team", _("Team")
        PERSON = "person", _("Person")

    class CampaignKind(models.TextChoices):
        LABOUR = "labour", _("Labour competition")
        SKILL = "skill", _("Skill contest")

    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    recipient = models.CharField(_("recipient"), max_length=8, choices=Recipient.choices)
    campaign_kind = models.CharField(
        _("campaign kind"), max_length=16, choices=CampaignKind.choices, default="labour"
    )

    class Meta:
        verbose_name = _("honour type")
        verbose_name_plural = _("honour types")
        ordering = ["recipient", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "level"],
                name="honour_type_unique",
                violation_error_message=_("This honour type exists already at this level."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_level_display()})"
