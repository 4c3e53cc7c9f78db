"""The audit's reads: who administers which practice, who wrote a change, the change history
of each audited kind of record scoped to the reader, and a policy's history as its page shows
it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import OuterRef, Q, QuerySet, Subquery

from billing_codes.models import BillingCode, Modifier, code_label
from cases.models import (
    Case,
    Client,
    Insurer,
    InsurerContact,
    PolicyRate,
    Provider,
    RatePolicy,
    Role,
)
from cases.permissions import user_roles

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def admin_practice_ids(user: User | AnonymousUser) -> list[int]:
    return [pid for pid, role in user_roles(user).items() if role == Role.ADMIN]


def author_name(user: User | None) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.username


# ----------------------------------------------------------------------------- change history

# model name -> (model, how its history rows reach the practice, how they reach the client).
# OPERATORS as the practice path: shared data, whose history only the site's operators read.
OPERATORS = "operators"
# Any: the models' ``history`` managers (and so their rows) are added by simple_history at run
# time, which ships no types.
AUDITED: dict[str, tuple[Any, str | None, str | None]] = {
    "case": (Case, "practice_id", "client_id"),
    "client": (Client, "practice_id", "id"),
    "provider": (Provider, "practice_id", None),
    "rate_policy": (RatePolicy, "practice_id", None),
    # A rate's rows reach the practice through its policy's history (deleted policies too).
    "policy_rate": (PolicyRate, "policy_id", None),
    "insurer_contact": (InsurerContact, "practice_id", None),
    "insurer": (Insurer, OPERATORS, None),
    "billing_code": (BillingCode, OPERATORS, None),
    "modifier": (Modifier, OPERATORS, None),
}


def register_audited(
    name: str, model: Any, practice_path: str | None, client_path: str | None
) -> None:
    """negotiations adds offers and agreements at start-up (cases never imports it)."""
    AUDITED[name] = (model, practice_path, client_path)


def history_rows(name: str, *, practice_ids: list[int]) -> QuerySet[Any]:
    """The history rows of the audited kind ``name``, newest first: the practices' own rows
    (``practice_ids``), or, for shared data (``OPERATORS``), every row; the caller has checked
    that the reader may see them."""
    model, practice_path, _client_path = AUDITED[name]
    rows: QuerySet[Any] = model.history.select_related("history_user").order_by(
        "-history_date", "-history_id"
    )
    if practice_path == OPERATORS:
        return rows
    if practice_path == "policy_id":
        # The practice's policies, and those it deleted (known from their history).
        live = RatePolicy.objects.filter(practice_id__in=practice_ids).values("id")
        deleted = RatePolicy.history.filter(practice_id__in=practice_ids).values("id")
        return rows.filter(Q(policy_id__in=live) | Q(policy_id__in=deleted))
    return rows.filter(**{f"{practice_path}__in": practice_ids})


Pair = tuple[int | None, int | None]  # (client id, case id), as the access log notes them


def history_subjects(name: str, records: list[Any]) -> dict[int, set[Pair]]:
    """{practice id: the (client, case) pairs} a page of history rows of ``name`` carries, for
    the access log; empty for a kind without a client. Three queries whatever the page's
    length. A client or case deleted since is left out (the log's subjects reference live
    rows; the entry itself still says the history was read)."""
    model, practice_path, client_path = AUDITED[name]
    if not client_path or not records or practice_path in (None, OPERATORS):
        return {}
    # The case a row is about: the case itself, or the case an offer or agreement belongs to.
    case_path = "id" if model is Case else ("case_id" if client_path.startswith("case__") else "")
    paths = [practice_path, client_path] + ([case_path] if case_path else [])
    rows = list(
        model.history.filter(history_id__in=[r.history_id for r in records]).values_list(*paths)
    )
    live_clients = set(
        Client.objects.filter(id__in={r[1] for r in rows if r[1]}).values_list("id", flat=True)
    )
    live_cases: set[int] = set()
    if case_path:
        case_ids = {r[2] for r in rows if r[2]}
        live_cases = set(Case.objects.filter(id__in=case_ids).values_list("id", flat=True))
    subjects: dict[int, set[Pair]] = {}
    for row in rows:
        practice_id, client_id = row[0], row[1]
        case_id = row[2] if case_path and row[2] in live_cases else None
        if practice_id is None or client_id not in live_clients:
            continue
        subjects.setdefault(practice_id, set()).add((client_id, case_id))
    return subjects


def previous_records(model: Any, records: list[Any]) -> dict[int, Any]:
    """{history_id: the version before it} for the changed rows of one page, in two queries
    whatever the page's length (simple-history's ``prev_record`` costs one per row)."""
    changed = [r for r in records if r.history_type == "~"]
    if not changed:
        return {}
    before = (
        model.history.filter(id=OuterRef("id"), history_date__lt=OuterRef("history_date"))
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    prev_ids = dict(
        model.history.filter(history_id__in=[r.history_id for r in changed])
        .annotate(prev_id=Subquery(before))
        .values_list("history_id", "prev_id")
    )
    previous = model.history.in_bulk([p for p in prev_ids.values() if p is not None])
    return {hid: previous[pid] for hid, pid in prev_ids.items() if pid in previous}


# ----------------------------------------------------------------------------- a policy's history

HIDDEN_HISTORY_FIELDS = ["updated_at", "created_at"]
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}

Change = tuple[str, str, str]  # (field label, old value, new value), as the page shows them


class FieldChange(Protocol):
    field: str
    old: object
    new: object


class Delta(Protocol):
    changes: list[FieldChange]


class HistoryRow(Protocol):
    """What is read of a django-simple-history row (its models are built at run time and the
    library ships no types)."""

    id: int
    history_id: int
    history_date: dt.datetime
    history_type: str
    history_user: User | None

    def diff_against(self, old: HistoryRow, *, excluded_fields: list[str]) -> Delta: ...


class HistoryEntry(TypedDict):
    at: dt.datetime
    order: int
    user: str | None
    reason: str
    action: str
    what: str
    changes: list[Change]
    record: HistoryRow


def _show(field: models.Field[object, object] | None, value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _field(model: type[models.Model], name: str) -> models.Field[object, object] | None:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def _label(model: type[models.Model], name: str) -> str:
    field = _field(model, name)
    return str(field.verbose_name) if field is not None else name.replace("_", " ")


def history_entries(
    records: Iterable[HistoryRow],
    model: type[models.Model],
    what: Callable[[HistoryRow], str],
) -> list[HistoryEntry]:
    """One entry per history row, diffed against the previous row of the same object in
    memory (no query per row)."""
    previous: dict[int, HistoryRow] = {}
    entries: list[HistoryEntry] = []
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        before = previous.get(record.id)
        if record.history_type == "~" and before is not None:
            delta = record.diff_against(before, excluded_fields=HIDDEN_HISTORY_FIELDS)
            changes = [
                (
                    _label(model, c.field),
                    _show(_field(model, c.field), c.old),
                    _show(_field(model, c.field), c.new),
                )
                for c in delta.changes
            ]
        else:
            changes = []
        previous[record.id] = record
        entries.append(
            {
                "at": record.history_date,
                "order": record.history_id,
                "user": author_name(record.history_user),
                "reason": getattr(record, "history_change_reason", None) or "",
                "action": ACTIONS[record.history_type],
                "what": what(record),
                "changes": changes,
                "record": record,
            }
        )
    return entries


def _rate_what(record: HistoryRow) -> str:
    billing_code = getattr(record, "billing_code", None)
    code = billing_code.code if billing_code else "?"
    return f"Rate {code_label(code, getattr(record, 'modifier', ''))}"


def _rate_values(record: HistoryRow) -> list[Change]:
    return [
        (_label(PolicyRate, name), "—", _show(None, getattr(record, name)))
        for name in ("highest_network_rate", "reference_rate")
    ]


def policy_history(policy: RatePolicy) -> list[HistoryEntry]:
    """The policy's changes and its rates' changes, newest first."""
    policy_rows = RatePolicy.history.filter(id=policy.pk).select_related("history_user")
    rate_rows = PolicyRate.history.filter(policy_id=policy.pk).select_related(
        "history_user", "billing_code"
    )
    entries = history_entries(policy_rows, RatePolicy, lambda r: "Policy")
    rate_entries = history_entries(rate_rows, PolicyRate, _rate_what)
    for entry in rate_entries:
        # A rate's first or last row says what it was: shown as a change from or to nothing.
        if entry["action"] == "created":
            entry["changes"] = _rate_values(entry["record"])
        elif entry["action"] == "deleted":
            entry["changes"] = [
                (label, new, old) for label, old, new in _rate_values(entry["record"])
            ]
    entries += rate_entries
    entries.sort(key=lambda e: (e["at"], e["order"]), reverse=True)
    return entries
