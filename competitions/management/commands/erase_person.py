from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from competitions import privacy_requests
from competitions.models import Person, PrivacyRequest

from .export_person import acting_user


class Command(BaseCommand):
    help = (
        "Erase a person's personal data (or, with --user, a user account's) on request under "
        "PIPL art. 47: identifying fields are replaced or cleared and scrubbed from the audit "
        "trail, in one transaction, recorded with the reason. Refused while the person holds "
        "a public honour (see docs/user-guide.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("id", type=int, help="The person's id (the user's with --user).")
        parser.add_argument("--user", action="store_true", help="Erase a user account.")
        parser.add_argument(
            "--reason", required=True, help="Why: the request's date and form, its reference."
        )
        parser.add_argument("--by", help="Username of the staff member handling the request.")

    def handle(self, *args, **options):
        by = acting_user(options["by"])
        channel = PrivacyRequest.Channel.COMMAND
        try:
            if options["user"]:
                account = get_user_model().objects.filter(pk=options["id"]).first()
                if account is None:
                    raise CommandError(f"No user account with id {options['id']}.")
                request = privacy_requests.erase_user(account, options["reason"], by, channel)
            else:
                person = Person.objects.filter(pk=options["id"]).first()
                if person is None:
                    raise CommandError(f"No person with id {options['id']}.")
                request = privacy_requests.erase_person(person, options["reason"], by, channel)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Erased ({request.get_subject_display()} #{request.subject_id}); "
                f"recorded as personal data request #{request.pk}: {request.summary}"
            )
        )
