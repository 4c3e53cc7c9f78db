"""Copy the private files between the local disk and object storage, under the same keys:

    manage.py migrate_private_files --to s3      # PRIVATE_MEDIA_ROOT -> PRIVATE_STORAGE_URL
    manage.py migrate_private_files --to local   # and back (PRIVATE_STORAGE_URL still set)

Every file a record names (consent scans, documents and packets, attachments, provider
documents) is copied and read back, and kept only when its sha256 is the source's. A file
already at the target with the source's sha256 is skipped, so a run that stopped (a timeout,
Ctrl-C) is simply run again. Sources are never deleted: switch PRIVATE_STORAGE_URL, check, then
remove the old copies. Output names records and keys, which carry no patient data."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.management.base import BaseCommand, CommandError

from cases.models import CaseAttachment, Consent, Document, ProviderDocument
from core.storage import S3_BACKEND, storage_fault

FILE_MODELS = (
    ("consent", Consent),
    ("document", Document),
    ("attachment", CaseAttachment),
    ("provider document", ProviderDocument),
)
BAR_WIDTH = 30


@dataclass
class Tally:
    total: int
    copied: int = 0
    present: int = 0
    failed: list[str] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.copied + self.present + len(self.failed)


class Command(BaseCommand):
    help = "Copy the private files to object storage (--to s3) or back (--to local), verified."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--to", choices=["s3", "local"], required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        configured = settings.STORAGES["private"]
        if configured["BACKEND"] != S3_BACKEND:
            raise CommandError("Set PRIVATE_STORAGE_URL to the object storage first.")
        local = FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)
        remote = storages.create_storage(configured)
        source, target = (local, remote) if options["to"] == "s3" else (remote, local)
        self.tty = self.stdout.isatty()
        files = list(_private_files())
        tally = Tally(total=len(files))
        self.stdout.write(f"{tally.total} private files to copy to {options['to']}.")
        shown = -1
        for label, pk, name, recorded in files:
            try:
                outcome = _copy(name, source, target, recorded=recorded)
            except Exception as exc:
                if storage_fault(exc) != "unavailable":
                    raise
                self._summary(tally, options["to"])
                raise CommandError(
                    f"The storage is unreachable ({type(exc).__name__}); run again to continue."
                ) from exc
            if outcome == "copied":
                tally.copied += 1
            elif outcome == "present":
                tally.present += 1
            else:
                tally.failed.append(f"{label} {pk} ({name}): {outcome}")
                self.stdout.write(("\n" if self.tty else "") + f"FAILED {tally.failed[-1]}")
            shown = self._progress(tally, shown)
        self._summary(tally, options["to"])
        if tally.failed:
            raise CommandError(f"{len(tally.failed)} file(s) failed; see above.")

    def _progress(self, tally: Tally, shown: int) -> int:
        """A plain-text bar, ``[#####     ] 10/20``: redrawn in place on a terminal, a line each
        time it grows otherwise (a log, a CI job), so a long run prints at most BAR_WIDTH."""
        filled = BAR_WIDTH * tally.done // max(tally.total, 1)
        tty = self.tty
        if filled == shown and not tty and tally.done != tally.total:
            return shown
        bar = f"[{'#' * filled}{' ' * (BAR_WIDTH - filled)}] {tally.done}/{tally.total}"
        self.stdout.write(f"\r{bar}" if tty else bar, ending="")
        if not tty or tally.done == tally.total:
            self.stdout.write("")
        return filled

    def _summary(self, tally: Tally, to: str) -> None:
        self.stdout.write(
            f"To {to}: {tally.copied} copied, {tally.present} already there, "
            f"{len(tally.failed)} failed, {tally.total - tally.done} not reached "
            f"(of {tally.total})."
        )
        for failure in tally.failed:
            self.stdout.write(f"  failed: {failure}")


def _private_files() -> Iterator[tuple[str, int, str, str]]:
    """(label, record id, key, the sha256 the record keeps or "") of every stored private
    file, archived records included."""
    seen: set[str] = set()
    for label, model in FILE_MODELS:
        recorded = "sha256" if any(f.name == "sha256" for f in model._meta.fields) else "pk"
        rows = model._base_manager.exclude(file="").order_by("pk")
        for pk, name, sha in rows.values_list("pk", "file", recorded).iterator():
            if name not in seen:  # one copy of a key however many records name it
                seen.add(name)
                yield label, pk, name, sha if recorded == "sha256" else ""


def _sha256(storage: Storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as stored:
        for chunk in stored.chunks():
            digest.update(chunk)
    return digest.hexdigest()


def _copy(name: str, source: Storage, target: Storage, *, recorded: str = "") -> str:
    """ "copied", "present" (already at the target, same sha256), or why it failed. With the
    sha256 the record keeps (``recorded``), a source that differs from it is not copied, and
    a target that matches it is never replaced: the record says which bytes are right."""
    try:
        digest = _sha256(source, name)
    except FileNotFoundError:
        # Copied on an earlier run and removed from the source since: nothing to compare with.
        return "present" if target.exists(name) else "missing at the source"
    if recorded and digest != recorded:
        return "the source differs from the sha256 its record keeps; not copied"
    if target.exists(name):
        if _sha256(target, name) == digest:
            return "present"
        target.delete(name)  # an interrupted or stale copy: the source's (as recorded) replaces it
    with source.open(name, "rb") as stored:
        saved = target.save(name, stored)
    if saved != name:  # never under another key: the records name this one
        target.delete(saved)
        return f"the target stored it as {saved}"
    if _sha256(target, name) != digest:
        target.delete(name)
        return "sha256 of the copy differs from the source's; the copy was removed"
    return "copied"
