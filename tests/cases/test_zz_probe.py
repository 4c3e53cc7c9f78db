"""Throwaway probe (reviewer). Delete when done."""
import datetime as dt, json, traceback
import pytest
from django.utils import timezone
from cases.models import Appeal, Case
from tests.factories import CaseFactory, RequestedServiceFactory, NetworkSearchFactory

TODAY = timezone.localdate
def ago(d): return TODAY() - dt.timedelta(days=d)
OUT = []

def call(client, method, url, body=None, label=""):
    try:
        r = getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)
        txt = r.content[:300].decode(errors="replace") if r.status_code != 200 else ""
        OUT.append(f"{label} {method.upper()} {url} {json.dumps(body, default=str)[:120] if body is not None else ''} -> {r.status_code} {txt}")
        return r
    except Exception as e:
        tb = traceback.format_exc().splitlines()
        OUT.append(f"!!! {label} {method.upper()} {url} {json.dumps(body, default=str)[:200]} -> EXC {type(e).__name__}: {e} :: " + " | ".join(tb[-6:]))
        return None

def submitted(case, days_ago=1):
    case.status = "submitted"; case.submitted_at = timezone.now() - dt.timedelta(days=days_ago); case.save(); return case

@pytest.fixture(autouse=True)
def dump():
    OUT.clear(); yield
    with open("/tmp/probe/out.txt", "a") as f:
        f.write("\n".join(OUT) + "\n")

def test_deny_odd(world, api, ready_case):
    submitted(ready_case, days_ago=20)
    url = f"/api/v1/cases/{ready_case.pk}/deny/"
    s = api(world.staff)
    base = {"reason_category": "other", "reason": "No."}
    bodies = [
        {}, {"reason_category": None, "reason": None}, {"reason_category": ["other"], "reason": "x"},
        {"reason_category": {"a": 1}, "reason": "x"}, {**base, "reason": ["a", "b"]}, {**base, "reason": {"a": 1}},
        {**base, "reason": "   "}, {**base, "reason": "x" * 100000}, {**base, "received_on": "0001-01-01"},
        {**base, "received_on": "9999-12-31"}, {**base, "received_on": None}, {**base, "received_on": 5},
        {**base, "received_on": ["2024-01-01"]}, {**base, "appeal_address": None}, {**base, "appeal_address": ["x"]},
        {**base, "appeal_address": "x" * 1000 + "   "}, {**base, "reason": "\x00abc"}, {**base, "appeal_address": "a\x00b"},
        {**base, "received_on": "2024-13-01"}, [1, 2], "string", None,
    ]
    for b in bodies:
        call(s, "post", url, b, "deny")
    ready_case.refresh_from_db(); OUT.append(f"status now {ready_case.status}")

def test_appeal_odd(world, api, ready_case):
    submitted(ready_case, days_ago=20)
    api(world.staff).post(f"/api/v1/cases/{ready_case.pk}/deny/", {"reason_category": "other", "reason": "No.", "received_on": ago(10).isoformat()}, format="json")
    url = f"/api/v1/cases/{ready_case.pk}/appeal/"
    b = api(world.billing)
    for body in [
        {}, {"level": None}, {"level": ["internal_1"]}, {"level": {"x": 1}}, {"level": ""},
        {"level": "internal_1", "filed_on": "0001-01-01"}, {"level": "internal_1", "filed_on": "9999-12-31"},
        {"level": "internal_1", "filed_on": None}, {"level": "internal_1", "expedited": None},
        {"level": "internal_1", "expedited": "maybe"}, {"level": "internal_1", "channel": "pigeon"},
        {"level": "internal_1", "reference": "x" * 61}, {"level": "internal_1", "reference": None},
        {"level": "internal_1", "notes": None}, {"level": "internal_1", "notes": ["x"]},
        {"level": "internal_1", "reference": "a\x00b"},
        {"level": "state_fair_hearing"}, {"level": "reconsideration"},
        {"level": "internal_1", "notes": "x" * 200000, "expedited": "yes"},
        {"level": "internal_1"},
    ]:
        call(b, "post", url, body, "appeal")
    a = Appeal.objects.filter(case=ready_case).first()
    OUT.append(f"appeal {a and (a.level, a.expedited, len(a.notes))}")
    if a:
        durl = f"/api/v1/cases/{ready_case.pk}/appeals/{a.pk}/decide/"
        for body in [{"outcome": None}, {"outcome": ["upheld"]}, {"outcome": "upheld", "decided_on": "0001-01-01"},
                     {"outcome": "upheld", "decided_on": "9999-12-31"}, {"outcome": "upheld", "decided_on": None},
                     {"outcome": "upheld", "notes": None}, {"outcome": "upheld", "notes": {"a": 1}},
                     {"outcome": "upheld", "decided_on": ago(11).isoformat()}]:
            call(b, "post", durl, body, "decide")
        call(api(world.staff), "post", durl, {"outcome": "upheld"}, "decide-staff")
        call(api(world.admin), "post", durl, {"outcome": "upheld"}, "decide-admin")
        call(b, "post", durl, {"outcome": "upheld"}, "decide-again")
        call(b, "post", f"/api/v1/cases/{ready_case.pk}/appeals/999999999/decide/", {"outcome": "upheld"}, "decide-missing")
        call(b, "post", f"/api/v1/cases/{ready_case.pk}/appeals/9999999999/decide/", {"outcome": "upheld"}, "decide-huge")
        call(api(world.other_staff), "get", f"/api/v1/cases/{ready_case.pk}/appeals/", None, "other-list")
        call(b, "get", f"/api/v1/cases/{ready_case.pk}/appeals/", None, "list")
        call(b, "get", f"/api/v1/cases/{ready_case.pk}/", None, "detail")

from decimal import Decimal
from tests.factories import PracticeRateFactory, PolicyRateFactory, RatePolicyFactory, ModifierFactory, ProviderFactory, CaseAttachmentFactory
from negotiations.models import Offer, OfferLine, ContactLog


def denied(api, world, case, days=10, **extra):
    submitted(case, days_ago=days + 10)
    r = api(world.staff).post(f"/api/v1/cases/{case.pk}/deny/", {"reason_category": "not_medically_necessary", "reason": "No.", "received_on": ago(days).isoformat(), **extra}, format="json")
    assert r.status_code == 200, r.content
    case.refresh_from_db()
    return case


def test_redeny_after_overturn(world, api, ready_case, aba_code):
    case = denied(api, world, ready_case)
    b = api(world.billing)
    r = call(b, "post", f"/api/v1/cases/{case.pk}/appeal/", {"level": "internal_1"}, "appeal1")
    # insurer reverses with an offer
    call(b, "post", f"/api/v1/cases/{case.pk}/offers/", {"party": "insurer", "lines": [{"billing_code": aba_code.pk, "rate": "14.00", "units": 400}]}, "offer-on-appealed")
    case.refresh_from_db(); OUT.append(f"status after offer: {case.status}; appeals {[ (a.level,a.outcome) for a in case.appeals.all()]}")
    call(api(world.staff), "post", f"/api/v1/cases/{case.pk}/deny/", {"reason_category": "not_medically_necessary", "reason": "Denied again."}, "redeny")
    d = call(b, "get", f"/api/v1/cases/{case.pk}/", None, "detail")
    OUT.append(f"after redeny: appealable={d.json()['appealable']} options={d.json()['appeal_options']} deadline={d.json()['appeal_deadline']}")
    for lvl in ("internal_1", "internal_2", "external_review"):
        call(b, "post", f"/api/v1/cases/{case.pk}/appeal/", {"level": lvl}, "appeal-after-redeny")


def test_withdraw_appealed_leaves_pending(world, api, ready_case):
    case = denied(api, world, ready_case)
    b = api(world.billing)
    call(b, "post", f"/api/v1/cases/{case.pk}/appeal/", {"level": "internal_1"}, "appeal1")
    call(api(world.staff), "post", f"/api/v1/cases/{case.pk}/withdraw/", {"reason": "Family moved."}, "withdraw-appealed")
    case.refresh_from_db()
    OUT.append(f"withdrawn: {case.status} appeals {[ (a.level,a.outcome) for a in case.appeals.all()]}")
    r = call(b, "get", "/api/v1/reports/summary/", None, "report")
    OUT.append(f"report appeals: {r.json()['appeals_by_insurer']}")


def test_withdrawn_level_then_refile(world, api, ready_case):
    case = denied(api, world, ready_case)
    b = api(world.billing)
    a = call(b, "post", f"/api/v1/cases/{case.pk}/appeal/", {"level": "internal_1"}, "appeal1").json()
    call(b, "post", f"/api/v1/cases/{case.pk}/appeals/{a['id']}/decide/", {"outcome": "withdrawn"}, "withdraw-level")
    d = b.get(f"/api/v1/cases/{case.pk}/").json()
    OUT.append(f"after withdrawn level: status={d['status']} options={d['appeal_options']} actions={d['allowed_actions']}")
    for lvl in ("internal_1", "internal_2", "external_review"):
        call(b, "post", f"/api/v1/cases/{case.pk}/appeal/", {"level": lvl}, "refile")


def _negotiating(api, world, case, aba_code):
    submitted(case)
    call(api(world.billing), "post", f"/api/v1/cases/{case.pk}/offers/", {"party": "insurer", "lines": [{"billing_code": aba_code.pk, "rate": "14.00", "units": 400}]}, "offer")


def test_counter_api_odd(world, api, ready_case, aba_code):
    case = ready_case
    _negotiating(api, world, case, aba_code)
    PracticeRateFactory(practice=world.practice, billing_code=aba_code, usual_rate=Decimal("20.00"))
    b = api(world.billing)
    url = f"/api/v1/cases/{case.pk}/offers/"
    L = lambda **kw: {"party": "practice", "lines": [{"billing_code": aba_code.pk, **kw}]}
    for body in [
        L(expressed_as="percent_of_billed", percent=0), L(expressed_as="percent_of_billed", percent=501),
        L(expressed_as="percent_of_billed", percent="abc"), L(expressed_as="percent_of_billed", percent="85.555"),
        L(expressed_as="percent_of_billed", percent=85, rate="15.00"), L(rate="15.00", percent=85),
        L(expressed_as="rate", percent=85), L(expressed_as="percent_of_billed"), L(expressed_as="percent_of_medicaid", percent=85),
        L(expressed_as="percent_of_tricare", percent=85), L(expressed_as="bogus", percent=85), L(expressed_as=None, rate="15.00"),
        L(expressed_as="", rate="15.00"), L(expressed_as=["rate"], rate="15.00"),
        L(expressed_as="percent_of_billed", percent=85, modifier="hn"), L(expressed_as="percent_of_billed", percent=85, modifier="ZZ"),
        L(expressed_as="percent_of_billed", percent=85, modifier="HN-HO"), L(expressed_as="percent_of_billed", percent=None),
        L(rate="15.00", units=0), L(rate="15.00", units=-1), L(rate="15.00", units=100001), L(rate="15.00", units="abc"), L(rate="15.00", units=1.5),
        L(rate="15.00", units=None), L(rate=None), L(rate="-1"), L(rate="1e3"), L(rate="NaN"), L(rate="Infinity"), L(rate="99999999.999"),
        L(expressed_as="percent_of_billed", percent="NaN"), L(expressed_as="percent_of_billed", percent="Infinity"), L(expressed_as="percent_of_billed", percent="1e2"),
        {"party": "practice", "lines": []}, {"party": "practice", "lines": None}, {"party": "practice", "lines": {"a": 1}}, {"party": "practice", "lines": [None]}, {"party": "practice", "lines": ["x"]},
        L(expressed_as="percent_of_billed", percent=85),
    ]:
        call(b, "post", url, body, "counter")
    for ln in OfferLine.objects.filter(offer__party="practice"):
        OUT.append(f"stored line rate={ln.rate} as={ln.expressed_as} pct={ln.percent} units={ln.units} mod={ln.modifier!r}")


def test_counter_percent_overflow(world, api, ready_case, aba_code):
    case = ready_case
    _negotiating(api, world, case, aba_code)
    PracticeRateFactory(practice=world.practice, billing_code=aba_code, usual_rate=Decimal("99999999.99"))
    b = api(world.billing)
    call(b, "post", f"/api/v1/cases/{case.pk}/offers/", {"party": "practice", "lines": [{"billing_code": aba_code.pk, "expressed_as": "percent_of_billed", "percent": "500"}]}, "counter-overflow")
    for ln in OfferLine.objects.filter(offer__party="practice"):
        OUT.append(f"stored overflow line rate={ln.rate}")
    call(b, "get", f"/api/v1/cases/{case.pk}/offers/", None, "list-offers")
    call(b, "get", f"/api/v1/cases/{case.pk}/", None, "detail")
