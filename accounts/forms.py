from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.template import loader

from dispatch import send_on_commit

from .models import User
from .tasks import send_email


class QueuedPasswordResetForm(PasswordResetForm):
    """Password reset whose email goes out through a Celery task, after the commit."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        send_on_commit(send_email, subject, body, [to_email])


class LiaisonSignUpForm(UserCreationForm):
    """The liaison account a unit creates when it signs up online."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "display_name", "email", "phone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("display_name", "email", "phone"):
            self.fields[name].required = True
