"""Reference data as a practice reads it: the insurer directory, the practice's policies and
the one in force (the one rule for "in force"), and its SCA contacts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.models import Case, CaseStatus, ContactPurpose, Insurer, InsurerContact, RatePolicy

from .tenancy import practice_ids_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def insurers_active() -> QuerySet[Insurer]:
    return Insurer.objects.filter(is_active=True)


def in_force_on(policies: QuerySet[RatePolicy], on: dt.date) -> QuerySet[RatePolicy]:
    """The policies in force on ``on``: from ``effective_from``, through ``effective_to`` when
    it is set. The one rule for "in force"; every reader of it comes through here."""
    return policies.filter(effective_from__lte=on).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on)
    )


def policies_on(on: dt.date, *, practice_id: int) -> QuerySet[RatePolicy]:
    """The practice's policies in force on ``on`` (``in_force_on``), the latest start first.
    Policies belong to a practice, so there is no reading them without one."""
    return in_force_on(RatePolicy.objects.filter(practice_id=practice_id), on).order_by(
        "-effective_from"
    )


def policy_in_force(
    *, practice_id: int, insurer_id: int, line_of_business: str, on: dt.date
) -> RatePolicy | None:
    return (
        policies_on(on, practice_id=practice_id)
        .filter(insurer_id=insurer_id, line_of_business=line_of_business)
        .prefetch_related("rates")
        .first()
    )


def insurer_policies(
    *, practice_id: int, insurer: Insurer, line: str, on: dt.date
) -> tuple[list[RatePolicy], RatePolicy | None]:
    """The practice's policies for the insurer, each with its ``status`` on ``on`` ("in force",
    "future", "past"), and the one in force on ``on`` for the line of business."""
    in_force_ids = {p.pk for p in policies_on(on, practice_id=practice_id).filter(insurer=insurer)}
    status = models.Case(
        models.When(pk__in=in_force_ids, then=models.Value("in force")),
        models.When(effective_from__gt=on, then=models.Value("future")),
        default=models.Value("past"),
        output_field=models.CharField(),
    )
    policies: list[RatePolicy] = list(
        RatePolicy.objects.filter(practice_id=practice_id, insurer=insurer)
        .annotate(status=status)
        .order_by("line_of_business", "-effective_from")
    )
    in_force = policy_in_force(
        practice_id=practice_id, insurer_id=insurer.pk, line_of_business=line, on=on
    )
    current = next((p for p in policies if in_force and p.pk == in_force.pk), None)
    return policies, current


PolicyKey = tuple[int, int, str]  # (practice id, insurer id, line of business)


def policies_in_force(keys: Iterable[PolicyKey], on: dt.date) -> dict[PolicyKey, RatePolicy]:
    """The policy in force per (practice, insurer, line of business), in one query (with
    their rates)."""
    keys = set(keys)
    if not keys:
        return {}
    wanted = Q()
    for practice_id, insurer_id, line in keys:
        wanted |= Q(practice_id=practice_id, insurer_id=insurer_id, line_of_business=line)
    rows = (
        in_force_on(RatePolicy.objects.filter(wanted), on)
        .prefetch_related("rates")
        .order_by("-effective_from")
    )
    policies: dict[PolicyKey, RatePolicy] = {}
    for policy in rows:
        policies.setdefault(
            (policy.practice_id, policy.insurer_id, policy.line_of_business), policy
        )
    return policies


def policy_key(case: Case) -> PolicyKey:
    """Which practice's policy a case reads: its own practice, its insurer, and the line of
    business of the client's coverage."""
    return (case.practice_id, case.insurer_id, case.client.line_of_business)


def case_policy(case: Case, *, on: dt.date | None = None) -> RatePolicy | None:
    """The policy a case works under: the one recorded when it was submitted; before that
    (a draft), its practice's policy in force on ``on`` (default today). A case submitted
    when no policy was on file reads the one in force on its submission date, if one has
    been entered since."""
    if case.rate_policy_id is not None:
        return RatePolicy.objects.prefetch_related("rates").get(pk=case.rate_policy_id)
    if case.submitted_at is not None:
        on = timezone.localdate(case.submitted_at)
    practice_id, insurer_id, line = policy_key(case)
    return policy_in_force(
        practice_id=practice_id,
        insurer_id=insurer_id,
        line_of_business=line,
        on=on or timezone.localdate(),
    )


def rate_policies_visible_to(user: User | AnonymousUser) -> QuerySet[RatePolicy]:
    return RatePolicy.objects.filter(practice_id__in=practice_ids_for(user)).select_related(
        "insurer", "practice"
    )


def insurer_contacts_visible_to(user: User | AnonymousUser) -> QuerySet[InsurerContact]:
    return InsurerContact.objects.filter(practice_id__in=practice_ids_for(user)).select_related(
        "insurer"
    )


@dataclass(frozen=True)
class ContactDetails:
    """Where to send an insurer's SCA mail for one practice: each field is the practice's own
    (``InsurerContact``) when it filled it in, else the directory's default."""

    department: str
    organization: str
    address: str
    fax: str
    email: str
    phone: str
    portal_url: str
    notes: str
    own: frozenset[str]  # the fields that came from the practice's own contact


def insurer_contact_for(
    *, practice_id: int, insurer: Insurer, purpose: str = ContactPurpose.SCA_REQUEST
) -> ContactDetails:
    own = InsurerContact.objects.filter(
        practice_id=practice_id, insurer_id=insurer.pk, purpose=purpose
    ).first()
    directory = {
        "department": "Single Case Agreement Department"
        if purpose == ContactPurpose.SCA_REQUEST
        else "Appeals Department",
        "address": insurer.sca_address,
        "fax": insurer.sca_fax,
        "email": insurer.sca_email,
        "phone": insurer.sca_phone,
        "portal_url": insurer.portal_url,
        "notes": "",
    }
    values, mine = {}, set()
    for name, default in directory.items():
        value = getattr(own, name, "") if own is not None else ""
        if value:
            mine.add(name)
        values[name] = value or default
    return ContactDetails(organization=insurer.behavioral_health_org, own=frozenset(mine), **values)


def case_contact(case: Case) -> ContactDetails:
    """Where the case goes at the insurer now: its SCA contact; its appeals contact once the
    case is denied or appealed, at the address the denial named when it named one (the
    packet's cover sheet, the appeal letter and the sendings' addresses agree)."""
    appealing = case.status in (CaseStatus.DENIED, CaseStatus.APPEALED)
    purpose = ContactPurpose.APPEALS if appealing else ContactPurpose.SCA_REQUEST
    contact = insurer_contact_for(
        practice_id=case.practice_id, insurer=case.insurer, purpose=purpose
    )
    if appealing and case.denial_appeal_address.strip():
        contact = replace(
            contact, address=case.denial_appeal_address.strip(), own=contact.own | {"address"}
        )
    return contact
