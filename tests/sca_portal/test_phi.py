"""A marker in a client's name never reaches the logs, nor another practice's responses."""

import datetime as dt
import logging

from django.utils import timezone

from tests.factories import BillingCodeFactory, ProviderFactory

MARKER = "Qvzmarker"


def test_patient_marker_never_appears_in_logs_of_a_full_journey(
    world, api, policy, caplog, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    caplog.set_level(logging.DEBUG)
    staff, billing, other = api(world.staff), api(world.billing), api(world.other_staff)
    today = timezone.localdate()
    code = BillingCodeFactory(code="97153")
    provider = ProviderFactory(practice=world.practice)
    client = staff.post(
        "/api/v1/clients/",
        {
            "first_name": MARKER,
            "last_name": f"{MARKER}son",
            "date_of_birth": "2019-03-14",
            "insurer": policy.insurer.pk,
            "member_id": f"{MARKER}42",
            "diagnosis_codes": ["F84.0"],
        },
        format="json",
    ).json()
    # bad input echoes nothing of the patient into logs
    staff.post(
        "/api/v1/clients/",
        {"first_name": MARKER, "last_name": "X", "date_of_birth": "2999-01-01", "zip_code": MARKER},
        format="json",
    )
    start = today + dt.timedelta(days=20)
    case = staff.post(
        "/api/v1/cases/",
        {
            "client": client["id"],
            "provider": provider.pk,
            "insurer": policy.insurer.pk,
            "reason": "network_inadequacy",
            "planned_start_date": start.isoformat(),
            "requested_start": start.isoformat(),
            "requested_end": (start + dt.timedelta(days=90)).isoformat(),
            "clinical_justification": f"{MARKER} needs care.",
            "follow_up_on": today.isoformat(),
            "assigned_to": world.staff.pk,
        },
        format="json",
    ).json()
    base = f"/api/v1/cases/{case['id']}"
    for i in range(3):
        staff.post(
            f"{base}/network-searches/",
            {
                "provider_name": f"C{i}",
                "contacted_on": today.isoformat(),
                "method": "phone",
                "outcome": "no_response",
            },
            format="json",
        )
    staff.post(
        f"{base}/services/",
        {"billing_code": code.pk, "units": 100, "requested_rate": "17.00"},
        format="json",
    )
    staff.post(f"{base}/submit/", {}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        doc = staff.post(f"{base}/documents/", {"kind": "request_letter"}, format="json").json()
    staff.get(f"/api/v1/documents/{doc['id']}/download/")
    billing.post(
        f"{base}/offers/",
        {"party": "insurer", "lines": [{"billing_code": code.pk, "rate": "15.00", "units": 100}]},
        format="json",
    )
    billing.get(f"{base}/negotiation/")
    from negotiations.services.reminders import reminders_run

    reminders_run()
    # another practice probing: 404s that say nothing
    for url in (
        f"{base}/",
        f"/api/v1/clients/{client['id']}/",
        f"/api/v1/documents/{doc['id']}/download/",
    ):
        response = other.get(url)
        assert response.status_code == 404 and MARKER not in response.content.decode()
    response = other.post("/api/v1/cases/search/", {"q": MARKER}, format="json")
    assert response.status_code == 200 and MARKER not in response.content.decode()

    assert caplog.records, "the journey logged nothing at all: the capture is not working"
    assert MARKER not in caplog.text
