from django.core.management.base import BaseCommand

from competitions.demo import DEMO_PASSWORD, USERS, build_demo


class Command(BaseCommand):
    help = "Load the G20 demo campaign with one user per role. Safe to run again."

    def handle(self, *args, **options):
        from awards.summary_demo import seed_summaries

        created = build_demo()
        summary = ", ".join(f"{kind}: {count}" for kind, count in created.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready (created {summary})."))
        seed_summaries(self.stdout)
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, display, role, *_rest in USERS:
            self.stdout.write(f"  {username:<10} {display} ({role or 'superuser'})")
