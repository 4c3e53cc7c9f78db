"""Scale data for benchmarks: many practices' worth of cases in every status, with offers,
agreements, contact logs and utilization. Bulk inserts; reports how long it took.

    manage.py seed_scale --cases 100000 --practices 3 --insurers 20 --clients 20000
"""

from __future__ import annotations

import datetime as dt
import random
import time
from contextlib import contextmanager
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from billing_codes.models import BillingCode
from cases.models import (
    Appeal,
    Case,
    Client,
    Insurer,
    Membership,
    NetworkSearch,
    PolicyRate,
    Practice,
    Provider,
    RatePolicy,
    RequestedService,
)
from cases.validators import make_npi
from negotiations.models import (
    Agreement,
    AgreementLine,
    ContactLog,
    Offer,
    OfferLine,
    UtilizationEntry,
)

STATUS_WEIGHTS = {
    "draft": 10,
    "submitted": 15,
    "in_negotiation": 15,
    "approved": 25,
    "denied": 7,
    "appealed": 3,
    "declined": 5,
    "withdrawn": 5,
    "expired": 15,
}
REASONS = ["network_inadequacy"] * 6 + ["continuity_of_care"] * 2 + ["provider_transition"]
REASONS += ["geographic_access"]
KINDS = ["negotiable", "highest_network_rate", "percent_of_reference"]
FIRST = ["Ava", "Liam", "Mia", "Noah", "Emma", "Elijah",
         "Olivia", "Lucas", "Sophia", "Mason", "Isla", "Leo"]  # fmt: skip
LAST = ["Martinez", "Johnson", "Thompson", "Williams", "Brown",
        "Davis", "Garcia", "Miller", "Wilson", "Moore"]  # fmt: skip
BATCH = 5000


@contextmanager
def explicit_timestamps(*fields):
    """Let bulk inserts carry their own created_at (auto_now_add would overwrite it)."""
    saved = [(f, f.auto_now_add, f.auto_now) for f in fields]
    for f in fields:
        f.auto_now_add = f.auto_now = False
    try:
        yield
    finally:
        for f, add, now in saved:
            f.auto_now_add, f.auto_now = add, now


class Command(BaseCommand):
    help = "Create scale data for benchmarks (bulk inserts). Not for production databases."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--practices", type=int, default=3)
        parser.add_argument("--insurers", type=int, default=20)
        parser.add_argument("--clients", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, **opts):
        if Practice.objects.filter(name__startswith="Scale Practice").exists():
            raise CommandError("Scale data is already loaded (practices 'Scale Practice N').")
        started = time.monotonic()
        rng = random.Random(opts["seed"])
        call_command("load_billing_codes", stdout=self.stdout)
        with transaction.atomic():
            counts = self.seed(rng, opts)
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            with (
                connection.cursor() as cursor
            ):  # statistics and the visibility map, as autovacuum would
                cursor.execute("VACUUM ANALYZE")
        elapsed = time.monotonic() - started
        for label, n in counts.items():
            self.stdout.write(f"  {label:<18} {n:>9,}")
        self.stdout.write(f"seed_scale finished in {elapsed:.1f} s")

    def seed(self, rng: random.Random, opts) -> dict[str, int]:
        today = timezone.localdate()
        now = timezone.now()
        codes = list(BillingCode.objects.filter(is_aba=True, system="CPT").order_by("code")[:8])
        User = get_user_model()
        password = make_password("demo12345")

        practices = Practice.objects.bulk_create(
            [
                Practice(
                    name=f"Scale Practice {i + 1}", npi=make_npi(f"{190000000 + i}"), state="NY"
                )
                for i in range(opts["practices"])
            ]
        )
        users = {}
        for p_i, practice in enumerate(practices):
            for role in ("staff", "billing", "admin"):
                user = User.objects.create(username=f"scale_{role}_{p_i + 1}", password=password)
                Membership.objects.create(user=user, practice=practice, role=role)
                users[(practice.pk, role)] = user

        insurers = Insurer.objects.bulk_create(
            [
                Insurer(name=f"Scale Insurer {i + 1:02d}", payer_id=f"SC{i:03d}")
                for i in range(opts["insurers"])
            ]
        )
        # Each practice its own policy per insurer (the kinds rotate so that practices differ).
        policies = RatePolicy.objects.bulk_create(
            [
                RatePolicy(
                    practice=practice,
                    insurer=ins,
                    effective_from=today - dt.timedelta(days=1500),
                    kind=KINDS[(i + p_i) % 3],
                    percent=Decimal("90.00")
                    if KINDS[(i + p_i) % 3] == "percent_of_reference"
                    else None,
                    reference_schedule="medicare"
                    if KINDS[(i + p_i) % 3] == "percent_of_reference"
                    else "",
                    min_network_attempts=2 + i % 2,
                    max_agreement_days=365,
                    expected_response_days=14,
                )
                for p_i, practice in enumerate(practices)
                for i, ins in enumerate(insurers)
            ]
        )
        policy_of = {(pol.practice_id, pol.insurer_id): pol.pk for pol in policies}
        PolicyRate.objects.bulk_create(
            [
                PolicyRate(
                    policy=pol,
                    billing_code=c,
                    highest_network_rate=Decimal(rng.randint(1400, 3200)) / 100,
                    reference_rate=Decimal(rng.randint(1200, 3000)) / 100,
                )
                for pol in policies
                for c in codes
            ]
        )
        providers = Provider.objects.bulk_create(
            [
                Provider(
                    practice=p,
                    first_name="Morgan",
                    last_name=f"Provider{i}",
                    credential="BCBA",
                    npi=make_npi(f"{200000000 + p.pk * 1000 + i}"),
                )
                for p in practices
                for i in range(10)
            ]
        )
        clients = Client.objects.bulk_create(
            [
                Client(
                    practice=practices[i % len(practices)],
                    first_name=rng.choice(FIRST),
                    last_name=f"{rng.choice(LAST)}{i}",
                    date_of_birth=dt.date(2012 + i % 10, 1 + i % 12, 1 + i % 28),
                    insurer=insurers[i % len(insurers)],
                    member_id=f"MB{i:08d}",
                    diagnosis_codes=["F84.0"],
                )
                for i in range(opts["clients"])
            ],
            batch_size=BATCH,
        )
        providers_by_practice = {
            p.pk: [pv for pv in providers if pv.practice_id == p.pk] for p in practices
        }
        statuses = rng.choices(
            list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()), k=opts["cases"]
        )

        case_fields = [Case._meta.get_field("created_at"), Case._meta.get_field("updated_at")]
        cases = []
        for i, status in enumerate(statuses):
            client = clients[i % len(clients)]
            insurer_id = client.insurer_id
            assert insurer_id is not None  # seeded: always an insurer
            created = now - dt.timedelta(minutes=(opts["cases"] - i) * 15)  # ~3 years, oldest first
            submitted = created + dt.timedelta(days=2) if status not in ("draft",) else None
            if status == "withdrawn" and i % 2:
                submitted = None
            decided = (
                submitted + dt.timedelta(days=rng.randint(5, 60))
                if submitted
                and status in ("approved", "denied", "appealed", "declined", "expired", "withdrawn")
                else None
            )
            start = (created + dt.timedelta(days=30)).date()
            cases.append(
                Case(
                    practice_id=client.practice_id,
                    client=client,
                    insurer_id=insurer_id,
                    provider=rng.choice(providers_by_practice[client.practice_id]),
                    reason=rng.choice(REASONS),
                    initiated_by=rng.choice(["patient", "practice"]),
                    service_type="aba",
                    planned_start_date=start,
                    requested_start=start,
                    requested_end=start + dt.timedelta(days=179),
                    sessions_requested=72,
                    sessions_remaining=20,
                    clinical_justification="Needs intensive ABA; no network opening.",
                    status=status,
                    denial_category="not_medically_necessary"
                    if decided and "den" in status
                    else "",
                    submitted_at=submitted,
                    decided_at=decided,
                    submission_channel="fax" if submitted else "",
                    rate_policy_id=policy_of[(client.practice_id, insurer_id)]
                    if submitted
                    else None,
                    assigned_to=users[(client.practice_id, "staff" if i % 2 else "billing")],
                    follow_up_on=today + dt.timedelta(days=rng.randint(-20, 30))
                    if status in ("submitted", "in_negotiation")
                    else None,
                    created_at=created,
                    updated_at=decided or submitted or created,
                )
            )
        with explicit_timestamps(*case_fields):
            cases = Case.objects.bulk_create(cases, batch_size=BATCH)

        services = []
        searches = []
        for case in cases:
            for c in rng.sample(codes[:6], 2):
                services.append(
                    RequestedService(
                        case=case,
                        billing_code=c,
                        units=rng.choice([96, 240, 480]),
                        requested_rate=Decimal(rng.randint(1500, 3500)) / 100,
                    )
                )
            if case.reason == "network_inadequacy":
                for n in range(3):
                    searches.append(
                        NetworkSearch(
                            case=case,
                            provider_name=f"Network Clinic {n}",
                            contacted_on=case.created_at.date(),
                            method="phone",
                            outcome=rng.choice(["not_accepting", "no_response", "too_far"]),
                        )
                    )
        RequestedService.objects.bulk_create(services, batch_size=BATCH)
        NetworkSearch.objects.bulk_create(searches, batch_size=BATCH)

        by_case: dict[int, list[RequestedService]] = {}
        for s in services:
            by_case.setdefault(s.case_id, []).append(s)
        offers, offer_lines, agreements, contacts = [], [], [], []
        negotiated = [
            c for c in cases if c.status in ("in_negotiation", "approved", "declined", "expired")
        ]
        with explicit_timestamps(Offer._meta.get_field("created_at")):
            for case in negotiated:
                offers.append(
                    Offer(
                        case=case,
                        party="insurer",
                        received_on=(case.submitted_at or now).date() + dt.timedelta(days=7),
                        channel="phone",
                        status="open"
                        if case.status == "in_negotiation"
                        else ("accepted" if case.status in ("approved", "expired") else "rejected"),
                        created_at=(case.submitted_at or now) + dt.timedelta(days=7),
                    )
                )
            offers = Offer.objects.bulk_create(offers, batch_size=BATCH)
        for offer in offers:
            for s in by_case[offer.case_id]:
                offer_lines.append(
                    OfferLine(
                        offer=offer,
                        billing_code_id=s.billing_code_id,
                        rate=(s.requested_rate or Decimal(0)) * Decimal("0.85"),
                        units=s.units,
                    )
                )
        OfferLine.objects.bulk_create(offer_lines, batch_size=BATCH)
        for case in cases:
            if case.status in ("approved", "expired"):
                assert case.requested_start is not None  # seeded cases have their dates
                start = case.requested_start
                if case.status == "approved":
                    start = today - dt.timedelta(days=rng.randint(0, 170))
                agreements.append(
                    Agreement(
                        case=case,
                        authorization_number=f"AUTH{case.pk}",
                        start_date=start,
                        end_date=start + dt.timedelta(days=179),
                        sessions_authorized=72,
                        flags={"missing_codes": [], "below_floor": []},
                    )
                )
            if case.submitted_at:
                contacts.append(
                    ContactLog(
                        case=case,
                        at=case.submitted_at + dt.timedelta(days=3),
                        direction="outbound",
                        channel="phone",
                        summary="Called the SCA unit; under review.",
                    )
                )
        agreements = Agreement.objects.bulk_create(agreements, batch_size=BATCH)
        appeals = [
            Appeal(case=c, denied_at=c.decided_at, level="internal_1", filed_on=c.decided_at.date())
            for c in cases
            if c.status == "appealed" and c.decided_at
        ]
        Appeal.objects.bulk_create(appeals, batch_size=BATCH)
        ContactLog.objects.bulk_create(contacts, batch_size=BATCH)
        lines, usage = [], []
        for agreement in agreements:
            for s in by_case[agreement.case_id]:
                lines.append(
                    AgreementLine(
                        agreement=agreement,
                        billing_code_id=s.billing_code_id,
                        rate=(s.requested_rate or Decimal(0)) * Decimal("0.85"),
                        units_authorized=s.units,
                    )
                )
                for d in range(3):
                    usage.append(
                        UtilizationEntry(
                            agreement=agreement,
                            billing_code_id=s.billing_code_id,
                            units=8,
                            service_date=agreement.start_date + dt.timedelta(days=d * 7),
                        )
                    )
        AgreementLine.objects.bulk_create(lines, batch_size=BATCH)
        UtilizationEntry.objects.bulk_create(usage, batch_size=BATCH)
        return {
            "practices": len(practices),
            "insurers": len(insurers),
            "clients": len(clients),
            "cases": len(cases),
            "services": len(services),
            "network searches": len(searches),
            "offers": len(offers),
            "agreements": len(agreements),
            "appeals": len(appeals),
            "contacts": len(contacts),
            "utilization": len(usage),
        }
