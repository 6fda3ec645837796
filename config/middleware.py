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
