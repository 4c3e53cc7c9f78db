"""The dashboard: one page per role, wiring the cases and negotiations selectors. A fixed
number of queries whatever the data (tested), and the reports part is cached."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.views.generic import TemplateView

from cases.models import CaseStatus
from cases.permissions import can
from cases.selectors.case import follow_ups_due, my_drafts, recently_decided, with_readiness
from cases.web import PracticeMixin
from core.access import phi_read, phi_read_cases
from core.auth import signed_in_user
from core.queries import fetch_together
from negotiations.selectors.alerts import notice_lines
from negotiations.selectors.contacts import reviews_to_attend, with_review_state
from negotiations.selectors.reminders import unread_notifications
from negotiations.selectors.reports import (
    BOARD_STATUSES,
    board_column,
    negotiation_board,
    reports_summary,
)
from negotiations.selectors.utilization import utilization_alerts, utilization_notices

BAR_HEIGHT = 22


def status_chart(by_status: dict[str, int]) -> dict[str, Any]:
    """Horizontal bars as SVG geometry (attributes, not inline styles: the CSP allows no
    inline styles)."""
    peak = max(by_status.values(), default=0) or 1
    bars = []
    for i, (status, label) in enumerate(CaseStatus.choices):
        n = by_status.get(status, 0)
        bars.append(
            {
                "label": label,
                "value": n,
                "y": i * (BAR_HEIGHT + 8),
                "width": round(240 * n / peak, 1),
                "status": status,
            }
        )
    return {"bars": bars, "height": len(bars) * (BAR_HEIGHT + 8), "bar_height": BAR_HEIGHT}


def days_label(days: Decimal | float | None) -> str:
    """A median in days as people say it: "under a day" (decided the day it was sent),
    "1 day", "12 days", "4.5 days"; "—" when there is none."""
    if days is None:
        return "—"
    value = Decimal(str(days))
    if value < 1:
        return "under a day"
    text = f"{value.quantize(Decimal('0.1')).normalize():f}"
    return "1 day" if text == "1" else f"{text} days"


def insurer_chart(insurers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    rows = []
    peak_days = max((float(r["median_days_to_decision"] or 0) for r in insurers), default=0) or 1
    for i, r in enumerate(insurers[:12]):
        rate = float(r["approval_rate"] or 0)
        days = float(r["median_days_to_decision"] or 0)
        rows.append(
            {
                **r,
                "y": i * (BAR_HEIGHT * 2 + 14),
                "rate_width": round(190 * rate / 100, 1),
                "days_width": round(190 * days / peak_days, 1),
                "days_label": days_label(r["median_days_to_decision"]),
            }
        )
    return {"rows": rows, "height": max(len(rows), 1) * (BAR_HEIGHT * 2 + 14)}


def appeal_rows(report: Mapping[str, Any], limit: int = 12) -> list[dict[str, Any]]:
    """Appeals by outcome per insurer, beside each insurer's approval rate (None when it has
    no decided case): the insurers with the most appeals filed first."""
    approval = {r["insurer"]: r["approval_rate"] for r in report["insurers"]}
    rows = sorted(report["appeals_by_insurer"], key=lambda r: (-r["filed"], r["insurer_name"]))
    return [{**r, "approval_rate": approval.get(r["insurer"])} for r in rows[:limit]]


# Every code and condition shows (each condition once): up to this many, the newest first.
ALERTS = 20
REVIEWS = 10


class DashboardView(PracticeMixin, TemplateView):
    """Its case lists are read in one statement, and its notices in another (fetch_together);
    the rest is the drafts' readiness and, for billing, the cached reports summary."""

    template_name = "dashboard.html"
    practice_id: int  # PracticeMixin.dispatch refuses a request without one

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        user, practice_id = signed_in_user(self.request), self.practice_id
        now = timezone.now()
        today = timezone.localdate(now)
        billing = can(user, practice_id, "reports")
        case_lists = {
            "drafts": (my_drafts(user, practice_id), 10),
            "follow_ups": (follow_ups_due(user, practice_id, on=today), 15),
            "decided": (recently_decided(user, practice_id), 8),
        }
        notice_lists = {"unread": (unread_notifications(user, practice_id), 10)}
        if billing:
            for status in BOARD_STATUSES:
                case_lists[status] = (board_column(practice_id, status), 8)
            notice_lists["utilization"] = (utilization_notices(practice_id), ALERTS)
        cases = fetch_together(case_lists)
        # The case lists show each case's client: all of them are read; so do the notices
        # (their client's initials). The reviews name case numbers and insurers only.
        for rows in cases.values():
            phi_read_cases(self.request, rows)
        notices = fetch_together(notice_lists)
        for found in notices.values():
            phi_read_cases(self.request, [n.case for n in found])
        unread: list[Any] = notices["unread"]  # with the selector's annotation unread_total
        ctx.update(
            nav_section="dashboard",
            today=today,
            billing=billing,
            drafts=with_readiness(cases["drafts"], on=today),
            follow_ups=cases["follow_ups"],
            decided=cases["decided"],
            notifications=notice_lines(unread),
            # The assignee's peer-to-peer reviews to book, hold or record (one statement).
            reviews=with_review_state(reviews_to_attend(user, practice_id, now=now)[:REVIEWS], now),
            # The navigation's badge (the context processor counts only where this is absent).
            nav_unread=unread[0].unread_total if unread else 0,
        )
        if billing:
            report = reports_summary(user, practice_id=practice_id)
            achieved = report["achieved_rate_pct_of_requested"]
            ending = report["agreements_expiring_30_days"][:10]
            for row in ending:
                phi_read(
                    self.request, practice_id=row["practice"], pairs=[(row["client"], row["case"])]
                )
            ctx.update(
                board=negotiation_board(cases, report["cases_by_status"], today=today),
                report=report,
                status_chart=status_chart(report["cases_by_status"]),
                insurer_chart=insurer_chart(report["insurers"]),
                achieved=achieved,
                achieved_width=round(float(min(achieved or Decimal(0), Decimal(100))) * 2.8, 1),
                alerts=utilization_alerts(notices["utilization"], limit=ALERTS),
                # A large practice has hundreds ending in a month: show the soonest.
                ending=ending,
                ending_count=len(report["agreements_expiring_30_days"]),
                appeals=appeal_rows(report),
                appeals_count=len(report["appeals_by_insurer"]),
            )
        return ctx
