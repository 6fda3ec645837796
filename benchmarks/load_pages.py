"""Reading the platform's pages as a browser would, for the load test's users
(``benchmarks/locustfile.py``): the fields a form submits, the links of a page, and whether a
page shows an error message. Plain Python, so the tests can check it against real pages."""

import re
from html.parser import HTMLParser

# Error messages as the templates show them: form errors (``errorlist``), error boxes and
# notes (``errorlist-box``, ``error``) and error messages (``<li class="error">``).
ERROR_MARKUP = re.compile(r'class="(?:errorlist[^"]*|errorlist-box|error)"')


class FormFields(HTMLParser):
    """The fields one form submits as a browser would (inputs, textareas, selects): the form
    with the given id or, without one, the first form posting to its own page (no action;
    the header's language and logout forms post elsewhere)."""

    def __init__(self, form_id=None):
        super().__init__()
        self.form_id, self.fields, self.inside, self.done = form_id, {}, False, False
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if not self.done:
                if self.form_id is None:
                    self.inside = not attrs.get("action")
                else:
                    self.inside = attrs.get("id") == self.form_id
            return
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file"):
                self.fields[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif (
            tag == "option"
            and self._select
            and ("selected" in attrs or self._select not in self.fields)
        ):
            self.fields[self._select] = attrs.get("value", "")

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            # A browser drops the newline that follows <textarea>.
            self.fields[self._textarea] = self.fields[self._textarea].removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


def form_fields(html, form_id=None) -> dict:
    """The fields of the page's form (see ``FormFields``) and their values."""
    parser = FormFields(form_id)
    parser.feed(html)
    return parser.fields


def links(html, pattern) -> list[str]:
    """What ``pattern`` (a regular expression with one group, or none) finds in the page."""
    return re.findall(pattern, html)


def shows_error(html) -> bool:
    return bool(ERROR_MARKUP.search(html))


def error_text(html) -> str:
    """The start of the first error message of the page, for the failure report ("" if none)."""
    found = re.search(r'class="(?:errorlist[^"]*|errorlist-box|error)"[^>]*>(.{0,200})', html)
    if not found:
        return ""
    return ": " + re.sub(r"<[^>]+>|\s+", " ", found.group(1)).strip()[:120]
