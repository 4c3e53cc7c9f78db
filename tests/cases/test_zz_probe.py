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
