"""Personal data in templates, masked unless the viewer may see it (``competitions.privacy``).

{% load privacy %}
{% personal person "phone" %}        a person's phone or id_number
{% account_contact account "email" %}  a user account's phone or email
{% objection_contact objection campaign %}  an objector's phone or e-mail
{{ value|mask_phone }}               always masked (also mask_id_number, mask_email)
"""

from django import template

from .. import privacy

register = template.Library()

register.filter("mask_phone", privacy.mask_phone)
register.filter("mask_id_number", privacy.mask_id_number)
register.filter("mask_email", privacy.mask_email)


def _viewer(context):
    request = context.get("request")
    return getattr(request, "user", None) or context.get("user"), privacy.request_cache(request)


@register.simple_tag(takes_context=True)
def personal(context, person, field):
    user, cache = _viewer(context)
    return privacy.person_value(user, person, field, cache)


@register.simple_tag(takes_context=True)
def account_contact(context, account, field):
    user, cache = _viewer(context)
    return privacy.user_value(user, account, field, cache)


@register.simple_tag(takes_context=True)
def objection_contact(context, objection, campaign=None):
    user, cache = _viewer(context)
    return privacy.objection_contact(user, objection, campaign, cache)
