import rules

# Accounts are managed by superusers only; everyone manages their own password.
for action in ("view", "add", "change", "delete"):
    rules.add_perm(f"accounts.{action}_user", rules.is_superuser)
