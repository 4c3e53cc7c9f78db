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
    Client,
    Insurer,
    InsurerContact,
    Membership,
    Practice,
    Provider,
    RatePolicy,
    Role,
)
from cases.services.appeals import case_deny
from cases.services.case import CaseData, case_create, case_withdraw
from cases.services.parts import consent_add, network_search_add, service_add
from cases.services.people import client_create, provider_create
from cases.services.reference import (
    InsurerData,
    PolicyData,
    RateRow,
    insurer_contact_create,
    insurer_create,
    rate_policy_create,
)
from cases.services.submissions import case_submit
from cases.validators import make_npi

DEMO_PASSWORD = "demo12345"  # noqa: S105 - development-only demo logins, documented

PRACTICES = {
    "Bright Path ABA": dict(
        npi=make_npi("145678901"),
        tax_id="451234567",
        address_line1="200 Maple Avenue, Suite 3",
        city="Albany",
        state="NY",
        zip_code="12207",
        phone="518-555-0140",
        fax="518-555-0141",
        email="office@brightpath.example",
        signatory_name="Dana Whitfield, BCBA-D",
        signatory_title="Clinical Director",
    ),
    "Harbor Behavioral Health": dict(
        npi=make_npi("156789012"),
        tax_id="462345678",
        address_line1="14 Wharf Street",
        city="Portland",
        state="ME",
        zip_code="04101",
        phone="207-555-0190",
        email="admin@harbor.example",
        signatory_name="Lee Carver",
        signatory_title="Director",
    ),
}

USERS = [
    ("demo_staff", "Sam", "Staff", "Bright Path ABA", Role.STAFF),
    ("demo_billing", "Bea", "Billing", "Bright Path ABA", Role.BILLING),
    ("demo_admin", "Ada", "Admin", "Bright Path ABA", Role.ADMIN),
    ("other_staff", "Otto", "Other", "Harbor Behavioral Health", Role.STAFF),
    ("other_billing", "Olga", "Other", "Harbor Behavioral Health", Role.BILLING),
    ("other_admin", "Omar", "Other", "Harbor Behavioral Health", Role.ADMIN),
]

PROVIDERS = [
    ("Bright Path ABA", "Morgan", "Reyes", "BCBA", "160000001", "103K00000X"),
    ("Bright Path ABA", "Jordan", "Okafor", "BCaBA", "160000002", "106E00000X"),
    ("Bright Path ABA", "Riley", "Chen", "RBT", "160000003", "106S00000X"),
    ("Bright Path ABA", "Casey", "Nguyen", "RBT", "160000004", "106S00000X"),
    ("Harbor Behavioral Health", "Avery", "Stone", "BCBA", "160000005", "103K00000X"),
]

INSURERS: dict[str, InsurerData] = {
    "Evergreen Health Plan": InsurerData(
        payer_id="EVG01",
        sca_phone="800-555-0101",
        sca_fax="800-555-0102",
        sca_email="sca@evergreen.example",
        sca_address="PO Box 1001\nHartford, CT 06101",
        behavioral_health_org="Evergreen Behavioral Health Partners",
    ),
    "Summit Mutual Insurance": InsurerData(
        payer_id="SMT22",
        sca_phone="800-555-0201",
        sca_fax="800-555-0202",
        sca_address="Single Case Agreements Unit\n500 Summit Plaza\nDenver, CO 80202",
    ),
    "Liberty Military Health": InsurerData(
        payer_id="LMH77",
        sca_phone="800-555-0301",
        sca_fax="800-555-0302",
        portal_url="https://portal.liberty.example/sca",
    ),
}

# code -> (highest network rate, reference rate) per 15-minute unit
RATES = {
    "97151": ("32.00", "30.50"),
    "97152": ("18.00", "17.25"),
    "97153": ("15.00", "14.40"),
    "97154": ("6.50", "6.10"),
    "97155": ("30.00", "28.75"),
    "97156": ("28.00", "27.10"),
    "97157": ("9.00", "8.40"),
    "97158": ("12.00", "11.20"),
}

CLIENTS = [
    ("Ava", "Martinez", "2019-03-14", "Evergreen Health Plan", "EVG100201", "F84.0"),
    ("Liam", "Johnson", "2018-07-02", "Evergreen Health Plan", "EVG100202", "F84.0"),
    ("Mia", "Thompson", "2020-01-22", "Summit Mutual Insurance", "SMT300411", "F84.0"),
    ("Noah", "Williams", "2017-11-09", "Summit Mutual Insurance", "SMT300412", "F84.9"),
    ("Emma", "Brown", "2019-05-30", "Liberty Military Health", "LMH550031", "F84.0"),
    ("Elijah", "Davis", "2016-09-17", "Liberty Military Health", "LMH550032", "F84.5"),
    ("Olivia", "Garcia", "2021-02-11", "Evergreen Health Plan", "EVG100203", "F84.0"),
    ("Lucas", "Miller", "2018-12-03", "Summit Mutual Insurance", "SMT300413", "F84.8"),
    ("Sophia", "Wilson", "2020-08-25", "Evergreen Health Plan", "EVG100204", "F84.0"),
    ("Mason", "Anderson", "2017-04-19", "Liberty Military Health", "LMH550033", "F84.0"),
    ("Isabella", "Taylor", "2019-10-07", "Summit Mutual Insurance", "SMT300414", "F84.9"),
    ("Ethan", "Moore", "2018-06-28", "Evergreen Health Plan", "EVG100205", "F84.0"),
]


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
            self.seed_cases(bright, users, insurers, codes)

    def seed_cases(self, practice, users, insurers, codes):
        staff = users["demo_staff"]
        today = timezone.localdate()
        bcba = practice.providers.get(credential="BCBA")
        clients = list(practice.clients.order_by("id"))
        for i, client in enumerate(clients[:6]):
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
                continue  # one draft still missing its search log and consent
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
            if i >= 2:
                case_submit(case_id=case.pk, actor=staff)
            if i == 4:
                denial = {"reason": "Network adequate.", "reason_category": "in_network_available"}
                case_deny(case_id=case.pk, actor=staff, **denial)
            if i == 5:
                case_withdraw(case_id=case.pk, actor=staff, reason="Family moved away.")
