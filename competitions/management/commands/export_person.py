from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from competitions import privacy_requests
from competitions.models import Person, PrivacyRequest


def acting_user(username):
    """The account recorded as handling the request (``--by``), if given."""
    if not username:
        return None
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist as missing:
        raise CommandError(f"No user named {username!r}.") from missing


class Command(BaseCommand):
    help = (
        "Export everything held about a person (or, with --user, a user account) as JSON or "
        "a readable HTML document, for a request under PIPL art. 45. The export is recorded."
    )

    def add_arguments(self, parser):
        parser.add_argument("id", type=int, help="The person's id (the user's with --user).")
        parser.add_argument("--user", action="store_true", help="Export a user account.")
        parser.add_argument("--format", choices=["json", "html"], default="json")
        parser.add_argument("--output", help="Write to this file instead of standard output.")
        parser.add_argument("--by", help="Username of the staff member handling the request.")

    def handle(self, *args, **options):
        by = acting_user(options["by"])
        channel = PrivacyRequest.Channel.COMMAND
        if options["user"]:
            account = get_user_model().objects.filter(pk=options["id"]).first()
            if account is None:
                raise CommandError(f"No user account with id {options['id']}.")
            data = privacy_requests.export_user(account, by, channel)
        else:
            person = Person.objects.filter(pk=options["id"]).first()
            if person is None:
                raise CommandError(f"No person with id {options['id']}.")
            data = privacy_requests.export_person(person, by, channel)
        if options["format"] == "html":
            text = privacy_requests.readable_document(data)
        else:
            text = privacy_requests.to_json(data)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"Written to {options['output']}.")
        else:
            self.stdout.write(text)
