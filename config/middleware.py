from django.http import HttpResponseBadRequest, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _


class ChineseByDefaultMiddleware:
    """Pages are in Simplified Chinese unless the user picked another language.

    Union staff often work on machines set to English; the interface should still open in
    Chinese, and the language switch (a cookie) is the only way to change it. API clients
    keep content negotiation through Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class RefuseNulCharactersMiddleware:
    """Answer 400 to a request whose path, query string or form fields contain NUL (U+0000).

    No real input has one, and PostgreSQL cannot store or compare one in text: the query
    fails and the user gets a 500. Forms and API fields refuse it themselves, but views and
    filters that read ``request.GET``/``request.POST`` directly do not; this guards them all
    in one place. Uploaded files are not inspected (binary content is fine); JSON bodies are
    checked by DRF's fields.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _contains_nul(request):
            message = _(
                "The request contains a NUL character (\\x00), which no field accepts. "
                "Nothing was changed."
            )
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            page = loader.render_to_string("400.html", {"message": message})
            return HttpResponseBadRequest(page)
        return self.get_response(request)


def _contains_nul(request) -> bool:
    if "\x00" in request.path:
        return True
    for data in (request.GET, request.POST):
        for key, values in data.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return True
    return any("\x00" in (upload.name or "") for upload in request.FILES.values())
