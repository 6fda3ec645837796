"""Personal data: how values are masked and the one rule deciding who sees them in full.

Phone numbers, identity card numbers and e-mail addresses are shown in full only to those
who need them (PIPL's "minimum necessary"):

- a person's data (``Person.phone``, ``Person.id_number``): a superuser, the liaison of the
  person's own unit, and the staff of the union the unit belongs to or of a union above it;
- a user account's contact data: the user themselves, a superuser and, for a unit liaison,
  the people who see their unit's people in full (above);
- an objector's contact: the staff of the campaign's competition office, who decide the
  objection, while it is still to be decided.

Everyone else (evaluators, other units, unions beside or below, the public) sees the masked
value: ``138****5678``, ``330102********1234``, ``z***@example.com``. Pages use the template
filters of ``competitions.templatetags.privacy``, the API :class:`PersonalDataField`, the
admin :func:`masked_column`, exports :func:`shown`.
"""

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .queries import user_role

MASK = "****"


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``; shorter numbers keep at most their last 2 digits."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) >= 8:
        return value[:3] + MASK + value[-4:]
    return MASK + value[-2:] if len(value) > 4 else MASK


def mask_id_number(value: str) -> str:
    """``330102199001011234`` → ``330102********1234`` (region code and last 4 kept)."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_email(value: str) -> str:
    """``zhang.wei@example.com`` → ``z***@example.com``."""
    value = (value or "").strip()
    if not value:
        return ""
    local, at, domain = value.rpartition("@")
    if not at:
        return mask_phone(value)
    return (local[:1] or "") + "***@" + domain


def mask_contact(value: str) -> str:
    """An objector's contact: an e-mail address or a phone number."""
    return mask_email(value) if "@" in (value or "") else mask_phone(value)


MASKS = {
    "phone": mask_phone,
    "id_number": mask_id_number,
    "email": mask_email,
    "contact": mask_contact,
}


def _unit_id(unit) -> int | None:
    return getattr(unit, "pk", unit)


def may_see_personal_data(user, unit, cache: dict | None = None) -> bool:
    """Whether ``user`` sees the personal data of the people of ``unit`` (a Unit or its id)
    in full: a superuser, the unit's own liaison, or staff of the unit's union or above.

    ``cache``, a dict living as long as one request (:func:`request_cache`), keeps the
    answers: a unit whose organisation is loaded costs no query; otherwise the units of the
    user's subtree are read once per request rather than once per unit."""
    role = user_role(user) if user is not None else None
    unit_id = _unit_id(unit)
    if role is None or unit_id is None:
        return False
    if role == "superuser":
        return True
    if role == "unit":
        return user.unit_id == unit_id
    if role != "organiser":
        return False
    cache = {} if cache is None else cache
    key = ("unit", user.pk, unit_id)
    if key not in cache:
        state = getattr(unit, "_state", None)
        organisation = state.fields_cache.get("organisation") if state is not None else None
        if organisation is not None:
            cache[key] = organisation.path.startswith(user.organisation.path)
        else:
            scope_key = ("subtree", user.pk)
            if scope_key not in cache:
                cache[scope_key] = _units_in_subtree(user)
            cache[key] = unit_id in cache[scope_key]
    return cache[key]


def request_cache(request) -> dict:
    """A dict for the answers of this module that lives as long as ``request``."""
    if request is None:
        return {}
    return request.__dict__.setdefault("_privacy_cache", {})


def _units_in_subtree(user) -> frozenset:
    from .models import Unit

    return frozenset(
        Unit.objects.filter(organisation__path__startswith=user.organisation.path).values_list(
            "pk", flat=True
        )
    )


def may_see_user_data(viewer, account, cache: dict | None = None) -> bool:
    """Whether ``viewer`` sees the contact data (phone, e-mail) of the user ``account``:
    the user themselves, a superuser, and for a unit liaison whoever sees their unit's people
    in full."""
    if viewer is None or not viewer.is_authenticated:
        return False
    if viewer.pk == account.pk or viewer.is_superuser:
        return True
    return bool(account.is_liaison and account.unit_id) and may_see_personal_data(
        viewer, account.unit_id, cache
    )


def may_handle_requests(user, unit, cache: dict | None = None) -> bool:
    """Who exports or erases a person's data on request: a superuser, or the staff of the
    union the person's unit belongs to or of a union above it (not the unit itself)."""
    role = user_role(user) if user is not None else None
    if role == "superuser":
        return True
    return role == "organiser" and may_see_personal_data(user, unit, cache)


def shown(value: str, kind: str, visible: bool) -> str:
    """``value`` as the viewer may see it: in full when ``visible``, masked otherwise."""
    if not value or visible:
        return value or ""
    return MASKS[kind](value)


def person_value(user, person, field: str, cache: dict | None = None) -> str:
    """A person's ``phone`` or ``id_number`` as ``user`` may see it."""
    unit = person.unit if "unit" in person._state.fields_cache else person.unit_id
    return shown(getattr(person, field), field, may_see_personal_data(user, unit, cache))


def user_value(viewer, account, field: str, cache: dict | None = None) -> str:
    """A user account's ``phone`` or ``email`` as ``viewer`` may see it."""
    return shown(getattr(account, field), field, may_see_user_data(viewer, account, cache))


def may_see_objection_contact(user, objection, campaign=None, cache: dict | None = None) -> bool:
    """The objector's contact is for the competition office deciding the objection (its
    campaign's staff), while it is still to be decided; once decided it is masked for
    everyone. Pass the ``campaign`` when the caller has it loaded."""
    from awards.models import Objection
    from scoring.services import is_staff_of

    if objection.status != Objection.Status.LODGED or user is None:
        return False
    if campaign is None:
        campaign = objection.entry.honour_list.rule.campaign
    cache = {} if cache is None else cache
    key = ("campaign", user.pk, campaign.pk)
    if key not in cache:
        cache[key] = is_staff_of(campaign, user)
    return cache[key]


def objection_contact(user, objection, campaign=None, cache: dict | None = None) -> str:
    """An objector's contact as ``user`` may see it."""
    visible = may_see_objection_contact(user, objection, campaign, cache)
    return shown(objection.contact, "contact", visible)


@extend_schema_field(OpenApiTypes.STR)
class ObjectionContactField(serializers.Field):
    """The objector's contact: in full for the campaign's staff while the objection is to be
    decided, masked otherwise (``may_see_objection_contact``)."""

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        kwargs.setdefault("read_only", True)
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "In full while the objection is to be decided; masked (e.g. 138****5678) once "
                "it is decided."
            ),
        )
        super().__init__(**kwargs)

    def to_representation(self, objection):
        request = self.context.get("request")
        return objection_contact(
            getattr(request, "user", None), objection, cache=request_cache(request)
        )


@extend_schema_field(OpenApiTypes.STR)
class PersonalDataField(serializers.Field):
    """A read-only API field with a person's phone or ID number, masked unless the
    requesting user may see it (:func:`may_see_personal_data`).

    ``source`` names the person (``"*"`` for the object itself, ``"person"`` for a
    contestant's), ``field`` the value: ``phone`` or ``id_number``."""

    def __init__(self, field: str, **kwargs):
        self.value_field = field
        kwargs.setdefault("read_only", True)
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "In full for the person's unit and the unions responsible for it; masked "
                "(e.g. 138****5678) for everyone else."
            ),
        )
        super().__init__(**kwargs)

    def to_representation(self, person):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return person_value(user, person, self.value_field, request_cache(request))


def masked_column(field: str, description, user):
    """An admin list column showing a person's ``field`` as ``user`` may see it; built per
    request in ``get_list_display`` (list columns are given the object only)."""
    cache = {}

    def column(person):
        return person_value(user, person, field, cache) or "—"

    column.short_description = description
    column.admin_order_field = field
    return column
