"""The workspace's denial and appeal forms (DESIGN.md rule 11): recording the insurer's denial,
filing a level of appeal, recording the decision of the pending level, and the Denial card
that holds them. The bounds are the services' and the models'; the rules (levels, deadlines,
warnings) are the selectors' (cases/selectors/appeals.py), read here as the services read them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from cases.models import (
    Appeal,
    AppealLevel,
    AppealOutcome,
    AttachmentKind,
    Case,
    CaseAction,
    CaseStatus,
    DenialCategory,
    LineOfBusiness,
    SubmissionChannel,
)
from cases.selectors.appeals import (
    MEDICAID_CONTINUATION_DAYS,
    AppealOption,
    appeal_state,
    appeal_warnings,
    appealable,
    current_appeals,
    denial_date,
    escalation_contacts,
    line_of_business,
)
from cases.services.appeals import APPEAL_ADDRESS_MAX_LENGTH, DECIDE_OUTCOMES
from cases.services.case import DECISION_REASON_MAX_LENGTH

from .common import DATE, Select

if TYPE_CHECKING:
    from cases.models import CaseAttachment


def focus_first_error(form: forms.BaseForm) -> forms.BaseForm:
    """Give the first field a refusal names (or, for a refusal of the whole form, its first
    field) ``autofocus``: the re-rendered workspace opens scrolled to the form, and a screen
    reader reads the field with its error. Not a URL fragment as well: a page whose URL
    targets an element skips autofocus (HTML's "flush autofocus candidates")."""
    if not form.errors:
        return form
    named = [name for name in form.fields if name in form.errors]
    first = named[0] if named else next(iter(form.fields))
    form.fields[first].widget.attrs["autofocus"] = True
    return form


class DenyForm(forms.Form):
    """The insurer's denial: its category, when it was received, its words and where appeals go
    (``case_deny``, which refuses a future date or one before the submission)."""

    reason_category = forms.ChoiceField(
        label="Category", choices=[("", "Choose the category"), *DenialCategory.choices],
        widget=Select,
        help_text="What the denial says, in short. A refusal to contract or to pay the rate "
        "cannot be appealed.",
    )  # fmt: skip
    received_on = forms.DateField(
        label="Received on", required=False, widget=DATE,
        help_text="The day the practice received the denial: appeal deadlines count from it. "
        "Leave empty for today.",
    )  # fmt: skip
    reason = forms.CharField(
        label="The insurer's wording", max_length=DECISION_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Give the insurer's wording; it goes on the case's record."},
        help_text="As the denial letter puts it: the appeal letter quotes it.",
    )  # fmt: skip
    appeal_address = forms.CharField(
        label="Where the denial says to send appeals", required=False,
        max_length=APPEAL_ADDRESS_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The address, fax or portal named on the denial, if it names one.",
    )  # fmt: skip


class LevelField(forms.ChoiceField):
    """Offers the levels that may be filed now and accepts any level, so that the service says
    why another one may not be filed (used already: 409 ``appeal_level_used``; not a level
    of the client's coverage)."""

    def valid_value(self, value: Any) -> bool:
        return value in AppealLevel.values


def option_label(option: AppealOption) -> str:
    optional = " (optional)" if option.optional else ""
    return f"{option.label}{optional}, due {date_format(option.due_on, 'M j, Y')}"


class AppealForm(forms.Form):
    """A level of appeal (``appeal_file``). ``options``: the levels that may be filed now."""

    level = LevelField(label="Level", widget=Select)
    filed_on = forms.DateField(
        label="Filed on", required=False, widget=DATE, help_text="Leave empty for today."
    )
    channel = forms.ChoiceField(
        label="Sent by", required=False, choices=[("", "Not recorded"), *SubmissionChannel.choices],
        widget=Select,
    )  # fmt: skip
    reference = forms.CharField(
        label="Insurer's appeal reference", required=False,
        max_length=Appeal._meta.get_field("reference").max_length,
    )  # fmt: skip
    expedited = forms.BooleanField(
        label="Expedited", required=False, help_text="Urgent care: decided within 72 hours."
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, options: list[AppealOption], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["level"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(o.level, option_label(o)) for o in options]


# What the decide form calls each outcome it records.
DECIDE_LABELS = {
    AppealOutcome.UPHELD: "The insurer upheld its denial",
    AppealOutcome.WITHDRAWN: "We withdrew this appeal",
}


class DecideForm(forms.Form):
    """The pending level's decision (``appeal_decide``): upheld, or withdrawn by the practice.
    An overturned denial is an approval or an insurer's offer (the negotiation panel)."""

    outcome = forms.ChoiceField(
        label="Outcome", widget=Select,
        choices=[("", "Choose the outcome"),
                 *((o.value, DECIDE_LABELS[o]) for o in DECIDE_OUTCOMES)],
    )  # fmt: skip
    decided_on = forms.DateField(
        label="Decided on", required=False, widget=DATE, help_text="Leave empty for today."
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))


def denial_panel(
    case: Case,
    *,
    actions: list[str],
    attachments: list[CaseAttachment],
    appeal_form: AppealForm | None = None,
    decide_form: DecideForm | None = None,
    decide_appeal: int | None = None,
) -> dict[str, Any] | None:
    """The Denial card of a denied or appealed case (or one whose denial was overturned): the
    denial, the deadline and the levels that may be filed, the levels filed, and for the
    billing role the forms to file the next level and to record the pending one's decision.
    ``appeal_form`` and ``decide_form`` come back refused, with what was typed. One query for
    the levels, two for the policy of a denied case, however many levels."""
    if case.status not in (CaseStatus.DENIED, CaseStatus.APPEALED) and not case.denial_category:
        return None
    today = timezone.localdate()
    appeals = list(case.appeals.all())
    denied = case.status == CaseStatus.DENIED
    # The deadlines the service files against (the policy may give the first level its days).
    options = appeal_state(case).options
    nearest = min(options, key=lambda o: o.due_on, default=None)
    pending = next((a for a in appeals if a.is_pending), None)
    received = denial_date(case)
    has_representative = any(
        a.kind == AttachmentKind.AUTHORIZED_REPRESENTATIVE for a in attachments
    )
    warnings = []
    if options:
        first = options[0]
        checks = appeal_warnings(
            case, level=first.level, filed_on=today, due=first.due_on,
            has_representative=has_representative,
        )  # fmt: skip
        warnings = [c.detail for c in checks if not c.ok and c.code != "continuation_of_benefits"]
    if appeal_form is None and options and CaseAction.APPEAL in actions:
        appeal_form = AppealForm(
            prefix="appeal", options=options, initial={"level": options[0].level, "filed_on": today}
        )
    if decide_form is None and pending is not None and CaseAction.UPHOLD in actions:
        decide_form = DecideForm(prefix="decide", initial={"decided_on": today})
    # Benefits continue during a Medicaid plan appeal filed within days of the denial.
    medicaid_first = (
        denied
        and not current_appeals(case, appeals)
        and line_of_business(case) == LineOfBusiness.MEDICAID
    )
    return {
        "case": case,
        # Denied or appealed: the card leads the workspace; after it, it is history.
        "active": case.status in (CaseStatus.DENIED, CaseStatus.APPEALED),
        "overturned": any(a.outcome == AppealOutcome.OVERTURNED for a in appeals),
        "appealable": appealable(case),
        "received_on": received,
        "appeals": appeals,
        "options": options,
        "nearest": nearest,
        "overdue_days": -nearest.days_left if nearest else 0,
        "continuation_by": received + dt.timedelta(days=MEDICAID_CONTINUATION_DAYS)
        if medicaid_first and received
        else None,
        "continuation_days": MEDICAID_CONTINUATION_DAYS,
        "escalations": [] if appealable(case) else escalation_contacts(case),
        "warnings": warnings,
        "appeal_form": appeal_form,
        "decide_form": decide_form,
        "decide_appeal": decide_appeal or (pending.pk if pending else None),
        "pending": pending,
        "may_appeal": CaseAction.APPEAL in actions,
    }
