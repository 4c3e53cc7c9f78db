"""The PDF helpers: a Django template and print.css rendered by WeasyPrint, and the
assembly of several PDFs into one (images made pages, every page stamped with a footer).

WeasyPrint may fetch only the app's own static files: no network, no local files outside
the static directories, so a value in a template can never make the renderer read
anything else. Nothing here knows about cases: callers say what goes in and what each
footer says.
"""

from __future__ import annotations

import io
import mimetypes
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from PIL import Image, ImageOps
from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PyPdfError
from weasyprint import HTML
from weasyprint.document import Document
from weasyprint.text.fonts import FontConfiguration
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


_fonts = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread, kept: WeasyPrint makes a new one (a new Pango font
    map) per render unless given one, and a worker then grows by about 0.25 MB a render
    (bench/pdf.py: +50 MB over 200 letters, +4 MB with this). Pango's font maps are not
    thread-safe, hence one per thread."""
    config = getattr(_fonts, "config", None)
    if config is None:
        config = _fonts.config = FontConfiguration()
    return config


def _html(html: str) -> HTML:
    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher())


def laid_out(template: str, context: dict[str, Any]) -> Document:
    """The template laid out in pages, not yet written."""
    html = render_to_string(template, context)  # autoescaped: every variable is escaped
    return _html(html).render(font_config=_font_config())


def render_pdf_document(template: str, context: dict[str, Any]) -> RenderedPdf:
    document = laid_out(template, context)
    return RenderedPdf(content=document.write_pdf(), page_count=len(document.pages))


def write_together(documents: Sequence[Document]) -> bytes:
    """Laid-out documents written as one PDF. Writing is where WeasyPrint subsets and embeds
    the fonts, the larger part of a short document's cost: once for all of them."""
    return documents[0].copy([page for d in documents for page in d.pages]).write_pdf()


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    return render_pdf_document(template, context).content


# ----------------------------------------------------------------------------- assembling

LETTER = (612.0, 792.0)  # US Letter in points, what fax machines and insurers' portals expect
IMAGE_MARGIN = 36.0  # half an inch around an image made a page
IMAGE_MAX_DPI = 200  # a phone photo is scaled down to fax resolution, not carried at 12 MP


class UnreadablePdf(ValueError):
    """A file that cannot go into an assembled PDF. The message says why in general terms
    (encrypted, not a PDF, ...) and never quotes the file's content; ``part`` is the index of
    the part that failed when it was found while assembling."""

    def __init__(self, reason: str, *, part: int | None = None) -> None:
        super().__init__(reason)
        self.part = part


def open_pdf(content: bytes) -> PdfReader:
    """A PDF's reader, checked now rather than half-way through a merge: it opens, it is not
    locked (a PDF encrypted with only an owner password opens with the empty one), it has
    pages and each page's size and content can be read."""
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadablePdf("it is encrypted with a password")
        pages = list(reader.pages)
        for page in pages:
            page.cropbox  # noqa: B018 -- reading it is the check
            page.get_contents()
    except UnreadablePdf:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise UnreadablePdf(f"it is not a readable PDF ({type(exc).__name__})") from None
    except NotImplementedError:  # an encryption algorithm pypdf does not implement
        raise UnreadablePdf("it is encrypted with an unsupported method") from None
    if not pages:
        raise UnreadablePdf("it has no pages")
    return reader


def image_pdf(content: bytes) -> bytes:
    """A PNG or JPEG as one Letter page: the image turned upright (camera orientation),
    fitted inside a half-inch margin, centred, at most ``IMAGE_MAX_DPI``."""
    box_w, box_h = LETTER[0] - 2 * IMAGE_MARGIN, LETTER[1] - 2 * IMAGE_MARGIN
    try:
        with Image.open(io.BytesIO(content)) as opened:
            # A JPEG can decode at 1/2, 1/4 or 1/8 of its size: enough pixels for the page at
            # IMAGE_MAX_DPI, either way up (EXIF may turn it), and a 12 MP photo loads 4x
            # faster. Other formats ignore the hint.
            w, h = opened.size
            fit = max(min(box_w / w, box_h / h), min(box_w / h, box_h / w))  # points a pixel
            opened.draft(
                "RGB",
                (
                    max(1, round(w * fit * IMAGE_MAX_DPI / 72)),
                    max(1, round(h * fit * IMAGE_MAX_DPI / 72)),
                ),
            )
            image = ImageOps.exif_transpose(opened)  # a loaded copy, upright as photographed
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UnreadablePdf(f"it is not a readable image ({type(exc).__name__})") from None
    if image.mode not in ("RGB", "L"):
        # Transparency on white, as it would print; palettes and CMYK made plain RGB.
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    # Fitted to the page, never enlarged past one point a pixel (72 dpi), never finer than
    # IMAGE_MAX_DPI: a fax carries 200 dpi at best.
    scale = min(box_w / image.width, box_h / image.height, 1.0)  # points per pixel
    if 72 / scale > IMAGE_MAX_DPI * 1.05:
        shrink = 72 / scale / IMAGE_MAX_DPI
        size = (max(1, round(image.width / shrink)), max(1, round(image.height / shrink)))
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        scale = min(box_w / image.width, box_h / image.height)
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=72 / scale)  # one pixel = ``scale`` points
    picture = PdfReader(io.BytesIO(out.getvalue())).pages[0]
    width, height = float(picture.mediabox.width), float(picture.mediabox.height)
    page = PageObject.create_blank_page(width=LETTER[0], height=LETTER[1])
    page.merge_transformed_page(
        picture, Transformation().translate((LETTER[0] - width) / 2, (LETTER[1] - height) / 2)
    )
    writer = PdfWriter()
    writer.add_page(page)
    return _written(writer)


@dataclass(frozen=True)
class Footer:
    """What one page's footer says: ``left`` (e.g. a reference and a name) and ``right``
    (e.g. "Page 3 of 9")."""

    left: str
    right: str


def assemble_pdf(parts: Sequence[Sequence[PageObject]], footers: Sequence[Footer]) -> RenderedPdf:
    """The parts' pages in order (a part: a reader's ``pages`` or a slice of them), one footer
    stamped on each page (``footers`` has one per page). The footers are rendered in one
    WeasyPrint pass, one page each, sized to the page it goes on, then laid over it."""
    writer = PdfWriter()
    owners = []  # the part each page comes from, to name it when its page cannot be stamped
    for index, part in enumerate(parts):
        for page in part:
            writer.add_page(page)
            owners.append(index)
    pages = list(writer.pages)
    if len(footers) != len(pages):
        raise ValueError(f"{len(footers)} footers for {len(pages)} pages")
    boxes = []
    for page in pages:
        if page.rotation:
            page.transfer_rotation_to_content()  # stamp the page as it is seen, not as stored
        box = page.cropbox
        boxes.append((float(box.left), float(box.bottom), float(box.width), float(box.height)))
    sizes = sorted({(w, h) for _x, _y, w, h in boxes})  # one @page rule per size
    size_of = [sizes.index((w, h)) for _x, _y, w, h in boxes]
    html = render_to_string(
        "pdf/page_footers.html",
        {
            "sizes": [(i, w, h) for i, (w, h) in enumerate(sizes)],
            "pages": list(zip(size_of, footers, strict=True)),
        },
    )
    overlay = _html(html).write_pdf(font_config=_font_config())
    stamps = PdfReader(io.BytesIO(overlay)).pages
    if len(stamps) != len(pages):
        raise ValueError("the footers did not come out one per page")
    for page, stamp, (x, y, _w, _h), owner in zip(pages, stamps, boxes, owners, strict=True):
        try:
            if x or y:
                page.merge_transformed_page(stamp, Transformation().translate(x, y))
            else:
                page.merge_page(stamp)
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
            reason = f"a page cannot be stamped ({type(exc).__name__})"
            raise UnreadablePdf(reason, part=owner) from None
    return RenderedPdf(content=_written(writer), page_count=len(pages))


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
