"""Every GET route that shows patient data writes one access-log entry naming exactly the
clients and cases it showed (HIPAA §164.312(b)). The routes come from the URL resolver, so a
route added tomorrow is checked here, or must join the short, reviewed ``ALLOWLIST`` of routes
that show no patient data, with its reason."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client as Browser
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from cases.models import AccessLog, Appeal, Case, CaseEvent, ContactPurpose, Document
from negotiations.models import ContactLog, Notification, UtilizationEntry
from tests.factories import (
    ONE_PAGE_PDF,
    AgreementFactory,
    AgreementLineFactory,
    BillingCodeFactory,
    CaseAttachmentFactory,
    CaseFactory,
    ClientFactory,
    ConsentFactory,
    InsurerFactory,
    NetworkSearchFactory,
    OfferFactory,
    OfferLineFactory,
    ProviderDocumentFactory,
    RequestedServiceFactory,
)

pytestmark = pytest.mark.django_db

# ----------------------------------------------------------------------------- the reviewed lists

CATALOG = "the billing-code catalog: no client or case in it"
REFERENCE = "insurers, their policies and the practice's contacts at them: no client or case"
FEES = "the practice's fee schedule: codes and rates only"
STAFF = "the practice and its providers: staff, not patients"
CREDENTIALS = "a provider's or the practice's credentials (W-9, licence): staff, not patients"
ACCESS_LOG = "the access log: user, client and case ids, never a name; logging it would log the log"

# Routes that show no patient data, by view name (an unnamed route by its path).
ALLOWLIST: dict[str, str] = {
    "healthz": "liveness probe: a status and nothing else",
    "favicon.ico": "a redirect to a static icon",
    "login": "the sign-in form",
    "api-root": "the API's index of links",
    "schema": "the OpenAPI schema: no data",
    "api-docs": "Swagger UI: no data",
    "audit-access-log-list": ACCESS_LOG,
    "audit-access-log-export": ACCESS_LOG,
    "cases:audit": ACCESS_LOG,
    "cases:audit_export": ACCESS_LOG,
    "billing-code-list": CATALOG,
    "billing-code-detail": CATALOG,
    "modifier-list": CATALOG,
    "modifier-detail": CATALOG,
    "insurer-list": REFERENCE,
    "insurer-detail": REFERENCE,
    "rate-policy-list": REFERENCE,
    "rate-policy-detail": REFERENCE,
    "insurer-contact-list": REFERENCE,
    "insurer-contact-detail": REFERENCE,
    "cases:insurer_list": REFERENCE,
    "cases:insurer_detail": REFERENCE,
    "cases:insurer_contact_edit": REFERENCE,
    "cases:policy_create": REFERENCE,
    "cases:policy_edit": REFERENCE,
    "cases:policy_history": REFERENCE + " (who changed a policy's rates)",
    "practice-rate-list": FEES,
    "practice-rate-detail": FEES,
    "negotiations:fee_schedule": FEES,
    "negotiations:practicerate_edit": FEES,
    "negotiations:practicerate_delete": FEES + " (the removal's confirmation)",
    "practice-list": STAFF,
    "practice-detail": STAFF,
    "provider-list": STAFF,
    "provider-detail": STAFF,
    "cases:provider_list": STAFF,
    "cases:provider_create": STAFF,
    "cases:provider_edit": STAFF,
    "provider-document-list": CREDENTIALS,
    "provider-document-detail": CREDENTIALS,
    "provider-document-download": CREDENTIALS,
    "cases:credentials": CREDENTIALS,
    "cases:credential_download": CREDENTIALS,
    "cases:client_create": "a blank form for a new client: no record shown",
    "cases:client_import": "the import's upload form (its preview answers a POST)",
    "cases:client_import_template": "a CSV of column names and a made-up example row",
}
# Whole namespaces, and paths, without patient data.
ALLOWED_NAMESPACES = {"admin": "Django admin: the site's operators only, outside the practices"}
ALLOWED_PATHS = {"account/": "the signed-in user's own account: password, tokens, second factor"}

# Routes showing patient data that answer this world's GET with a redirect (no data shown).
EXPECTED_REDIRECT: dict[str, str] = {}

# ----------------------------------------------------------------------------- the walk


@dataclass(frozen=True)
class Route:
    id: str  # the view name the access log records (a path for an unnamed route)
    path: str
    key: str  # a router's basename, else the id: what PK_OF is keyed by
    params: tuple[str, ...]
    answers_get: bool | None  # None: a function view, the request tells


def _answers_get(callback: Any) -> bool | None:
    actions = getattr(callback, "actions", None)
    if actions is not None:  # a DRF view set: the router's method map
        return "get" in actions
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return "get" in view_class.http_method_names and callable(getattr(view_class, "get", None))
    return None


def walk(resolver: URLResolver | None = None, prefix="", ns="", groups=()) -> Iterator[Route]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        entry_groups = (*groups, *entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            if entry.namespace in ALLOWED_NAMESPACES:
                continue
            inner = f"{ns}{entry.namespace}:" if entry.namespace else ns
            yield from walk(entry, prefix + str(entry.pattern), inner, entry_groups)
        elif isinstance(entry, URLPattern):
            if "format" in entry_groups:  # DRF's format-suffix twin of a route
                continue
            path = prefix + str(entry.pattern)
            name = f"{ns}{entry.name}" if entry.name else path
            basename = getattr(entry.callback, "initkwargs", {}).get("basename")
            yield Route(name, path, basename or name, entry_groups, _answers_get(entry.callback))


def allowed(route: Route) -> bool:
    return route.id in ALLOWLIST or route.path.startswith(tuple(ALLOWED_PATHS))


GET_ROUTES = [r for r in walk() if r.answers_get is not False]
CHECKED = [r for r in GET_ROUTES if not allowed(r)]

# ----------------------------------------------------------------------------- the world


@dataclass
class PhiWorld:
    """One practice: client A with case A (approved after an overturned appeal, holding one
    of every part) and client B with case B (a draft: the guided request's steps)."""

    practice_id: int
    admin: Any
    ids: dict[str, int]

    def pair(self, case: str) -> tuple[int, int]:
        row = Case.objects.values_list("client_id", "pk").get(pk=self.ids[case])
        return row[0], row[1]


@pytest.fixture
def phi_world(world) -> PhiWorld:
    now, today = timezone.now(), timezone.localdate()
    insurer = InsurerFactory()
    code = BillingCodeFactory(code="97153")
    client_a, client_b = (ClientFactory(practice=world.practice, insurer=insurer) for _ in "ab")
    people = {"created_by": world.admin, "assigned_to": world.admin}
    case_a = CaseFactory(
        practice=world.practice, client=client_a, insurer=insurer, status="approved",
        submitted_at=now - dt.timedelta(days=20), decided_at=now - dt.timedelta(days=2), **people,
    )  # fmt: skip
    case_b = CaseFactory(practice=world.practice, client=client_b, insurer=insurer, **people)
    RequestedServiceFactory(case=case_b, billing_code=code)
    pdf_sha = hashlib.sha256(ONE_PAGE_PDF).hexdigest()
    consent = ConsentFactory(case=case_a, file=ContentFile(ONE_PAGE_PDF, name="scan.pdf"))
    document = Document.objects.create(
        case=case_a, kind="request_letter", status="ready", sha256=pdf_sha, page_count=1,
        size_bytes=len(ONE_PAGE_PDF), file=ContentFile(ONE_PAGE_PDF, name="letter.pdf"),
    )  # fmt: skip
    appeal = Appeal.objects.create(
        case=case_a, denied_at=now - dt.timedelta(days=15), level="internal_1",
        filed_on=today - dt.timedelta(days=10), outcome="overturned",
        decided_on=today - dt.timedelta(days=2),
    )  # fmt: skip
    offer = OfferFactory(case=case_a, status="accepted")
    OfferLineFactory(offer=offer, billing_code=code)
    agreement = AgreementFactory(case=case_a, end_date=today + dt.timedelta(days=20))
    AgreementLineFactory(agreement=agreement, billing_code=code)
    ids = {
        "client_a": client_a.pk,
        "client_b": client_b.pk,
        "case_a": case_a.pk,
        "case_b": case_b.pk,
        "consent": consent.pk,
        "document": document.pk,
        "attachment": CaseAttachmentFactory(case=case_a).pk,
        "appeal": appeal.pk,
        "offer": offer.pk,
        "contact": ContactLog.objects.create(
            case=case_a, at=now, direction="outbound", channel="phone", summary="Called."
        ).pk,
        "utilization": UtilizationEntry.objects.create(
            agreement=agreement, service_date=today, billing_code=code, units=4
        ).pk,
        "search": NetworkSearchFactory(case=case_a).pk,
        "service": RequestedServiceFactory(case=case_a, billing_code=code).pk,
        "event": CaseEvent.objects.create(case=case_a, kind="note", message="Noted.").pk,
        "provider_document": ProviderDocumentFactory(practice=world.practice).pk,
        "notification": Notification.objects.create(
            user=world.admin, case=case_a, kind="follow_up", key="k1", message="Follow up."
        ).pk,
    }
    return PhiWorld(world.practice.pk, world.admin, ids)


# ----------------------------------------------------------------------------- building the URL

# ``pk`` by route (a router's basename, else the view name): the world's record it names.
PK_OF = {
    "client": "client_a",
    "case": "case_a",
    "document": "document",
    "notification": "notification",
    "case-network-search": "search",
    "case-service": "service",
    "case-consent": "consent",
    "case-event": "event",
    "case-attachment": "attachment",
    "case-appeal": "appeal",
    "case-offer": "offer",
    "case-contact": "contact",
    "cases:detail": "case_a",
    "cases:renew_confirm": "case_a",
    "cases:attachments": "case_a",
    "cases:request_step": "case_b",
    "cases:client_edit": "client_a",
    "cases:document_status": "document",
    "cases:document_download": "document",
    "cases:consent_download": "consent",
    "cases:attachment_download": "attachment",
    "negotiations:client_page": "client_a",
}
OTHER_PARAMS = {"case_pk": "case_a", "appeal_pk": "appeal"}
SLUGS = {"step": "review", "action": "submit", "purpose": ContactPurpose.SCA_REQUEST.value}
QUERY = {"audit-changes": {"model": "case"}}  # the model is required


def url_of(route: Route, w: PhiWorld) -> str:
    kwargs: dict[str, Any] = {}
    for param in route.params:
        if param == "pk" and route.key in PK_OF:
            kwargs[param] = w.ids[PK_OF[route.key]]
        elif param in OTHER_PARAMS:
            kwargs[param] = w.ids[OTHER_PARAMS[param]]
        elif param in SLUGS:
            kwargs[param] = SLUGS[param]
        else:
            pytest.fail(f"{route.id}: no value for '{param}': add the route to PK_OF or SLUGS")
    return reverse(route.id, kwargs=kwargs)


# ----------------------------------------------------------------------------- expected subjects

Pairs = set[tuple[Any, Any]]


def case_a(w: PhiWorld) -> Pairs:
    return {w.pair("case_a")}


def both_cases(w: PhiWorld) -> Pairs:
    return {w.pair("case_a"), w.pair("case_b")}


def both_clients(w: PhiWorld) -> Pairs:
    return {(w.ids["client_a"], None), (w.ids["client_b"], None)}


def rows(data: Any) -> list[dict[str, Any]]:
    return data["results"] if isinstance(data, dict) else data


def cases_named(case_ids) -> Pairs:
    return set(Case.objects.filter(pk__in=list(case_ids)).values_list("client_id", "pk"))


# What the answer showed, read from the JSON (None: a page or a file, the world says).
Reading = Callable[[Any], Pairs] | None
EXPECTED: dict[str, tuple[Callable[[PhiWorld], Pairs], Reading]] = {
    "dashboard": (both_cases, None),  # case B a draft of the admin's, case A decided
    "negotiations:tasks": (case_a, None),  # the admin's tasks: case A's agreement to renew
    "task-list": (case_a, lambda d: cases_named(r["case"] for r in rows(d))),
    "cases:list": (both_cases, None),
    "cases:request_start": (both_clients, None),  # the client picker
    "cases:client_list": (both_clients, None),
    "cases:client_edit": (lambda w: {(w.ids["client_a"], None)}, None),
    # the client page: client A and its one case
    "negotiations:client_page": (lambda w: {(w.ids["client_a"], None), w.pair("case_a")}, None),
    "cases:request_step": (lambda w: {w.pair("case_b")}, None),
    "client-list": (both_clients, lambda d: {(r["id"], None) for r in rows(d)}),
    "client-detail": (lambda w: {(w.ids["client_a"], None)}, lambda d: {(d["id"], None)}),
    "case-list": (both_cases, lambda d: {(r["client"], r["id"]) for r in rows(d)}),
    "case-detail": (case_a, lambda d: {(d["client"], d["id"])}),
    "document-list": (case_a, lambda d: cases_named(r["case"] for r in rows(d))),
    "document-detail": (case_a, lambda d: cases_named([d["case"]])),
    "notification-list": (case_a, lambda d: cases_named(r["case"] for r in rows(d))),
    "notification-detail": (case_a, lambda d: cases_named([d["case"]])),
    "audit-changes": (both_cases, lambda d: cases_named(r["object_id"] for r in rows(d))),
    "report-summary": (  # the agreements expiring: case ids and authorization numbers
        case_a,
        lambda d: cases_named(r["case"] for r in d["agreements_expiring_30_days"]),
    ),
}
# Every other route under a case (``case_pk``) and the pages and files of one of case A's
# records (pk in PK_OF) show case A.
CASE_A_RECORDS = {"case_a", "consent", "document", "attachment"}


def expected_of(route: Route) -> tuple[Callable[[PhiWorld], Pairs], Reading]:
    if route.id in EXPECTED:
        return EXPECTED[route.id]
    if "case_pk" in route.params or PK_OF.get(route.key) in CASE_A_RECORDS:
        return case_a, None
    pytest.fail(f"{route.id}: no expected-pairs rule: add it to EXPECTED (or to ALLOWLIST)")


# ----------------------------------------------------------------------------- the tests


def test_walk_finds_the_routes():
    ids = [r.id for r in GET_ROUTES]
    assert len(ids) == len(set(ids)), "two GET routes share a view name"
    assert len(GET_ROUTES) > 60 and len(CHECKED) > 35


def test_allowlists_name_existing_routes():
    ids = {r.id for r in GET_ROUTES}
    assert sorted(set(ALLOWLIST) - ids) == [], "stale ALLOWLIST entries (no such GET route)"
    assert sorted(set(EXPECTED_REDIRECT) - {r.id for r in CHECKED}) == []
    assert set(ALLOWED_NAMESPACES) <= set(get_resolver().namespace_dict)
    assert all(any(r.path.startswith(p) for r in GET_ROUTES) for p in ALLOWED_PATHS)
    assert all(reason.strip() for reason in [*ALLOWLIST.values(), *EXPECTED_REDIRECT.values()])


@pytest.mark.parametrize("route", CHECKED, ids=[r.id for r in CHECKED])
def test_route_logs_the_patient_data_it_shows(route: Route, phi_world: PhiWorld):
    w = phi_world
    browser = Browser()
    browser.force_login(w.admin)  # the practice's administrator: sees every record
    url = url_of(route, w)
    world_pairs, reading = expected_of(route)
    last = AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0

    response = browser.get(url, QUERY.get(route.id, {}))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if route.answers_get is None and response.status_code == 405:
        pytest.skip("a function view that refuses GET")
    if route.id in EXPECTED_REDIRECT:
        assert response.status_code == 302, f"ERROR: {response.status_code}, expected 302"
        return
    assert response.status_code == 200, f"ERROR: {response.status_code} {body[:300]!r}"

    entries = list(AccessLog.objects.filter(id__gt=last))
    assert entries, f"MISSING ENTRY: GET {route.id} wrote no access-log entry"
    assert len(entries) == 1, f"WRONG ENTRIES: {len(entries)} entries, one expected"
    entry = entries[0]
    assert (entry.practice_id, entry.user_id) == (w.practice_id, w.admin.pk)
    assert (entry.route, entry.method) == (route.id, "GET"), "WRONG ROUTE"
    logged = set(entry.subjects.values_list("client_id", "case_id"))
    shown = reading(response.json()) if reading is not None else world_pairs(w)
    assert logged == shown, f"WRONG IDS: logged {sorted(logged)}, shown {sorted(shown)}"
    # The world's check on the answer: it shows what the world holds (not an empty page).
    assert shown == world_pairs(w), "the answer shows other records than the world holds"
