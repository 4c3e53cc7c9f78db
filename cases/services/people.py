"""Writes to a practice's clients and providers, and clients from a spreadsheet: read a CSV,
check every row the way ``client_create`` does, and save them all in one transaction (issue 6,
item 6)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from cases.models import Client, Insurer, Practice, Provider
from core.exceptions import conflict

from .common import Changes, apply_fields, clean_and_save, set_history_user

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class ClientData(TypedDict, total=False):
    """A client's fields a caller may set; an update names only those it changes."""

    first_name: str
    last_name: str
    date_of_birth: dt.date
    insurer: Insurer | None
    member_id: str
    line_of_business: str
    group_number: str
    plan_name: str
    subscriber_name: str
    guardian_name: str
    guardian_relationship: str
    phone: str
    email: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    zip_code: str
    diagnosis_codes: list[str]
    is_active: bool


class ProviderData(TypedDict, total=False):
    """A provider's fields a caller may set; an update names only those it changes."""

    first_name: str
    last_name: str
    credential: str
    npi: str
    license_number: str
    license_state: str
    taxonomy_code: str
    email: str
    phone: str
    is_active: bool


CLIENT_FIELDS = list(ClientData.__annotations__)
PROVIDER_FIELDS = list(ProviderData.__annotations__)


def normalize_client(client: Client) -> None:
    client.member_id = (client.member_id or "").strip()
    client.diagnosis_codes = [c.strip().upper() for c in client.diagnosis_codes or []]
    if client.insurer_id and not client.member_id:
        raise ValidationError({"member_id": "A member id is required when an insurer is set."})


def _check_insurer_active(client: Client, changed: Changes) -> None:
    # A client keeps an insurer that was archived since; it cannot be given one.
    insurer = client.insurer if "insurer" in changed else None
    if insurer is not None and not insurer.is_active:
        raise ValidationError({"insurer": f"{insurer.name} is archived in the insurer directory."})


def _check_duplicate_client(client: Client) -> None:
    """DESIGN.md rule 12: the practice's client at the same insurer with the same member id
    *and* date of birth is 409 ``duplicate_client`` (siblings often share a subscriber's
    member id, so the id alone is no duplicate). Named by id and initials only: the detail
    travels to pages and API clients. Creates in one practice wait for each other (its row
    is locked until commit), so two at once cannot both pass."""
    if not (client.insurer_id and client.member_id and client.date_of_birth):
        return
    Practice.objects.select_for_update().filter(pk=client.practice_id).first()
    existing = (
        Client.objects.filter(
            practice_id=client.practice_id,
            insurer_id=client.insurer_id,
            member_id__iexact=client.member_id,
            date_of_birth=client.date_of_birth,
        )
        .order_by("pk")
        .first()
    )
    if existing is not None:
        # The id only: naming the other client would be a read of their record.
        archived = "" if existing.is_active else " (archived)"
        raise conflict(
            "duplicate_client",
            f"Client #{existing.pk}{archived} has the same insurer, member id and date of "
            "birth. Use that client, or confirm that this is another person.",
            existing_client=existing.pk,
        )


@transaction.atomic
def client_create(
    *, actor: User, practice: Practice, data: ClientData, confirm_duplicate: bool = False
) -> Client:
    """A client of the practice. A second client with the same insurer, member id and date of
    birth needs ``confirm_duplicate``."""
    # A form's confirmation box may come inside its cleaned data (``as_data`` passes it on).
    fields = dict(data)
    confirm_duplicate = bool(fields.pop("confirm_duplicate", False)) or confirm_duplicate
    client = Client(practice=practice)
    _check_insurer_active(client, apply_fields(client, fields, CLIENT_FIELDS))
    normalize_client(client)
    if not confirm_duplicate:
        _check_duplicate_client(client)
    set_history_user(client, actor)
    clean_and_save(client)
    return client


@transaction.atomic
def client_update(*, client: Client, actor: User, data: ClientData) -> Client:
    client = Client.objects.select_for_update().get(pk=client.pk)
    changed = apply_fields(client, data, CLIENT_FIELDS)
    if changed:
        _check_insurer_active(client, changed)
        normalize_client(client)
        set_history_user(client, actor)
        clean_and_save(client)
    return client


@transaction.atomic
def provider_create(*, actor: User, practice: Practice, data: ProviderData) -> Provider:
    provider = Provider(practice=practice)
    apply_fields(provider, data, PROVIDER_FIELDS)
    set_history_user(provider, actor)
    clean_and_save(provider)
    return provider


@transaction.atomic
def provider_update(*, provider: Provider, actor: User, data: ProviderData) -> Provider:
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if apply_fields(provider, data, PROVIDER_FIELDS):
        set_history_user(provider, actor)
        clean_and_save(provider)
    return provider


# ----------------------------------------------------------------------------- CSV import

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000

REQUIRED_COLUMNS = ["first_name", "last_name", "date_of_birth"]
OPTIONAL_COLUMNS = [
    name for name in CLIENT_FIELDS if name not in REQUIRED_COLUMNS and name != "is_active"
]
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# Headers spreadsheets commonly use for the same thing.
ALIASES = {
    "dob": "date_of_birth",
    "birth_date": "date_of_birth",
    "insurer_name": "insurer",
    "insurance": "insurer",
    "address": "address_line1",
    "zip": "zip_code",
    "diagnosis": "diagnosis_codes",
    "diagnoses": "diagnosis_codes",
}
EXAMPLE_ROW = {
    "first_name": "Ava",
    "last_name": "Example",
    "date_of_birth": "2019-03-14",
    "insurer": "Evergreen Health Plan",
    "member_id": "EVG100201",
    "guardian_name": "Pat Example",
    "guardian_relationship": "parent",
    "phone": "518-555-0150",
    "state": "NY",
    "zip_code": "12207",
    "diagnosis_codes": "F84.0; F88",
}
# ISO dates, and the US style spreadsheets export.
DATE_FIELD = forms.DateField(input_formats=["%Y-%m-%d", "%m/%d/%Y"])
CODE_SPLIT = re.compile(r"[;,|\s]+")


@dataclass
class ImportRow:
    line: int
    client: Client  # unsaved
    errors: list[str] = field(default_factory=list)


@dataclass
class ClientImport:
    rows: list[ImportRow]

    @property
    def errors(self) -> list[str]:
        return [f"Line {row.line}: {e}" for row in self.rows for e in row.errors]

    @property
    def bad_rows(self) -> int:
        return sum(1 for row in self.rows if row.errors)


def decode_csv(data: bytes) -> str:
    """The upload as text with one kind of line ending, or a ValidationError saying what to
    do about it."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it into smaller "
            "files.",
            code="too_large",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            "This file is not UTF-8 text. In Excel choose Save As → “CSV UTF-8 (Comma "
            "delimited)”, then upload that file.",
            code="encoding",
        ) from None
    if "\x00" in text:
        raise ValidationError("This is not a CSV text file.", code="binary")
    return normalize_newlines(text)


def normalize_newlines(text: str) -> str:
    # Browsers re-post hidden fields with CRLF; one form makes the preview's digest stable.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _column(header: str) -> str:
    name = re.sub(r"[\s-]+", "_", (header or "").strip().lower())
    return ALIASES.get(name, name)


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """[(line number, {column: value})] for the non-blank rows; file-level problems (header,
    size) are a ValidationError listing each of them."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise ValidationError("The file is empty; the first line must be the header.")
        columns = [_column(h) for h in header]
        problems = []
        unknown = [h for h, c in zip(header, columns, strict=True) if c not in COLUMNS]
        if unknown:
            problems.append(
                f"Unknown column(s): {', '.join(unknown)}. Use the header shown on this page."
            )
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            problems.append(f"Missing required column(s): {', '.join(missing)}.")
        repeated = sorted({c for c in columns if columns.count(c) > 1 and c in COLUMNS})
        if repeated:
            problems.append(f"Column(s) listed twice: {', '.join(repeated)}.")
        if problems:
            raise ValidationError(problems)
        rows: list[tuple[int, dict[str, str]]] = []
        last_line = reader.line_num
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise ValidationError(
                    f"The file has more than {MAX_ROWS} clients; split it into smaller files."
                )
            if len(cells) > len(columns):
                values = {"__extra__": "x"}
            else:
                values = {c: v.strip() for c, v in zip(columns, cells, strict=False)}
            rows.append((line, values))
    except csv.Error as exc:
        raise ValidationError(
            f"Line {reader.line_num}: the CSV could not be read ({exc})."
        ) from None
    if not rows:
        raise ValidationError("The file has a header but no clients.")
    return rows


def _build(
    line: int, practice: Practice, values: dict[str, str], insurers: dict[str, Insurer]
) -> ImportRow:
    client = Client(practice=practice)
    errors: list[str] = []
    exclude = ["practice", "insurer"]  # both resolved here, so no query per row
    for name in COLUMNS:
        raw = values.get(name, "")
        if name == "date_of_birth":
            try:
                client.date_of_birth = DATE_FIELD.clean(raw)
            except ValidationError as exc:
                errors += [f"date_of_birth: {m}" for m in exc.messages]
                exclude.append("date_of_birth")
        elif name == "insurer":
            if raw:
                client.insurer = insurers.get(raw.casefold())
                if client.insurer is None:
                    errors.append(f"insurer: No active insurer is named “{raw}”.")
        elif name == "diagnosis_codes":
            client.diagnosis_codes = [c for c in CODE_SPLIT.split(raw) if c]
        elif name == "line_of_business":
            if raw:  # blank keeps the default (commercial)
                client.line_of_business = raw.strip().lower()
        else:
            setattr(client, name, raw)
    # The service's own rules (member id with an insurer, ...), then the model's validation.
    for check in (normalize_client, lambda c: c.full_clean(exclude=exclude)):
        try:
            check(client)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                prefix = "" if name == "__all__" else f"{name}: "
                errors += [prefix + m for m in messages if prefix + m not in errors]
    return ImportRow(line=line, client=client, errors=errors)


def client_import_preview(*, practice: Practice, text: str) -> ClientImport:
    """Every row checked, nothing saved. Two queries whatever the size of the file."""
    parsed = read_rows(text)
    insurers = {i.name.casefold(): i for i in Insurer.objects.filter(is_active=True)}
    existing = {
        (insurer_id, member_id.upper())
        for insurer_id, member_id in Client.objects.filter(practice=practice, insurer__isnull=False)
        .exclude(member_id="")
        .values_list("insurer_id", "member_id")
    }
    seen: dict[tuple[int, str], int] = {}
    rows = []
    for line, values in parsed:
        if "__extra__" in values:
            rows.append(
                ImportRow(
                    line, Client(practice=practice), ["This row has more cells than the header."]
                )
            )
            continue
        row = _build(line, practice, values, insurers)
        client = row.client
        insurer = client.insurer  # resolved by _build: no query
        if insurer is not None and client.member_id:
            key = (insurer.pk, client.member_id.upper())
            if key in existing:
                row.errors.append(
                    f"member_id: This practice already has a client with this member id at "
                    f"{insurer.name}."
                )
            elif key in seen:
                row.errors.append(
                    f"member_id: Same member id and insurer as line {seen[key]} of this file."
                )
            else:
                seen[key] = line
        rows.append(row)
    return ClientImport(rows=rows)


@transaction.atomic
def client_import(*, actor: User, practice: Practice, text: str) -> list[Client]:
    """Save every row or none: any bad row refuses the whole file, listing the lines."""
    # One import at a time per practice, so that the duplicate check holds until commit.
    Practice.objects.select_for_update().get(pk=practice.pk)
    result = client_import_preview(practice=practice, text=text)
    if result.errors:
        raise ValidationError(result.errors)
    created: list[Client] = bulk_create_with_history(
        [row.client for row in result.rows],
        Client,
        batch_size=500,
        default_user=actor if actor.is_authenticated else None,
        default_change_reason="CSV import",
    )
    return created
