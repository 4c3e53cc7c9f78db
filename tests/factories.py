"""factory_boy factories for every model the tests build."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from billing_codes.models import BillingCode, Modifier
from cases.models import (
    Case,
    Client,
    Consent,
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


def today() -> dt.date:
    return timezone.localdate()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "demo12345")
        if create:
            self.save(update_fields=["password"])


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice

    name = factory.Sequence(lambda n: f"Practice {n}")
    npi = factory.Sequence(lambda n: make_npi(f"{170000000 + n}"))
    tax_id = "451234567"
    address_line1 = "1 Main Street"
    city = "Albany"
    state = "NY"
    zip_code = "12207"
    phone = "518-555-0100"
    fax = "518-555-0101"
    signatory_name = "Dana Whitfield"
    signatory_title = "Clinical Director"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    practice = factory.SubFactory(PracticeFactory)
    role = "staff"


class InsurerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Insurer

    name = factory.Sequence(lambda n: f"Insurer {n}")
    payer_id = factory.Sequence(lambda n: f"P{n:04d}")
    sca_fax = "800-555-0102"


class BillingCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingCode
        django_get_or_create = ["code"]

    code = "97153"
    system = "CPT"
    short_description = "Adaptive behavior treatment by protocol, each 15 minutes"
    category = "treatment"
    unit_minutes = 15
    is_aba = True
    is_active = True


class ModifierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Modifier
        django_get_or_create = ["code"]

    code = "HN"
    description = "Bachelor's degree level"


class RatePolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RatePolicy

    practice = factory.SubFactory(PracticeFactory)
    insurer = factory.SubFactory(InsurerFactory)
    effective_from = factory.LazyFunction(lambda: today() - dt.timedelta(days=365))
    effective_to = None
    kind = "negotiable"
    min_network_attempts = 3
    requires_consent = False
    requires_pre_treatment = True
    max_agreement_days = 365
    expected_response_days = 14
    submission_channel = "fax"


class PolicyRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyRate

    policy = factory.SubFactory(RatePolicyFactory)
    billing_code = factory.SubFactory(BillingCodeFactory)
    modifier = ""
    highest_network_rate = Decimal("15.00")
    reference_rate = Decimal("14.00")


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    practice = factory.SubFactory(PracticeFactory)
    first_name = factory.Sequence(lambda n: f"Ava{n}")
    last_name = factory.Sequence(lambda n: f"Martinez{n}")
    date_of_birth = dt.date(2019, 3, 14)
    insurer = factory.SubFactory(InsurerFactory)
    member_id = factory.Sequence(lambda n: f"M{n:08d}")
    diagnosis_codes = factory.LazyFunction(lambda: ["F84.0"])
    guardian_name = "Pat Martinez"
    guardian_relationship = "parent"


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    practice = factory.SubFactory(PracticeFactory)
    first_name = "Morgan"
    last_name = factory.Sequence(lambda n: f"Reyes{n}")
    credential = "BCBA"
    npi = factory.Sequence(lambda n: make_npi(f"{180000000 + n}"))


class CaseFactory(factory.django.DjangoModelFactory):
    """A draft case. Use ``ready_case`` (tests/conftest.py) for one that passes readiness."""

    class Meta:
        model = Case

    practice = factory.SubFactory(PracticeFactory)
    client = factory.SubFactory(
        ClientFactory,
        practice=factory.SelfAttribute("..practice"),
        insurer=factory.SelfAttribute("..insurer"),
    )
    provider = factory.SubFactory(ProviderFactory, practice=factory.SelfAttribute("..practice"))
    insurer = factory.SubFactory(InsurerFactory)
    reason = "network_inadequacy"
    initiated_by = "patient"
    service_type = "aba"
    planned_start_date = factory.LazyFunction(lambda: today() + dt.timedelta(days=30))
    requested_start = factory.LazyFunction(lambda: today() + dt.timedelta(days=30))
    requested_end = factory.LazyFunction(lambda: today() + dt.timedelta(days=209))
    sessions_requested = 72
    clinical_justification = "No in-network provider can start within 12 weeks."


class NetworkSearchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NetworkSearch

    case = factory.SubFactory(CaseFactory)
    provider_name = factory.Sequence(lambda n: f"In-Network Clinic {n}")
    contacted_on = factory.LazyFunction(lambda: today() - dt.timedelta(days=10))
    method = "phone"
    outcome = "not_accepting"


class RequestedServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequestedService

    case = factory.SubFactory(CaseFactory)
    billing_code = factory.SubFactory(BillingCodeFactory)
    modifier = ""
    units = 480
    unit_period = "total"
    requested_rate = Decimal("17.00")


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    case = factory.SubFactory(CaseFactory)
    signer_name = "Pat Martinez"
    signer_relationship = "parent"
    signed_on = factory.LazyFunction(lambda: today() - dt.timedelta(days=1))
    acknowledges_costs = True
    estimated_patient_cost = Decimal("250.00")


# ----------------------------------------------------------------------------- negotiations

from negotiations.models import (  # noqa: E402
    Agreement,
    AgreementLine,
    Offer,
    OfferLine,
    PracticeRate,
)


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    case = factory.SubFactory(CaseFactory)
    party = "insurer"
    received_on = factory.LazyFunction(today)
    channel = "phone"
    status = "open"


class OfferLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfferLine

    offer = factory.SubFactory(OfferFactory)
    billing_code = factory.SubFactory(BillingCodeFactory)
    rate = Decimal("14.00")
    units = None


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    case = factory.SubFactory(
        CaseFactory, status="approved", submitted_at=factory.LazyFunction(timezone.now)
    )
    authorization_number = factory.Sequence(lambda n: f"AUTH{n:05d}")
    start_date = factory.LazyFunction(lambda: today() - dt.timedelta(days=30))
    end_date = factory.LazyFunction(lambda: today() + dt.timedelta(days=150))
    sessions_authorized = 40


class AgreementLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgreementLine

    agreement = factory.SubFactory(AgreementFactory)
    billing_code = factory.SubFactory(BillingCodeFactory)
    rate = Decimal("15.00")
    units_authorized = 100
    unit_period = "total"


class PracticeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PracticeRate

    practice = factory.SubFactory(PracticeFactory)
    billing_code = factory.SubFactory(BillingCodeFactory)
    usual_rate = Decimal("18.00")
    floor_rate = Decimal("14.50")


# ----------------------------------------------------------------------------- attachments

import hashlib  # noqa: E402
import io  # noqa: E402

from cases.models import CaseAttachment, ProviderDocument  # noqa: E402


def blank_pdf(pages: int = 1) -> bytes:
    """A real PDF of ``pages`` blank letter-size pages (pypdf opens it)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


ONE_PAGE_PDF = blank_pdf()


def _content(file) -> bytes:
    file.seek(0)
    content = file.read()
    file.seek(0)
    return content


class _StoredFileFactory(factory.django.DjangoModelFactory):
    """A one-page PDF stored privately, with what the upload check would have recorded."""

    class Meta:
        abstract = True

    title = "Document"
    file_type = "pdf"  # before the file: its stored name takes the type
    file = factory.django.FileField(filename="upload.pdf", data=ONE_PAGE_PDF)
    page_count = 1
    # What the upload check records of the file given (``file__data=...`` included).
    size_bytes = factory.LazyAttribute(lambda o: len(_content(o.file)))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(_content(o.file)).hexdigest())


class CaseAttachmentFactory(_StoredFileFactory):
    class Meta:
        model = CaseAttachment

    case = factory.SubFactory(CaseFactory)
    kind = "assessment"
    title = "Assessment"


class ProviderDocumentFactory(_StoredFileFactory):
    class Meta:
        model = ProviderDocument

    practice = factory.SubFactory(PracticeFactory)
    provider = None
    kind = "w9"
    title = "W-9"
    expires_on = None
