"""PDF responses made with WeasyPrint, shared by every page that prints."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.utils.translation import gettext as _


def pdf_response(html: str, filename: str, stylesheet: str | None = None) -> HttpResponse:
    """Return ``html`` rendered as an inline PDF, or a 503 saying what the server lacks.

    ``stylesheet`` is a static path (e.g. ``reports/print.css``) read from disk:
    WeasyPrint fetches nothing over the network.
    """
    try:
        from weasyprint import CSS, HTML
    except OSError as exc:  # the Pango library is missing on this machine
        return HttpResponse(
            _("PDF output needs the Pango library on the server: %(error)s") % {"error": exc},
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    sheets = [CSS(filename=finders.find(stylesheet))] if stylesheet else []
    document = HTML(string=html).write_pdf(stylesheets=sheets)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
