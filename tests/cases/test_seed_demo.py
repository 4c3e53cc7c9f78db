import io

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from cases.models import Membership
from cases.selectors.readiness import case_readiness

COUNTED = [
    "cases.Practice",
    "cases.Membership",
    "cases.Client",
    "cases.Provider",
    "cases.Insurer",
    "cases.RatePolicy",
    "cases.PolicyRate",
    "cases.Case",
    "cases.RequestedService",
    "cases.NetworkSearch",
    "cases.Consent",
    "cases.CaseEvent",
    "cases.Appeal",
    "billing_codes.BillingCode",
    "billing_codes.Modifier",
    "auth.User",
]


def _counts():
    return {label: apps.get_model(label).objects.count() for label in COUNTED}


def test_seed_demo_twice_leaves_the_same_rows(db):
    call_command("seed_demo", force=True, stdout=io.StringIO())
    first = _counts()
    out = io.StringIO()
    call_command("seed_demo", force=True, stdout=out)
    assert _counts() == first
    assert "demo_staff" in out.getvalue() and "demo12345" in out.getvalue()


def test_seed_demo_creates_the_documented_logins_and_data(db):
    call_command("seed_demo", force=True, stdout=io.StringIO())
    User = get_user_model()
    roles = {
        (m.user.username, m.practice.name): m.role
        for m in Membership.objects.select_related("user", "practice")
    }
    assert roles == {
        ("demo_staff", "Bright Path ABA"): "staff",
        ("demo_billing", "Bright Path ABA"): "billing",
        ("demo_admin", "Bright Path ABA"): "admin",
        ("other_staff", "Harbor Behavioral Health"): "staff",
        ("other_billing", "Harbor Behavioral Health"): "billing",
        ("other_admin", "Harbor Behavioral Health"): "admin",
    }
    assert User.objects.get(username="demo_staff").check_password("demo12345")
    counts = _counts()
    assert counts["cases.Client"] >= 12
    bright_providers = apps.get_model("cases.Provider").objects.filter(
        practice__name="Bright Path ABA"
    )
    assert sorted(bright_providers.values_list("credential", flat=True)) == [
        "BCBA",
        "BCaBA",
        "RBT",
        "RBT",
    ]
    kinds = set(apps.get_model("cases.RatePolicy").objects.values_list("kind", flat=True))
    assert kinds == {"negotiable", "highest_network_rate", "percent_of_reference"}
    # Each practice keeps its own policies, and the two disagree about Evergreen.
    evergreen = {
        p.practice.name: p.kind
        for p in apps.get_model("cases.RatePolicy")
        .objects.filter(insurer__name="Evergreen Health Plan")
        .select_related("practice")
    }
    assert evergreen == {
        "Bright Path ABA": "negotiable",
        "Harbor Behavioral Health": "highest_network_rate",
    }
    # the demo drafts show both a ready case and one that is not
    Case = apps.get_model("cases.Case")
    drafts = Case.objects.filter(status="draft").order_by("id")
    assert [case_readiness(c).ready for c in drafts] == [False, True]
    assert set(Case.objects.values_list("status", flat=True)) >= {
        "draft",
        "submitted",
        "denied",
        "appealed",
        "withdrawn",
    }
    # the screenshots show an appealed case: denied as not medically necessary, then appealed
    appealed = Case.objects.get(practice__name="Bright Path ABA", status="appealed")
    assert appealed.denial_category == "not_medically_necessary"
    assert list(appealed.appeals.values_list("level", "outcome")) == [("internal_1", "pending")]


def test_seed_demo_refuses_in_production_mode_without_force(db, settings):
    import pytest
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=io.StringIO())
