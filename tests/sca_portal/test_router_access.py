"""Tenant isolation and roles, generated from the API router: a new route is covered (or the
test fails until it is classified)."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from cases.models import Appeal, InsurerContact
from negotiations.models import ContactLog, Notification, UtilizationEntry
from sca_portal.urls import router
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    CaseAttachmentFactory,
    ConsentFactory,
    ModifierFactory,
    OfferFactory,
    OfferLineFactory,
    PracticeRateFactory,
    ProviderDocumentFactory,
    ProviderFactory,
)

# The directory and the catalog: read by all, written by the site's operators only.
SHARED = {"billing-code", "modifier", "insurer"}
SELF_ONLY = {"notification"}  # per user, never per practice
# (basename, action) -> the least role that may write; every write route must be listed.
WRITE_ROLES = {
    # The task list: every member marks a task done or snoozes it.
    **{("task", a): "staff" for a in ("done", "snooze", "snooze_until")},
    **{
        (b, a): "operator"
        for b in SHARED
        for a in ("create", "update", "partial_update", "destroy")
    },
    # What a practice keeps about an insurer: its administrators write it.
    **{
        (b, a): "admin"
        for b in ("rate-policy", "insurer-contact")
        for a in ("create", "update", "partial_update", "destroy")
    },
    ("rate-policy", "revise"): "admin",
    ("practice", "update"): "admin",
    ("practice", "partial_update"): "admin",
    **{
        (b, a): "staff"
        for b in ("client", "provider")
        for a in ("create", "update", "partial_update", "destroy")
    },
    **{
        ("case", a): "staff"
        for a in ("create", "update", "partial_update", "submit", "deny", "withdraw", "renew")
    },
    **{
        (b, a): "staff"
        for b in ("case-network-search", "case-service", "case-consent")
        for a in ("create", "update", "partial_update", "destroy")
    },
    ("case-document", "create"): "staff",
    ("case-submission", "create"): "staff",
    **{
        (b, a): "staff"
        for b in ("case-attachment", "provider-document")
        for a in ("create", "archive")
    },
    ("case-contact", "create"): "staff",
    ("case-contact", "partial_update"): "staff",  # a peer-to-peer review's outcome
    ("case-utilization", "create"): "staff",
    ("case", "appeal"): "billing",
    ("case-appeal", "decide"): "billing",
    ("case-offer", "create"): "billing",
    ("case-offer", "accept"): "billing",
    ("case-approve", "create"): "billing",
    ("case-decline", "create"): "billing",
    **{("practice-rate", a): "billing" for a in ("create", "update", "partial_update", "destroy")},
    ("notification", "read"): "self",
}
# Lists only the role reads (their objects are a 404 elsewhere, a 403 to the role below).
READ_ROLES = {"audit-access-log": "admin", "practice-rate": "billing"}
# POST routes that only read: a search sends its text in the body, out of URLs; every member
# may search, as every member reads the list.
READ_POSTS = {("client", "search"), ("case", "search")}
BELOW = {"billing": "staff", "admin": "billing", "operator": "admin"}


def routes():
    return list(_routes())


def _routes():
    for pattern in router.urls:
        actions = getattr(pattern.callback, "actions", None)
        groups = set(pattern.pattern.regex.groupindex)
        if not actions or "format" in groups:
            continue
        basename = pattern.name.rsplit("-", 1)[0]
        for method, action in list(actions.items()):
            if method in ("head", "options"):
                continue
            yield pattern.name, basename, groups, method, action


@pytest.fixture
def bright(world, ready_case, aba_code):
    """One of everything in Bright Path, reachable by the router's kwargs."""
    case = ready_case
    consent = ConsentFactory(case=case)
    consent.file.save("c.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    offer = OfferFactory(case=case)
    OfferLineFactory(offer=offer, billing_code=aba_code)
    agreement = AgreementFactory(case=case)
    AgreementLineFactory(agreement=agreement, billing_code=aba_code)
    UtilizationEntry.objects.create(
        agreement=agreement, billing_code=aba_code, units=1, service_date=agreement.start_date
    )
    contact = ContactLog.objects.create(
        case=case, at=timezone.now(), direction="outbound", channel="phone", summary="x"
    )
    document = case.documents.create(kind="request_letter")
    rate = PracticeRateFactory(
        practice=world.practice, billing_code=aba_code, usual_rate=Decimal("20")
    )
    notification = Notification.objects.create(
        user=world.staff, case=case, kind="x", key="k", message="m"
    )
    case.events.create(kind="note", message="x")
    appeal = Appeal.objects.create(
        case=case, denied_at=timezone.now(), level="internal_1", filed_on=timezone.localdate()
    )
    objects = {
        "practice": world.practice.pk,
        "client": case.client_id,
        "provider": ProviderFactory(practice=world.practice).pk,
        "case": case.pk,
        "case-network-search": case.network_searches.first().pk,
        "case-service": case.services.first().pk,
        "case-consent": consent.pk,
        "case-attachment": CaseAttachmentFactory(case=case).pk,
        "provider-document": ProviderDocumentFactory(practice=world.practice).pk,
        "case-event": case.events.first().pk,
        "case-offer": offer.pk,
        "case-contact": contact.pk,
        "case-appeal": appeal.pk,
        "document": document.pk,
        "practice-rate": rate.pk,
        "notification": notification.pk,
        "billing-code": aba_code.pk,
        "modifier": ModifierFactory().pk,
        "insurer": case.insurer_id,
        "rate-policy": case.insurer.policies.get(practice=world.practice).pk,
        "insurer-contact": InsurerContact.objects.create(
            practice=world.practice, insurer=case.insurer, fax="800-555-0100"
        ).pk,
    }
    return case, objects


def url_for(name, groups, case, objects, basename):
    kwargs = {}
    if "case_pk" in groups:
        kwargs["case_pk"] = case.pk
    if "pk" in groups:
        kwargs["pk"] = objects[basename]
    return reverse(name, kwargs=kwargs)


def test_every_object_route_is_404_for_another_practice(world, api, bright):
    case, objects = bright
    other = api(world.other_staff)
    checked = 0
    for name, basename, groups, method, _action in routes():
        if basename in SHARED or not ({"pk", "case_pk"} & groups):
            continue
        url = url_for(name, groups, case, objects, basename)
        body = None if method == "get" else {}
        response = getattr(other, method)(url, body, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
        checked += 1
    assert checked >= 45


def test_no_list_shows_another_practices_objects(world, api, bright):
    case, objects = bright
    other = api(world.other_staff)
    for name, basename, groups, method, action in routes():
        if action != "list" or groups or basename in SHARED:
            continue
        response = other.get(reverse(name))
        if basename in READ_ROLES:
            assert response.status_code == 403
            continue
        assert response.status_code == 200, name
        data = response.json()
        ids = {row["id"] for row in (data["results"] if isinstance(data, dict) else data)}
        assert objects.get(basename) not in ids, name
        if basename == "practice":
            assert ids == {world.other_practice.pk}


def test_every_write_route_is_classified_and_refused_to_the_role_below(world, api, bright):
    case, objects = bright
    users = {"staff": world.staff, "billing": world.billing, "admin": world.admin}
    for name, basename, groups, method, action in routes():
        if method == "get":
            continue
        if (basename, action) in READ_POSTS:
            response = api(world.staff).post(reverse(name), {"q": "x"}, format="json")
            assert response.status_code == 200, (name, response.status_code)
            continue
        role = WRITE_ROLES.get((basename, action))
        assert role is not None, (
            f"classify the write route {name} {method} ({action}) in WRITE_ROLES"
        )
        if role not in BELOW:
            continue
        url = url_for(name, groups, case, objects, basename)
        response = getattr(api(users[BELOW[role]]), method)(url, {}, format="json")
        assert response.status_code == 403, (method, url, role, response.status_code)


def test_role_reads_are_refused_to_the_role_below(world, api):
    users = {"staff": world.staff, "billing": world.billing, "admin": world.admin}
    for basename, role in READ_ROLES.items():
        assert api(users[BELOW[role]]).get(reverse(f"{basename}-list")).status_code == 403
        assert api(users[role]).get(reverse(f"{basename}-list")).status_code == 200


def test_notifications_are_only_their_owners(world, api, bright):
    case, objects = bright
    url = reverse("notification-detail", kwargs={"pk": objects["notification"]})
    assert api(world.billing).get(url).status_code == 404
    assert api(world.staff).get(url).status_code == 200
