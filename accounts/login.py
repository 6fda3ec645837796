"""The doors that take a password, with the login throttle's answer (accounts.throttling):
the login page, the admin's login form and the API's token endpoint."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from rest_framework import exceptions
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken

from . import throttling


class ThrottledLoginMixin:
    """A login form that says how long to wait when the throttle refused the login, instead
    of "wrong username or password"."""

    def get_invalid_login_error(self):
        wait = throttling.refused_for(self.request)
        if wait:
            return ValidationError(throttling.wait_message(wait), code="throttled")
        return super().get_invalid_login_error()


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    """Django's login page; a login the throttle refused answers 429 with Retry-After."""

    authentication_form = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        wait = throttling.refused_for(self.request)
        if wait:
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response


class ThrottledAuthTokenSerializer(AuthTokenSerializer):
    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except exceptions.ValidationError:
            wait = throttling.refused_for(self.context.get("request"))
            if wait:
                raise exceptions.Throttled(
                    wait=wait, detail=throttling.wait_message(wait)
                ) from None
            raise


class TokenView(ObtainAuthToken):
    """DRF's token endpoint; while the throttle refuses the username and address it answers
    429 with Retry-After and the wait in words."""

    serializer_class = ThrottledAuthTokenSerializer
