import rules

from competitions.rules import has_role

rules.add_perm("awards.view_honourtype", rules.is_superuser | has_role)
for action in ("add", "change", "delete"):
    rules.add_perm(f"awards.{action}_honourtype", rules.is_superuser)
