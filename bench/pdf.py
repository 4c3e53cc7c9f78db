"""Documents: the request letter and a 20-page submission packet, each beside a bare WeasyPrint
render (and a bare pypdf merge) of the same input in the same run, and the memory a worker
process gains over many renders.

    .venv/bin/python bench/pdf.py                      # a throwaway SQLite test database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sca_portal .venv/bin/python bench/pdf.py
    .venv/bin/python bench/pdf.py --rounds 30 --renders 200 --subset fonttools

The data (a case with its letters, consent and attachments) is created in a test database
(``test_<name>``), which is dropped at the end. Rounds alternate each measured path with its
baseline, so the machine's drift falls on both. ``--subset fonttools`` makes WeasyPrint
subset fonts with fontTools even when HarfBuzz's subsetter is installed: the two in one run.
Prints a Markdown section for docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    "DEBUG": "false",  # DEBUG keeps every query in memory: it would be counted as growth
    "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnop",
    "ALLOWED_HOSTS": "localhost",
    "LOG_LEVEL": "WARNING",
    "CELERY_BROKER_URL": "",
}
PACKET_PAGES = 20


def setup_django(private_root: str) -> None:
    os.environ.update(ENV)
    os.environ["PRIVATE_MEDIA_ROOT"] = private_root
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sca_portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def machine() -> str:
    sys.path.insert(0, str(Path(__file__).parent))
    from run import machine as described  # bench/run.py's description of the machine

    return described()


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# ----------------------------------------------------------------------------- the data


def pdf_pages(label: str, n: int) -> bytes:
    from weasyprint import HTML

    body = "".join(
        f"<h2>{label}, page {i}</h2>" + "<p>Observed behaviour, goals and measures.</p>" * 25
        + "<p style='break-after: page'></p>"
        for i in range(1, n + 1)
    )  # fmt: skip
    return HTML(string=body).write_pdf()


def scan_png() -> bytes:
    """A scanned page: 150 dpi Letter, grey, with lines of "text"."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (1275, 1650), 245)
    draw = ImageDraw.Draw(image)
    for y in range(120, 1550, 28):
        draw.line((110, y, 1160 - (y * 7) % 300, y), fill=40, width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def phone_jpeg() -> bytes:
    """A phone photo of a form: 12 MP, noisy (it compresses as a photo does)."""
    from PIL import Image

    image = Image.effect_noise((3000, 4000), 40).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def make_case():
    import hashlib

    from django.core.files.base import ContentFile
    from pypdf import PdfReader

    from cases.models import CaseAttachment
    from cases.selectors.documents import context_for, template_for
    from core.pdf import render_pdf_document
    from tests.factories import (
        BillingCodeFactory,
        CaseFactory,
        ConsentFactory,
        InsurerFactory,
        NetworkSearchFactory,
        PracticeFactory,
        RatePolicyFactory,
        RequestedServiceFactory,
    )

    practice = PracticeFactory(name="Bright Path ABA")
    insurer = InsurerFactory(name="Evergreen Health Plan")
    RatePolicyFactory(practice=practice, insurer=insurer)
    case = CaseFactory(practice=practice, insurer=insurer, initiated_by="practice")
    for code in ("97153", "97155", "97156"):
        RequestedServiceFactory(case=case, billing_code=BillingCodeFactory(code=code))
    NetworkSearchFactory.create_batch(4, case=case)
    ConsentFactory(case=case)

    def pages(kind: str) -> int:
        return render_pdf_document(template_for(kind), context_for(kind, case)).page_count

    files = [("assessment", scan_png(), "png"), ("referral", phone_jpeg(), "jpeg")]
    rest = PACKET_PAGES - 1 - pages("request_letter") - pages("consent_form") - len(files)
    assert rest >= 2, rest
    files += [
        ("treatment_plan", pdf_pages("Treatment plan", rest - rest // 3), "pdf"),
        ("diagnostic_report", pdf_pages("Diagnostic report", rest // 3), "pdf"),
    ]
    for kind, content, file_type in files:
        row = CaseAttachment(
            case=case,
            kind=kind,
            title=kind,
            file_type=file_type,
            page_count=len(PdfReader(io.BytesIO(content)).pages) if file_type == "pdf" else 1,
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        )
        row.file.save(f"upload.{file_type}", ContentFile(content), save=True)
    return case


# ----------------------------------------------------------------------------- the paths


def paths(case) -> dict[str, Callable[[], object]]:
    """Each measured path and its baselines, by label."""
    from django.template.loader import render_to_string
    from pypdf import PdfReader, PdfWriter
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from cases.models import Document
    from cases.selectors.documents import context_for, template_for
    from cases.selectors.packet import cover_sheet_context, packet_plan
    from cases.services.documents import document_render
    from core.pdf import BASE_URL, StaticOnlyFetcher, image_pdf, open_pdf, render_pdf_document

    def bare(html: str, **options: object) -> bytes:
        return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).write_pdf(
            **options
        )

    kept = FontConfiguration()

    letter_html = render_to_string(
        template_for("request_letter"), context_for("request_letter", case)
    )
    plan = packet_plan(case)
    generated = {
        p.kind: render_to_string(template_for(p.kind), context_for(p.kind, case))
        for p in plan.parts
        if p.source is None
    }
    stored = [
        (p.source.file.read(), p.source.file_type) for p in plan.parts if p.source is not None
    ]
    images = [content for content, file_type in stored if file_type != "pdf"]
    files = [open_pdf(c if t == "pdf" else image_pdf(c)) for c, t in stored]
    pages = [1] * len(plan.parts)  # the cover's page list: the figures do not change its cost
    generated["cover"] = render_to_string(
        "pdf/cover_sheet.html",
        cover_sheet_context(plan, pages=pages, cover_pages=1, total_pages=PACKET_PAGES),
    )
    rendered = [bare(html) for html in generated.values()]

    def bare_merge() -> bytes:
        writer = PdfWriter()
        for content in rendered:
            writer.append(PdfReader(io.BytesIO(content)))
        for reader in files:
            writer.append(reader)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    def via_service(kind: str) -> Callable[[], object]:
        def run() -> object:
            document = Document.objects.create(case=case, kind=kind)
            done = document_render(document_id=document.pk)
            assert done is not None and done.status == "ready", done and done.error
            if kind == "submission_packet":
                assert done.page_count == PACKET_PAGES, done.page_count
            done.file.delete(save=False)
            Document.objects.filter(pk=document.pk).delete()
            return done

        return run

    return {
        "letter": lambda: render_pdf_document(
            template_for("request_letter"), context_for("request_letter", case)
        ),
        "letter, bare WeasyPrint": lambda: bare(letter_html),
        "letter, bare WeasyPrint, fonts kept": lambda: bare(letter_html, font_config=kept),
        "letter, document_render": via_service("request_letter"),
        "packet, document_render": via_service("submission_packet"),
        "packet, bare WeasyPrint": lambda: [bare(html) for html in generated.values()],
        "packet, bare pypdf merge": bare_merge,
        "packet's images made pages (Pillow)": lambda: [image_pdf(c) for c in images],
    }


def measure(runs: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    for run in runs.values():  # warm-up: fonts, templates, imports
        run()
    times: dict[str, list[float]] = {label: [] for label in runs}
    for _ in range(rounds):
        for label, run in runs.items():
            started = time.perf_counter()
            run()
            times[label].append(time.perf_counter() - started)
    return times


def growth(run: Callable[[], object], renders: int) -> tuple[float, float]:
    gc.collect()
    before = rss_mb()
    for _ in range(renders):
        run()
    gc.collect()
    return before, rss_mb()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--renders", type=int, default=200, help="renders for the memory run")
    parser.add_argument(
        "--subset",
        choices=["auto", "fonttools"],
        default="auto",
        help="fonttools: force WeasyPrint's fontTools subsetter even with HarfBuzz's installed",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as private_root:
        setup_django(private_root)
        import weasyprint.pdf.fonts as fonts
        from django.db import connection

        if args.subset == "fonttools":
            fonts.harfbuzz_subset = None
        subsetter = "HarfBuzz" if fonts.harfbuzz_subset is not None else "fontTools"
        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            case = make_case()
            runs = paths(case)
            times = measure(runs, args.rounds)
            memory = {
                "letter": growth(runs["letter"], args.renders),
                "packet": growth(runs["packet, document_render"], args.renders),
            }
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    report(args, subsetter, connection.vendor, times, memory)


def report(args, subsetter, vendor, times, memory) -> None:
    p50 = {label: statistics.median(t) for label, t in times.items()}
    print(f"\nMeasured {dt.date.today().isoformat()} by `bench/pdf.py` on {machine()}.")
    print(
        f"{args.rounds} rounds, alternating; database {vendor}; WeasyPrint subsets fonts with "
        f"{subsetter}.\n"
    )
    print("| path | p50 ms | p95 ms | against the bare render |")
    print("|---|---:|---:|---:|")
    bare_packet = p50["packet, bare WeasyPrint"] + p50["packet, bare pypdf merge"]
    against = {
        "letter": p50["letter"] / p50["letter, bare WeasyPrint"],
        "letter, bare WeasyPrint, fonts kept": p50["letter, bare WeasyPrint, fonts kept"]
        / p50["letter, bare WeasyPrint"],
        "letter, document_render": p50["letter, document_render"] / p50["letter, bare WeasyPrint"],
        "packet, document_render": p50["packet, document_render"] / bare_packet,
    }
    for label, values in times.items():
        ratio = f"{against[label]:.2f}×" if label in against else ""
        print(
            f"| {label} | {p50[label] * 1000:.0f} | {percentile(values, 0.95) * 1000:.0f} | "
            f"{ratio} |"
        )
    print(
        f"\nThe packet's baseline is the bare WeasyPrint renders of its cover sheet, letter and "
        f"consent form ({p50['packet, bare WeasyPrint'] * 1000:.0f} ms) plus a bare pypdf merge "
        f"of its {PACKET_PAGES} input pages ({p50['packet, bare pypdf merge'] * 1000:.0f} ms): "
        f"{bare_packet * 1000:.0f} ms.\n"
    )
    print(f"Memory over {args.renders} renders each (RSS after a warm-up, after `gc.collect()`):\n")
    print("| renders | RSS before MB | RSS after MB | growth MB |")
    print("|---|---:|---:|---:|")
    for label, (before, after) in memory.items():
        print(f"| {args.renders} × {label} | {before:.0f} | {after:.0f} | {after - before:+.1f} |")


if __name__ == "__main__":
    main()
