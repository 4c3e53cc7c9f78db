"""The clients and providers pages and the client CSV import (issue 6, item 6)."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessLog, Client, Provider
from cases.validators import make_npi
from tests.factories import ClientFactory, InsurerFactory, ProviderFactory

HEADER = "first_name,last_name,date_of_birth,insurer,member_id,diagnosis_codes,phone"


def client_form(insurer, **overrides):
    data = {
        "first_name": "Ava",
        "last_name": "Martinez",
        "date_of_birth": "2019-03-14",
        "insurer": insurer.pk,
        "member_id": "EVG100201",
        "diagnosis_codes": "F84.0, f88",
        "state": "NY",
        "zip_code": "12207",
        "phone": "518-555-0150",
    }
    data.update(overrides)
    return data


def provider_form(**overrides):
    data = {
        "first_name": "Morgan",
        "last_name": "Reyes",
        "credential": "BCBA",
        "npi": make_npi("123456789"),
        "license_state": "NY",
    }
    data.update(overrides)
    return data


def csv_upload(text: str | bytes, name="clients.csv"):
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def upload(browser, text):
    return browser.post(reverse("cases:client_import"), {"file": csv_upload(text)})


def urls_in(response) -> list[str]:
    """Every URL a page could send the browser to (links, form actions, redirects)."""
    html = response.content.decode()
    found = re.findall(r'(?:href|action|src)="([^"]*)"', html)
    return found + ([response["Location"]] if response.has_header("Location") else [])


# ----------------------------------------------------------------------------- lists


def test_client_list_shows_only_the_current_practice(world, web):
    mine = ClientFactory(practice=world.practice, last_name="Ownpractice")
    ClientFactory(practice=world.other_practice, last_name="Otherpractice")
    response = web(world.staff).get(reverse("cases:client_list"))
    assert response.status_code == 200
    assert response.context["nav_section"] == "clients"
    assert list(response.context["page_obj"]) == [mine]
    assert b"Otherpractice" not in response.content


def test_client_list_hides_archived_clients_unless_asked(world, web):
    active = ClientFactory(practice=world.practice)
    archived = ClientFactory(practice=world.practice, is_active=False)
    browser = web(world.staff)
    assert list(browser.get(reverse("cases:client_list")).context["page_obj"]) == [active]
    shown = browser.get(reverse("cases:client_list"), {"archived": "on"}).context["page_obj"]
    assert set(shown) == {active, archived}


def test_client_list_pages_by_25(world, web):
    ClientFactory.create_batch(30, practice=world.practice)
    browser = web(world.staff)
    first = browser.get(reverse("cases:client_list"))
    assert len(first.context["page_obj"]) == 25
    second = browser.get(reverse("cases:client_list"), {"page": 2})
    assert len(second.context["page_obj"]) == 5


def test_client_list_query_count_does_not_grow_with_clients(world, web):
    insurers = InsurerFactory.create_batch(3)
    browser = web(world.staff)
    ClientFactory(practice=world.practice, insurer=insurers[0])
    browser.get(reverse("cases:client_list"))  # warm the session and caches alike
    with CaptureQueriesContext(connection) as one:
        assert browser.get(reverse("cases:client_list")).status_code == 200
    for i in range(29):
        ClientFactory(practice=world.practice, insurer=insurers[i % 3])
    with CaptureQueriesContext(connection) as thirty:
        response = browser.get(reverse("cases:client_list"))
    assert len(response.context["page_obj"]) == 25
    assert len(thirty) == len(one), [q["sql"] for q in thirty.captured_queries]


def test_provider_list_query_count_does_not_grow_with_providers(world, web):
    browser = web(world.staff)
    ProviderFactory(practice=world.practice)
    browser.get(reverse("cases:provider_list"))
    with CaptureQueriesContext(connection) as one:
        browser.get(reverse("cases:provider_list"))
    ProviderFactory.create_batch(29, practice=world.practice)
    with CaptureQueriesContext(connection) as thirty:
        browser.get(reverse("cases:provider_list"))
    assert len(thirty) == len(one)


def test_client_search_is_posted_and_the_name_never_appears_in_a_url(world, web):
    wanted = ClientFactory(practice=world.practice, last_name="Quintanilla")
    ClientFactory(practice=world.practice, last_name="Other")
    ClientFactory(practice=world.other_practice, last_name="Quintanilla")
    response = web(world.staff).post(reverse("cases:client_list"), {"q": "quintan"})
    assert response.status_code == 200
    assert list(response.context["page_obj"]) == [wanted]
    assert all("quintan" not in url.lower() for url in urls_in(response))
    assert 'method="post"' in response.content.decode()


def test_client_search_ignores_a_name_in_the_query_string(world, web):
    ClientFactory.create_batch(2, practice=world.practice)
    response = web(world.staff).get(reverse("cases:client_list"), {"q": "nobody"})
    assert len(response.context["page_obj"]) == 2


def test_client_search_pages_by_posting_again_without_the_term_in_a_url(world, web):
    ClientFactory.create_batch(27, practice=world.practice, last_name="Samename")
    browser = web(world.staff)
    first = browser.post(reverse("cases:client_list"), {"q": "Samename"})
    html = first.content.decode()
    assert 'name="page" value="2"' in html
    assert all("samename" not in url.lower() for url in urls_in(first))
    second = browser.post(reverse("cases:client_list"), {"q": "Samename", "page": "2"})
    assert second.context["page_obj"].number == 2
    assert len(second.context["page_obj"]) == 2


def test_provider_list_shows_only_the_current_practice(world, web):
    mine = ProviderFactory(practice=world.practice)
    ProviderFactory(practice=world.other_practice)
    response = web(world.staff).get(reverse("cases:provider_list"))
    assert response.context["nav_section"] == "providers"
    assert list(response.context["page_obj"]) == [mine]


def test_people_pages_need_a_practice_membership(world, web, django_user_model):
    outsider = django_user_model.objects.create_user("outsider", password="x")
    assert web(outsider).get(reverse("cases:client_list")).status_code == 403
    response = web().get(reverse("cases:client_list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# ----------------------------------------------------------------------------- clients


def test_staff_adds_a_client_through_the_form(world, web):
    insurer = InsurerFactory()
    response = web(world.staff).post(reverse("cases:client_create"), client_form(insurer))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:client_list")
    client = Client.objects.get()
    assert client.practice == world.practice
    assert client.diagnosis_codes == ["F84.0", "F88"]
    assert client.history.first().history_user == world.staff


def test_date_of_birth_in_the_future_is_refused_on_the_field(world, web):
    insurer = InsurerFactory()
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = web(world.staff).post(
        reverse("cases:client_create"), client_form(insurer, date_of_birth=future)
    )
    assert response.status_code == 400
    assert response.context["form"].errors["date_of_birth"] == ["This date is in the future."]
    assert "This date is in the future." in response.content.decode()
    assert not Client.objects.exists()


def test_member_id_is_required_when_an_insurer_is_set(world, web):
    insurer = InsurerFactory()
    response = web(world.staff).post(
        reverse("cases:client_create"), client_form(insurer, member_id=" ")
    )
    assert response.status_code == 400
    assert not Client.objects.exists()


def test_service_refusal_is_shown_on_the_form(world, web, monkeypatch):
    from django.core.exceptions import ValidationError

    from cases.views import people

    def refuse(**kwargs):
        raise ValidationError({"member_id": "Refused by the service."})

    monkeypatch.setattr(people, "client_create", refuse)
    response = web(world.staff).post(reverse("cases:client_create"), client_form(InsurerFactory()))
    assert response.status_code == 400
    assert response.context["form"].errors["member_id"] == ["Refused by the service."]


def test_staff_edits_a_client_and_the_view_is_logged(world, web):
    client = ClientFactory(practice=world.practice)
    browser = web(world.staff)
    page = browser.get(reverse("cases:client_edit", args=[client.pk]))
    assert page.status_code == 200
    assert AccessLog.objects.filter(client=client, user=world.staff).count() == 1
    data = client_form(client.insurer, member_id=client.member_id, last_name="Renamed")
    data["is_active"] = "on"
    response = browser.post(reverse("cases:client_edit", args=[client.pk]), data)
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.last_name == "Renamed"
    assert client.is_active


def test_another_practices_client_is_not_found(world, web):
    theirs = ClientFactory(practice=world.other_practice)
    browser = web(world.staff)
    assert browser.get(reverse("cases:client_edit", args=[theirs.pk])).status_code == 404
    data = client_form(theirs.insurer, last_name="Hijacked")
    assert browser.post(reverse("cases:client_edit", args=[theirs.pk]), data).status_code == 404
    assert browser.post(reverse("cases:client_archive", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active and theirs.last_name != "Hijacked"


def test_archiving_a_client_keeps_the_record(world, web):
    client = ClientFactory(practice=world.practice)
    browser = web(world.staff)
    response = browser.post(reverse("cases:client_archive", args=[client.pk]))
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.is_active is False
    assert browser.get(reverse("cases:client_archive", args=[client.pk])).status_code == 405


def test_archived_client_with_an_archived_insurer_can_still_be_edited(world, web):
    insurer = InsurerFactory(is_active=False)
    client = ClientFactory(practice=world.practice, insurer=insurer)
    data = client_form(insurer, member_id=client.member_id, city="Troy")
    data["is_active"] = "on"
    response = web(world.staff).post(reverse("cases:client_edit", args=[client.pk]), data)
    assert response.status_code == 302, response.context["form"].errors


# ----------------------------------------------------------------------------- providers


def test_staff_adds_and_edits_a_provider(world, web):
    browser = web(world.staff)
    response = browser.post(reverse("cases:provider_create"), provider_form())
    assert response.status_code == 302
    provider = Provider.objects.get()
    assert provider.practice == world.practice
    data = provider_form(last_name="Changed", is_active="on")
    response = browser.post(reverse("cases:provider_edit", args=[provider.pk]), data)
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.last_name == "Changed"


def test_provider_npi_must_pass_its_check_digit(world, web):
    good = make_npi("123456789")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    response = web(world.staff).post(reverse("cases:provider_create"), provider_form(npi=bad))
    assert response.status_code == 400
    assert "check digit" in response.context["form"].errors["npi"][0]
    assert not Provider.objects.exists()


def test_provider_npi_is_unique_within_the_practice(world, web):
    existing = ProviderFactory(practice=world.practice)
    response = web(world.staff).post(
        reverse("cases:provider_create"), provider_form(npi=existing.npi)
    )
    assert response.status_code == 400
    assert "already has a provider with this NPI" in response.content.decode()


def test_another_practices_provider_is_not_found(world, web):
    theirs = ProviderFactory(practice=world.other_practice)
    browser = web(world.staff)
    assert browser.get(reverse("cases:provider_edit", args=[theirs.pk])).status_code == 404
    assert browser.post(reverse("cases:provider_archive", args=[theirs.pk])).status_code == 404


def test_archiving_a_provider_keeps_the_record(world, web):
    provider = ProviderFactory(practice=world.practice)
    response = web(world.billing).post(reverse("cases:provider_archive", args=[provider.pk]))
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.is_active is False


# ----------------------------------------------------------------------------- CSV import


@pytest.fixture
def evergreen(db):
    return InsurerFactory(name="Evergreen Health Plan")


def test_import_page_documents_the_header_and_offers_a_template(world, web):
    browser = web(world.staff)
    page = browser.get(reverse("cases:client_import"))
    assert page.status_code == 200
    assert "first_name,last_name,date_of_birth,insurer,member_id" in page.content.decode()
    template = browser.get(reverse("cases:client_import_template"))
    assert template["Content-Type"].startswith("text/csv")
    assert template.content.decode().startswith("first_name,last_name,date_of_birth")


def test_import_preview_reports_bad_lines_by_number_and_saves_nothing(world, web, evergreen):
    text = "\n".join(
        [
            HEADER,
            "Ava,Martinez,2019-03-14,Evergreen Health Plan,EVG1,F84.0,518-555-0150",
            "Ben,Okafor,03/02/2018,evergreen health plan,EVG2,F84.0;F88,",
            "Cara,Lind,2019-02-30,Evergreen Health Plan,EVG3,F84.0,",
            "Dev,Patel,2017-01-01,No Such Plan,EVG4,F84.0,",
            ",Quinn,2016-05-05,,,F84,555",
        ]
    )
    response = upload(web(world.staff), text)
    assert response.status_code == 200
    errors = response.context["result"].errors
    assert "Line 4: date_of_birth: Enter a valid date." in errors
    assert "Line 5: insurer: No active insurer is named “No Such Plan”." in errors
    assert any(e.startswith("Line 6: first_name:") for e in errors)
    assert any(e.startswith("Line 6: diagnosis_codes:") for e in errors)
    assert any(e.startswith("Line 6: phone:") for e in errors)
    assert not any(e.startswith(("Line 2:", "Line 3:")) for e in errors)
    assert response.context["confirm"] is None
    assert "Line 4: date_of_birth: Enter a valid date." in response.content.decode()
    assert not Client.objects.exists()


def test_import_saves_every_row_in_one_go(world, web, evergreen):
    text = "\r\n".join(
        [
            HEADER,
            "Ava,Martinez,2019-03-14,Evergreen Health Plan,EVG1,F84.0,518-555-0150",
            "Ben,Okafor,03/02/2018,EVERGREEN HEALTH PLAN,EVG2,F84.0; f88,",
            "",
            "Cara,Lind,2019-02-28,,,,",
        ]
    )
    browser = web(world.staff)
    preview = upload(browser, text)
    assert preview.status_code == 200
    assert preview.context["result"].errors == []
    assert "Import 3 clients" in preview.content.decode()
    assert not Client.objects.exists()
    confirm = preview.context["confirm"]
    # Browsers send hidden fields back with CRLF line endings.
    posted = {
        "csv_text": confirm.initial["csv_text"].replace("\n", "\r\n"),
        "token": confirm.initial["token"],
    }
    response = browser.post(reverse("cases:client_import"), posted)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:client_list")
    clients = {c.last_name: c for c in Client.objects.all()}
    assert set(clients) == {"Martinez", "Okafor", "Lind"}
    assert all(c.practice == world.practice for c in clients.values())
    assert clients["Okafor"].date_of_birth == dt.date(2018, 3, 2)
    assert clients["Okafor"].insurer == evergreen
    assert clients["Okafor"].diagnosis_codes == ["F84.0", "F88"]
    assert clients["Lind"].insurer is None
    assert clients["Martinez"].history.first().history_user == world.staff


def test_import_refuses_a_csv_changed_after_the_preview(world, web, evergreen):
    text = f"{HEADER}\nAva,Martinez,2019-03-14,,,,\n"
    browser = web(world.staff)
    token = upload(browser, text).context["confirm"].initial["token"]
    changed = text + "Eve,Sneaky,2019-01-01,,,,\n"
    response = browser.post(reverse("cases:client_import"), {"csv_text": changed, "token": token})
    assert response.status_code == 400
    assert "upload the file again" in response.content.decode()
    assert not Client.objects.exists()


def test_import_reports_duplicate_member_ids_by_line(world, web, evergreen):
    ClientFactory(practice=world.practice, insurer=evergreen, member_id="EVG1")
    ClientFactory(practice=world.other_practice, insurer=evergreen, member_id="EVG9")
    text = "\n".join(
        [
            HEADER,
            "Ava,Martinez,2019-03-14,Evergreen Health Plan,evg1,F84.0,",
            "Ben,Okafor,2018-03-02,Evergreen Health Plan,EVG2,F84.0,",
            "Ben,Okafor,2018-03-02,Evergreen Health Plan,EVG2,F84.0,",
            "Other,Practice,2018-03-02,Evergreen Health Plan,EVG9,F84.0,",
        ]
    )
    response = upload(web(world.staff), text)
    errors = response.context["result"].errors
    assert errors == [
        "Line 2: member_id: This practice already has a client with this member id at "
        "Evergreen Health Plan.",
        "Line 4: member_id: Same member id and insurer as line 3 of this file.",
    ]
    assert Client.objects.filter(practice=world.practice).count() == 1


def test_import_of_a_file_that_is_not_utf8_says_how_to_fix_it(world, web):
    text = f"{HEADER}\nZoë,Müller,2019-03-14,,,,\n".encode("cp1252")
    response = upload(web(world.staff), text)
    assert response.status_code == 400
    assert "not UTF-8" in response.content.decode()
    assert not Client.objects.exists()


def test_import_needs_the_required_columns(world, web):
    response = upload(web(world.staff), "first_name,surname\nAva,Martinez\n")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Missing required column(s): last_name, date_of_birth." in html
    assert "Unknown column(s): surname." in html


def test_import_is_capped_in_size_and_rows(world, web, monkeypatch):
    from cases.services import people as imports

    big = HEADER + "\n" + "x" * (imports.MAX_BYTES + 1)
    response = upload(web(world.staff), big)
    assert response.status_code == 400
    assert "larger than 2 MB" in response.content.decode()
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    rows = "\n".join(f"A{i},B,2019-01-01,,,," for i in range(3))
    response = upload(web(world.staff), f"{HEADER}\n{rows}\n")
    assert response.status_code == 400
    assert "more than 2 clients" in response.content.decode()


def test_import_lands_in_the_current_practice_only(world, web, evergreen):
    browser = web(world.other_staff)
    preview = upload(browser, f"{HEADER}\nAva,Martinez,2019-03-14,,,,\n")
    confirm = preview.context["confirm"].initial
    # The token is bound to the user and practice that previewed the file.
    stolen = web(world.staff).post(reverse("cases:client_import"), confirm)
    assert stolen.status_code == 400
    assert browser.post(reverse("cases:client_import"), confirm).status_code == 302
    assert Client.objects.get().practice == world.other_practice


def test_import_rechecks_rows_at_save_time(world, web, evergreen):
    text = f"{HEADER}\nAva,Martinez,2019-03-14,Evergreen Health Plan,EVG1,F84.0,\n"
    browser = web(world.staff)
    confirm = upload(browser, text).context["confirm"].initial
    ClientFactory(practice=world.practice, insurer=evergreen, member_id="EVG1")  # meanwhile
    response = browser.post(reverse("cases:client_import"), confirm)
    assert response.status_code == 400
    assert response.context["result"].errors[0].startswith("Line 2: member_id:")
    assert Client.objects.count() == 1


def test_refused_edit_shows_the_saved_client_until_it_is_fixed(world, web):
    client = ClientFactory(practice=world.practice, first_name="Saved")
    data = client_form(client.insurer, first_name="", is_active="")
    response = web(world.staff).post(reverse("cases:client_edit", args=[client.pk]), data)
    assert response.status_code == 400
    assert response.context["object"].first_name == "Saved"
    assert response.context["object"].is_active
    client.refresh_from_db()
    assert client.first_name == "Saved" and client.is_active


THIRTEEN_CODES = ["F84.0", "F84.2", "F84.3", "F84.5", "F84.8", "F84.9", "F88", "F89", "F80.0",
                  "F80.1", "F80.2", "F80.4", "F80.9"]  # fmt: skip


def test_at_most_twelve_diagnosis_codes_by_either_door(world, web, api):
    # One rule on the model field: the form and the API refuse the thirteenth code alike.
    insurer = InsurerFactory()
    page = web(world.staff).post(
        reverse("cases:client_create"),
        client_form(insurer, diagnosis_codes=", ".join(THIRTEEN_CODES)),
    )
    assert page.status_code == 400
    assert page.context["form"].errors["diagnosis_codes"] == ["Give at most 12 diagnosis codes."]
    assert ", ".join(THIRTEEN_CODES) in page.content.decode()  # what was typed is kept
    body = {
        "practice": world.practice.pk,
        "first_name": "Ava",
        "last_name": "Martinez",
        "date_of_birth": "2019-03-14",
        "insurer": insurer.pk,
        "member_id": "EVG100201",
        "diagnosis_codes": THIRTEEN_CODES,
    }
    response = api(world.staff).post("/api/v1/clients/", body, format="json")
    assert response.status_code == 400
    assert "diagnosis_codes" in response.json()
    twelve = api(world.staff).post(
        "/api/v1/clients/", {**body, "diagnosis_codes": THIRTEEN_CODES[:12]}, format="json"
    )
    assert twelve.status_code == 201, twelve.content
    assert not Client.objects.exclude(pk=twelve.json()["id"]).exists()
