"""The access log: who read patient data, written once per request and practice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from cases.models import AccessAction, AccessLog, AccessLogSubject

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from core.access import PracticeRead

USER_AGENT_MAX = 300


@transaction.atomic
def access_log_write(
    *,
    user: User,
    reads: dict[int | None, PracticeRead],
    route: str,
    method: str,
    ip: str | None,
    user_agent: str,
) -> list[AccessLog]:
    """One entry per practice read, with a subject row per (client, case) the answer carried;
    all or nothing. A single-subject read also names its client and case on the entry."""
    entries = []
    subjects = []
    for practice_id, read in reads.items():
        single = next(iter(read.pairs)) if len(read.pairs) == 1 else (None, None)
        object_type, object_id = read.obj if read.obj is not None else ("", None)
        entry = AccessLog.objects.create(
            user=user,
            practice_id=practice_id,
            client_id=single[0],
            case_id=single[1],
            object_type=object_type,
            object_id=object_id,
            action=AccessAction(read.action),
            route=route[:100],
            method=method[:8],
            ip=ip,
            user_agent=user_agent[:USER_AGENT_MAX],
        )
        entries.append(entry)
        subjects += [
            AccessLogSubject(entry=entry, client_id=client_id, case_id=case_id)
            for client_id, case_id in sorted(read.pairs, key=lambda p: (p[0] or 0, p[1] or 0))
        ]
    AccessLogSubject.objects.bulk_create(subjects)
    return entries
