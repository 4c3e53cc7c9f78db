"""Demo data: two practices, their users, providers, clients, the insurers, each practice's own
policies and contacts, and a handful of cases. Idempotent: a second run changes nothing."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from billing_codes.models import BillingCode
from cases.models import (
    Appeal,
    Client,
    Insurer,
    InsurerContact,
    Membership,
    Practice,
    Provider,
    RatePolicy,
)
from cases.services.appeals import appeal_file, case_deny
from cases.services.case import CaseData, case_create, case_withdraw
from cases.services.parts import consent_add, network_search_add, service_add
from cases.services.people import client_create, provider_create
from cases.services.reference import (
    PolicyData,
    RateRow,
    insurer_contact_create,
    insurer_create,
    rate_policy_create,
)
from cases.services.submissions import case_submit
from cases.validators import make_npi

from ._demo_data import (
    CLIENTS,
    DEMO_PASSWORD,
    INSURERS,
    PRACTICES,
    PROVIDERS,
    RATES,
    USERS,
)


class Command(BaseCommand):
    help = "Create demo practices, users, providers, clients, insurers and cases (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="run even when DEBUG is off (never in production)"
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo is for development (DEBUG on); use --force to insist.")
        call_command("load_billing_codes", stdout=self.stdout)
        with transaction.atomic():
            self.seed()
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for username, _f, _l, practice, role in USERS:
            self.stdout.write(f"  {username:<13} {role:<8} {practice}")

    def seed(self):
        User = get_user_model()
        practices = {}
        for name, fields in PRACTICES.items():
            practices[name], _ = Practice.objects.get_or_create(name=name, defaults=fields)
        users = {}
        for username, first, last, practice, role in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            Membership.objects.get_or_create(
                user=user, practice=practices[practice], defaults={"role": role}
            )
            users[username] = user
        admin = users["demo_admin"]

        for practice, first, last, credential, npi9, taxonomy in PROVIDERS:
            npi = make_npi(npi9)
            if not Provider.objects.filter(practice=practices[practice], npi=npi).exists():
                provider_create(
                    actor=admin,
                    practice=practices[practice],
                    data={
                        "first_name": first,
                        "last_name": last,
                        "credential": credential,
                        "npi": npi,
                        "license_state": practices[practice].state,
                        "license_number": f"LIC-{npi9[-4:]}",
                        "taxonomy_code": taxonomy,
                    },
                )

        insurers = {}
        for name, insurer_fields in INSURERS.items():
            insurers[name] = Insurer.objects.filter(name=name).first() or insurer_create(
                actor=admin, data={"name": name, **insurer_fields}
            )
        codes = {c.code: c for c in BillingCode.objects.filter(code__in=RATES)}
        rates: list[RateRow] = [
            {
                "billing_code": codes[code],
                "modifier": "",
                "highest_network_rate": Decimal(hn),
                "reference_rate": Decimal(ref),
            }
            for code, (hn, ref) in RATES.items()
        ]
        start = dt.date(timezone.localdate().year - 1, 1, 1)
        evergreen_fixed = PolicyData(
            kind="highest_network_rate",
            min_network_attempts=2,
            requires_consent=True,
            max_agreement_days=180,
            expected_response_days=10,
            submission_channel="fax",
            confirmed_with="J. Ortiz, provider relations",
            confirmed_on=start,
            reference="CALL-20431",
            protocol_notes="Their Maine region pays the highest in-network rate; no counters.",
        )
        policies = {
            "Evergreen Health Plan": PolicyData(
                kind="negotiable",
                min_network_attempts=3,
                requires_consent=True,
                max_agreement_days=365,
                expected_response_days=14,
                submission_channel="fax",
                protocol_notes="Fax the request with the network search log to the SCA unit.",
            ),
            "Summit Mutual Insurance": PolicyData(
                kind="highest_network_rate",
                min_network_attempts=2,
                max_agreement_days=180,
                expected_response_days=10,
                submission_channel="email",
                protocol_notes="Pays its highest in-network rate per code; no negotiation.",
            ),
            "Liberty Military Health": PolicyData(
                kind="percent_of_reference",
                percent=Decimal("90.00"),
                reference_schedule="tricare",
                min_network_attempts=3,
                requires_consent=True,
                max_agreement_days=365,
                expected_response_days=21,
                submission_channel="portal",
            ),
        }
        # Each practice keeps its own policies; Harbor learned that Evergreen does not
        # negotiate in its region, where Bright Path negotiates with it.
        own_policies = {
            ("Bright Path ABA", "demo_admin"): policies,
            ("Harbor Behavioral Health", "other_admin"): {
                **policies,
                "Evergreen Health Plan": evergreen_fixed,
            },
        }
        for (practice_name, author), practice_policies in own_policies.items():
            owner = practices[practice_name]
            for name, policy_fields in practice_policies.items():
                if not RatePolicy.objects.filter(practice=owner, insurer=insurers[name]).exists():
                    rate_policy_create(
                        actor=users[author],
                        practice=owner,
                        insurer=insurers[name],
                        rates=rates,
                        data={"effective_from": start, **policy_fields},
                    )
        harbor_contact = InsurerContact.objects.filter(
            practice=practices["Harbor Behavioral Health"],
            insurer=insurers["Evergreen Health Plan"],
        )
        if not harbor_contact.exists():
            insurer_contact_create(
                actor=users["other_admin"],
                practice=practices["Harbor Behavioral Health"],
                insurer=insurers["Evergreen Health Plan"],
                purpose="sca_request",
                data={
                    "department": "Northeast SCA Unit",
                    "fax": "207-555-0777",
                    "email": "sca-northeast@evergreen.example",
                    "notes": "Ask for the Northeast unit; the national fax forwards slowly.",
                },
            )

        bright = practices["Bright Path ABA"]
        for first, last, dob, insurer, member_id, dx in CLIENTS:
            if not Client.objects.filter(practice=bright, member_id=member_id).exists():
                client_create(
                    actor=users["demo_staff"],
                    practice=bright,
                    data={
                        "first_name": first,
                        "last_name": last,
                        "date_of_birth": dt.date.fromisoformat(dob),
                        "insurer": insurers[insurer],
                        "member_id": member_id,
                        "plan_name": "Commercial PPO",
                        "diagnosis_codes": [dx],
                        "guardian_name": f"Pat {last}",
                        "guardian_relationship": "parent",
                        "city": "Albany",
                        "state": "NY",
                        "zip_code": "12208",
                    },
                )
        harbor = practices["Harbor Behavioral Health"]
        if not Client.objects.filter(practice=harbor).exists():
            client_create(
                actor=users["other_staff"],
                practice=harbor,
                data={
                    "first_name": "Harper",
                    "last_name": "Quinn",
                    "date_of_birth": dt.date(2018, 2, 2),
                    "insurer": insurers["Evergreen Health Plan"],
                    "member_id": "EVG900001",
                    "diagnosis_codes": ["F84.0"],
                },
            )
        if not bright.cases.exists():
            self.seed_cases(bright, users, codes)
        # Its own step, so that a database seeded before appeals existed gains it too.
        if not Appeal.objects.filter(case__practice=bright).exists():
            self.seed_appeal(bright, users, codes)

    def seed_cases(self, practice, users, codes):
        staff = users["demo_staff"]
        for i, client in enumerate(list(practice.clients.order_by("id"))[:6]):
            case = self.seed_case(practice, staff, codes, client, i)
            if i >= 2:
                case_submit(case_id=case.pk, actor=staff)
            if i == 4:
                category, reason = "in_network_available", "Network adequate."
                case_deny(case_id=case.pk, actor=staff, reason=reason, reason_category=category)
            if i == 5:
                case_withdraw(case_id=case.pk, actor=staff, reason="Family moved away.")

    def seed_appeal(self, practice, users, codes):
        """A case denied as not medically necessary, appealed at the first internal level."""
        staff, billing = users["demo_staff"], users["demo_billing"]
        client = list(practice.clients.order_by("id"))[6]
        case = self.seed_case(practice, staff, codes, client, 6)
        case_submit(case_id=case.pk, actor=staff)
        case_deny(
            case_id=case.pk,
            actor=staff,
            reason_category="not_medically_necessary",
            reason="The requested hours exceed what is medically necessary for the "
            "member's level of impairment.",
            appeal_address="Evergreen Health Plan, Appeals Unit\nPO Box 1150\nHartford, CT 06101",
        )
        appeal_file(
            case_id=case.pk,
            actor=billing,
            level="internal_1",
            channel="fax",
            reference="APL-20417",
            notes="Appeal letter with the treatment plan and the assessment faxed.",
        )

    def seed_case(self, practice, staff, codes, client, i):
        """A request for ``client``; the first one lacks its search log and consent."""
        today = timezone.localdate()
        bcba = practice.providers.get(credential="BCBA")
        data: CaseData = {
            "client": client,
            "insurer": client.insurer,
            "provider": bcba,
            "reason": "network_inadequacy",
            "initiated_by": "practice",
            "service_type": "aba",
            "planned_start_date": today + dt.timedelta(days=30 + i),
            "requested_start": today + dt.timedelta(days=30 + i),
            "requested_end": today + dt.timedelta(days=30 + i + 179),
            "sessions_requested": 72,
            "assigned_to": staff,
            "clinical_justification": (
                "The client has a confirmed autism diagnosis and needs intensive ABA. "
                "No in-network provider within 30 miles can start within 12 weeks."
            ),
        }
        if i == 1:  # a transition: in treatment for five months; the BCBA left the network
            changed, began = today - dt.timedelta(days=21), today - dt.timedelta(days=150)
            data.update({"reason": "provider_transition", "planned_start_date": None,
                "treatment_started_on": began, "coverage_change_on": changed,
                "requested_start": changed, "sessions_remaining": 72})  # fmt: skip
        case = case_create(actor=staff, practice=practice, data=data)
        for code, units, rate in (("97153", 480, "68.00"), ("97155", 96, "125.00")):
            service_add(
                case_id=case.pk,
                actor=staff,
                data={
                    "billing_code": codes[code],
                    "units": units,
                    "unit_period": "total",
                    "requested_rate": Decimal(rate) / 4,
                },
            )
        if i == 0:
            return case  # one draft still missing its search log and consent
        for n, outcome in enumerate(("waitlist", "not_accepting", "too_far")):
            network_search_add(
                case_id=case.pk,
                actor=staff,
                data={
                    "provider_name": f"In-Network Clinic {n + 1}",
                    "contacted_on": today - dt.timedelta(days=20 - n),
                    "method": "phone",
                    "outcome": outcome,
                    "wait_weeks": 16 if outcome == "waitlist" else None,
                    "distance_miles": Decimal("48.0") if outcome == "too_far" else None,
                },
            )
        consent_add(
            case_id=case.pk,
            actor=staff,
            data={
                "signer_name": client.guardian_name,
                "signer_relationship": "parent",
                "signed_on": today - dt.timedelta(days=3),
                "acknowledges_costs": True,
                "estimated_patient_cost": Decimal("250.00"),
            },
        )
        return case
