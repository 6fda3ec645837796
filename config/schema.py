"""OpenAPI schema generation: the error answers every endpoint can give, documented.

drf-spectacular documents only the success response unless a view declares more. The API
also answers 400 (invalid input or query string), 401 (no or a bad token), 403 (not allowed,
or a session request without its CSRF token), 404 (out of the user's scope, or a page number
past the end), 415 (a body of another media type) and 429 (anonymous requests over the
rate). Schema-driven clients, and the schemathesis run in tests/quality/test_api_fuzz.py,
rely on the schema naming every status they can get. Responses a view declares itself are
kept as they are.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse

# DRF's validation errors: field names (or ``detail`` / ``non_field_errors``) mapped to a
# message, a list of messages, or the errors of nested items; or, for an error a view raises
# outside a serializer, a plain list of messages.
VALIDATION_ERROR = {
    "anyOf": [
        {"type": "object", "additionalProperties": {}},
        {"type": "array", "items": {"type": "string"}},
    ],
    "example": {"title": ["This field is required."]},
}


def _error(description):
    from competitions.api import ErrorSerializer

    return OpenApiResponse(ErrorSerializer, description=description)


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        query = {p["name"] for p in parameters if p["in"] == "query"}
        security = operation.get("security", [])
        errors = {}
        if "requestBody" in operation or query:
            errors["400"] = OpenApiResponse(
                VALIDATION_ERROR, description=_("Invalid input; nothing changed.")
            )
        if "requestBody" in operation:
            errors["415"] = _error(_("The body is not in one of the documented media types."))
        if security:
            errors["401"] = _error(_("No credentials, or invalid ones."))
            if {} not in security:
                errors["403"] = _error(_("Not allowed for this user."))
        if "page" in query or any(p["in"] == "path" for p in parameters):
            errors["404"] = _error(_("Not found in the user's scope."))
        # DRF checks throttles after permissions: only requests that may come in
        # anonymously meet the anonymous rate.
        if self.view.throttle_classes and (not security or {} in security):
            errors["429"] = _error(_("Too many requests; try again later."))
        responses = operation["responses"]
        for code, response in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code)
        return operation
