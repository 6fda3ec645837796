import rules

from competitions.rules import can_view, has_role, staff_of_campaign

from .queries import (
    certificates_for_user,
    entries_for_user,
    honour_lists_for_user,
    honour_rules_for_user,
    objections_for_staff,
)

rules.add_perm("awards.view_honourtype", rules.is_superuser | has_role)
for action in ("add", "change", "delete"):
    rules.add_perm(f"awards.{action}_honourtype", rules.is_superuser)

# Rules are set up by the campaign's competition office.
rules.add_perm("awards.view_honourrule", rules.is_superuser | can_view(honour_rules_for_user))
for action in ("add", "change", "delete"):
    rules.add_perm(f"awards.{action}_honourrule", rules.is_superuser | staff_of_campaign)

# Lists change only through the services (generate, publish, remove, confirm): the admin
# shows them.
rules.add_perm("awards.view_honourlist", rules.is_superuser | can_view(honour_lists_for_user))
for action in ("add", "change", "delete"):
    rules.add_perm(f"awards.{action}_honourlist", rules.always_deny)
rules.add_perm("awards.view_honourlistentry", rules.is_superuser | can_view(entries_for_user))
for action in ("add", "change", "delete"):
    rules.add_perm(f"awards.{action}_honourlistentry", rules.always_deny)

# Objections are read in the admin and decided on the list's objections page, through
# ``services.decide_objection``.
rules.add_perm("awards.view_objection", rules.is_superuser | can_view(objections_for_staff))
for action in ("add", "change", "delete"):
    rules.add_perm(f"awards.{action}_objection", rules.always_deny)

# Certificates are issued by ``services.issue_certificates`` and ``services.award_instant``
# only, and never change: their text is what was printed.
rules.add_perm("awards.view_certificate", rules.is_superuser | can_view(certificates_for_user))
for action in ("add", "change", "delete"):
    rules.add_perm(f"awards.{action}_certificate", rules.always_deny)
