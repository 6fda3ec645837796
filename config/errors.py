"""Error pages that need nothing but the templates: they are shown when the rest is down."""

import sys

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

# Seconds after which browsers and API clients may try again (Retry-After).
RETRY_AFTER = 15


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """``handler500``: an unreachable database (stopped, restarting, too many connections) is
    not a bug but a temporary outage, so it gets a 503 that says so and asks to try again;
    anything else gets the usual 500 page.

    Django calls this while handling the exception, so ``sys.exc_info()`` is the error."""
    if database_unreachable(sys.exc_info()[1]):
        return database_unavailable(request)
    return defaults.server_error(request, template_name)


def database_unreachable(error) -> bool:
    """Whether ``error`` says the database cannot be reached (or dropped the connection).

    The driver's own errors count too: some reach the view unwrapped by Django, e.g. closing
    a cursor that a query set had open when PostgreSQL shut down (psycopg's AdminShutdown)."""
    driver = connection.Database
    return isinstance(
        error,
        OperationalError | InterfaceError | driver.OperationalError | driver.InterfaceError,
    )


def database_unavailable(request):
    """The 503 answer: JSON for the API, otherwise a page in the user's language (Chinese by
    default) rendered without the database: no base template, no context processors."""
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": _("The service is temporarily unavailable; please try again shortly.")},
            status=503,
        )
    else:
        page = loader.get_template("503.html").render(
            {"refresh": RETRY_AFTER if request.method == "GET" else None}
        )
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response
