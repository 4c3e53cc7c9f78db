"""The one PDF helper: a Django template and print.css rendered by WeasyPrint.

WeasyPrint may fetch only the app's own static files: no network, no local files outside
the static directories, so a value in a template can never make the renderer read
anything else.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# A base URL that resolves nowhere: relative links in templates become URLs under it, and
# only its /static/ paths are served, from the app's static files.
BASE_URL = "https://sca-portal.invalid/"


class StaticOnlyFetcher(URLFetcher):
    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        prefix = BASE_URL + settings.STATIC_URL.lstrip("/")
        if not url.startswith(prefix):
            raise ValueError("only the app's static files may be loaded by documents")
        relative = url[len(prefix) :].split("?")[0].split("#")[0]
        if ".." in Path(relative).parts:
            raise ValueError("path traversal refused")
        found = finders.find(relative)
        if not found:
            raise ValueError(f"no static file {relative}")
        mime = mimetypes.guess_type(found)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=Path(found).read_bytes(), headers={"Content-Type": mime}
        )


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    page_count: int


def render_pdf_document(template: str, context: dict[str, Any]) -> RenderedPdf:
    html = render_to_string(template, context)  # autoescaped: every variable is escaped
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).render()
    return RenderedPdf(content=document.write_pdf(), page_count=len(document.pages))


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    return render_pdf_document(template, context).content
