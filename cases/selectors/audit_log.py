"""The access log as its practice's administrators read it: the entries of their practices,
filtered by who, which client or case, what, where and when, each with the client and case ids
its answer carried (one query for a page's subjects, whatever its length), and its CSV export.

Reading the log is not itself logged: it shows ids, users, routes and addresses, never a
patient's name or record, and each read of it would add an entry to what is being read."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from cases.models import AccessLog, AccessLogSubject, Membership

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# An export stops here: a longer period is exported in parts (by date).
EXPORT_LIMIT = 100_000
EXPORT_CHUNK = 2_000
CSV_HEADER = [
    "at", "user", "practice", "action", "route", "method", "ip", "user agent", "clients", "cases",
]  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class AccessLogQuery:
    """The filters both the API and the page offer; empty ones filter nothing."""

    user_id: int | None = None
    client_id: int | None = None
    case_id: int | None = None
    action: str = ""
    route: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    practice_id: int | None = None


def access_log_of(practice_ids: Iterable[int]) -> QuerySet[AccessLog]:
    """The practices' entries, newest first, with their users and subjects (prefetched: a
    page reads its subjects in one query)."""
    subjects = AccessLogSubject.objects.only("id", "entry_id", "client_id", "case_id")
    return (
        AccessLog.objects.filter(practice_id__in=list(practice_ids))
        .select_related("user")
        .prefetch_related(Prefetch("subjects", queryset=subjects))
        .order_by("-at", "-id")
    )


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the current time zone: a range on ``at`` itself uses its index,
    where ``at__date`` would convert every row."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filter_access_log(entries: QuerySet[AccessLog], query: AccessLogQuery) -> QuerySet[AccessLog]:
    """``entries`` narrowed by ``query``. A client or case matches the entries whose answer
    carried it (a list's page as well as a single read), not only single-record reads."""
    if query.user_id is not None:
        entries = entries.filter(user_id=query.user_id)
    if query.practice_id is not None:
        entries = entries.filter(practice_id=query.practice_id)
    # EXISTS, not a join: an entry with two subject rows for one client is listed once.
    if query.client_id is not None:
        entries = entries.filter(
            Exists(
                AccessLogSubject.objects.filter(entry_id=OuterRef("pk"), client_id=query.client_id)
            )
        )
    if query.case_id is not None:
        entries = entries.filter(
            Exists(AccessLogSubject.objects.filter(entry_id=OuterRef("pk"), case_id=query.case_id))
        )
    if query.action:
        entries = entries.filter(action=query.action)
    if query.route:
        entries = entries.filter(route=query.route)
    if query.date_from is not None:
        entries = entries.filter(at__gte=_day_start(query.date_from))
    if query.date_to is not None:
        entries = entries.filter(at__lt=_day_start(query.date_to + dt.timedelta(days=1)))
    return entries


def subject_ids(entry: AccessLog) -> tuple[list[int], list[int]]:
    """(client ids, case ids) the entry's answer carried, each once, in ascending order (from
    the prefetched subjects: no query)."""
    clients: set[int] = set()
    cases: set[int] = set()
    for subject in entry.subjects.all():
        if subject.client_id is not None:
            clients.add(subject.client_id)
        if subject.case_id is not None:
            cases.add(subject.case_id)
    return sorted(clients), sorted(cases)


def log_users(practice_id: int) -> QuerySet[User]:
    """Whom the page's user filter offers: the practice's members, and former members with
    entries in its log (who read what before they left is what an audit often asks)."""
    return (
        get_user_model()
        .objects.filter(
            Q(Exists(Membership.objects.filter(user_id=OuterRef("pk"), practice_id=practice_id)))
            | Q(Exists(AccessLog.objects.filter(user_id=OuterRef("pk"), practice_id=practice_id)))
        )
        .order_by("first_name", "last_name", "username")
    )


# ----------------------------------------------------------------------------- export


def _cell(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (CSV injection): the user agent is
    whatever the client sent, so a leading = + - @ tab or return is escaped."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def access_log_csv_lines(entries: QuerySet[AccessLog]) -> Iterator[str]:
    """The CSV export of ``entries`` (already scoped and filtered), header first, at most
    EXPORT_LIMIT rows, read in chunks (two queries per EXPORT_CHUNK rows). Plain values: the
    time in ISO 8601 (UTC offset included), usernames, the practice's name, the action's code,
    and the clients' and cases' ids separated by spaces."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    rows = entries.select_related("user", "practice")[:EXPORT_LIMIT]
    for entry in rows.iterator(chunk_size=EXPORT_CHUNK):
        clients, cases = subject_ids(entry)
        yield writer.writerow(
            [
                entry.at.isoformat(),
                _cell(entry.user.username),
                _cell(entry.practice.name) if entry.practice else "",
                entry.action,
                _cell(entry.route),
                _cell(entry.method),
                entry.ip or "",
                _cell(entry.user_agent),
                " ".join(map(str, clients)),
                " ".join(map(str, cases)),
            ]
        )
