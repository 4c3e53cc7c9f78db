"""The data migration that gives every practice its own rate policies (issue 13,
``cases/migrations/0011_policies_per_practice.py``), run on data built with the historical
models of 0010 and checked with the current ones.

Each test migrates the database back and forward, so each one is transactional and puts the
database back at the latest migrations afterwards, whatever happens: the test database is
shared with the rest of the suite."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from billing_codes.models import BillingCode
from cases.models import Case, Insurer, PolicyRate, Practice, RatePolicy

BEFORE = "0010_practice_reference_data"
DATA_MIGRATION = "0011_policies_per_practice"

# Columns later migrations added (0014: the care-under-way windows and required documents;
# 0016: appeal days and renewal searches):
# the 0010 models the originals are built with have none of them.
LATER_COLUMNS = {
    "retro_days",
    "continuity_days",
    "required_attachments",
    "required_provider_documents",
    "appeal_days",
    "renewal_requires_searches",
}
# What a copy must repeat: every column but its own identity, its practice and its timestamps.
POLICY_TERMS = [
    f.attname
    for f in RatePolicy._meta.concrete_fields
    if f.name not in {"id", "practice", "created_at", "updated_at", *LATER_COLUMNS}
]
RATE_TERMS = [f.attname for f in PolicyRate._meta.concrete_fields if f.name not in {"id", "policy"}]


class Migrations:
    """Moves the cases app between its migrations, the other apps staying at their latest."""

    def __init__(self):
        self.latest = MigrationExecutor(connection).loader.graph.leaf_nodes()

    def targets(self, cases_migration: str) -> list[tuple[str, str]]:
        return [node for node in self.latest if node[0] != "cases"] + [("cases", cases_migration)]

    def migrate(self, targets, *, fake: bool = False):
        """Migrate to ``targets``; return the historical apps of that state."""
        executor = MigrationExecutor(connection)
        executor.migrate(targets, fake=fake)
        executor.loader.build_graph()
        return executor.loader.project_state(targets).apps

    def back_to_0010(self):
        """The apps of 0010, on an empty database. 0011 refuses to be reversed (which is tested
        below), but it is a data migration and changes no schema: with no data to take back,
        recording it unapplied is the whole of reversing it."""
        apps = self.migrate(self.targets(DATA_MIGRATION))  # 0012 (and any later) really
        assert not apps.get_model("cases", "RatePolicy").objects.exists()
        return self.migrate(self.targets(BEFORE), fake=True)

    def forward(self):
        self.migrate(self.latest)


@pytest.fixture
def migrations(transactional_db):
    helper = Migrations()
    try:
        yield helper
    finally:
        try:
            helper.forward()
        except Exception:
            # A migration failed on the test's data: drop the data, so that the database is
            # still put back for the rest of the suite, and report the failure.
            call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
            helper.forward()
            raise


def _aware(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def _shared_policies(apps):
    """One insurer with two shared policies (practice empty, as before issue 13), their rates
    and their history rows, as they stood at 0010. Returns the historical instances."""
    Insurer0010 = apps.get_model("cases", "Insurer")
    BillingCode0010 = apps.get_model("billing_codes", "BillingCode")
    RatePolicy0010 = apps.get_model("cases", "RatePolicy")
    PolicyRate0010 = apps.get_model("cases", "PolicyRate")
    HistoricalRatePolicy0010 = apps.get_model("cases", "HistoricalRatePolicy")

    insurer = Insurer0010.objects.create(name="Evergreen Health Plan")
    direct = BillingCode0010.objects.create(
        code="97153",
        system="CPT",
        short_description="Adaptive behavior treatment",
        category="treatment",
    )
    supervision = BillingCode0010.objects.create(
        code="97155", system="CPT", short_description="Protocol modification", category="treatment"
    )
    current = RatePolicy0010.objects.create(
        insurer=insurer,
        effective_from=dt.date(2024, 1, 1),
        kind="percent_of_reference",
        percent=Decimal("85.50"),
        reference_schedule="medicare",
        min_network_attempts=5,
        requires_consent=True,
        requires_pre_treatment=False,
        max_agreement_days=180,
        expected_response_days=14,
        submission_channel="fax",
        protocol_notes="Fax the request with the network search log.",
        confirmed_with="J. Rivera, provider relations",
        confirmed_on=dt.date(2023, 12, 15),
        reference="CALL-2023-1215",
    )
    PolicyRate0010.objects.create(
        policy=current,
        billing_code=direct,
        modifier="",
        highest_network_rate=Decimal("18.25"),
        reference_rate=Decimal("21.40"),
    )
    PolicyRate0010.objects.create(
        policy=current,
        billing_code=supervision,
        modifier="HO",
        highest_network_rate=Decimal("29.00"),
        reference_rate=None,
    )
    past = RatePolicy0010.objects.create(
        insurer=insurer,
        effective_from=dt.date(2021, 1, 1),
        effective_to=dt.date(2023, 11, 30),  # December 2023: no policy was in force
        kind="negotiable",
        submission_channel="portal",
        protocol_notes="Counter-offers accepted within 10 days.",
    )
    PolicyRate0010.objects.create(
        policy=past, billing_code=direct, highest_network_rate=Decimal("16.00")
    )
    for policy, kinds in ((current, "+"), (past, "+~")):
        policy.refresh_from_db()
        for kind in kinds:
            HistoricalRatePolicy0010.objects.create(
                **{f.attname: getattr(policy, f.attname) for f in policy._meta.concrete_fields},
                history_date=policy.created_at,
                history_type=kind,
            )
    return SimpleNamespace(insurer=insurer, current=current, past=past)


def _world(apps):
    """Two practices sharing the insurer's policies, with their cases, at 0010."""
    Practice0010 = apps.get_model("cases", "Practice")
    Client0010 = apps.get_model("cases", "Client")
    Case0010 = apps.get_model("cases", "Case")

    # Created in this order, so Bright Path has the lower id: the first practice.
    first = Practice0010.objects.create(name="Bright Path ABA")
    second = Practice0010.objects.create(name="Harbor Behavioral Health")
    shared = _shared_policies(apps)

    def case(practice, status, submitted_at=None):
        client = Client0010.objects.create(
            practice=practice,
            first_name="Sam",
            last_name=f"Client {status}",
            date_of_birth=dt.date(2016, 5, 1),
            insurer=shared.insurer,
            member_id=f"EV{practice.pk}{status[:3].upper()}",
        )
        return Case0010.objects.create(
            practice=practice,
            client=client,
            insurer=shared.insurer,
            reason="network_inadequacy",
            status=status,
            submitted_at=submitted_at,
        )

    return SimpleNamespace(
        first=first,
        second=second,
        **vars(shared),
        # Submitted while the current policy was in force, one in each practice.
        first_case=case(first, "submitted", _aware(2024, 3, 5, 15, 0)),
        second_case=case(second, "in_negotiation", _aware(2024, 6, 10, 14, 30)),
        # 03:00 UTC on 1 December is still 30 November in New York (TIME_ZONE): the past
        # policy's last day, as the code of the time read the date of submission.
        last_day_case=case(second, "approved", _aware(2023, 12, 1, 3, 0)),
        # No policy in force: before either started, or after the past one ended.
        early_case=case(first, "denied", _aware(2020, 6, 1, 15, 0)),
        gap_case=case(first, "withdrawn", _aware(2023, 12, 15, 15, 0)),
        draft=case(first, "draft"),
    )


def _terms(policy) -> dict:
    return {name: getattr(policy, name) for name in POLICY_TERMS}


def _rates(policy) -> set[tuple]:
    return {
        tuple(getattr(rate, name) for name in RATE_TERMS)
        for rate in PolicyRate.objects.filter(policy_id=policy.pk)
    }


def _copy_of(original, practice) -> RatePolicy:
    """``practice``'s policy for the original's insurer and period (exactly one)."""
    return RatePolicy.objects.get(
        practice_id=practice.pk,
        insurer_id=original.insurer_id,
        line_of_business=original.line_of_business,
        effective_from=original.effective_from,
    )


@pytest.mark.django_db(transaction=True)
def test_every_practice_gets_its_own_copy_of_each_shared_policy(migrations):
    old = _world(migrations.back_to_0010())
    expected = {
        name: (_terms(policy), _rates(policy))
        for name, policy in (("current", old.current), ("past", old.past))
    }

    migrations.forward()

    assert not RatePolicy.objects.filter(practice__isnull=True).exists()
    assert RatePolicy.objects.count() == 4
    for practice in (old.first, old.second):
        assert RatePolicy.objects.filter(practice_id=practice.pk).count() == 2
        for name, original in (("current", old.current), ("past", old.past)):
            copy = _copy_of(original, practice)
            assert (_terms(copy), _rates(copy)) == expected[name], (practice.name, name)
    # The copies are rows of their own, rates included.
    for original in (old.current, old.past):
        first, second = _copy_of(original, old.first), _copy_of(original, old.second)
        assert first.pk != second.pk
        assert not (
            set(PolicyRate.objects.filter(policy=first).values_list("pk", flat=True))
            & set(PolicyRate.objects.filter(policy=second).values_list("pk", flat=True))
        )
    assert PolicyRate.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_no_practice_sees_the_shared_history_and_each_copy_starts_its_own(migrations):
    old = _world(migrations.back_to_0010())

    migrations.forward()

    for original in (old.current, old.past):
        # The shared original is gone; its history stays, but in no practice's audit.
        assert not RatePolicy.objects.filter(pk=original.pk).exists()
        history = RatePolicy.history.filter(id=original.pk)
        assert history.exists()
        assert set(history.values_list("practice_id", flat=True)) == {None}
        for practice in (old.first, old.second):
            copy = _copy_of(original, practice)
            rows = list(RatePolicy.history.filter(id=copy.pk))
            assert [(r.history_type, r.practice_id) for r in rows] == [("+", practice.pk)]
            assert f"shared policy #{original.pk}" in rows[0].history_change_reason
            rate_rows = PolicyRate.history.filter(policy_id=copy.pk)
            assert rate_rows.count() == copy.rates.count() > 0
            assert set(rate_rows.values_list("history_type", flat=True)) == {"+"}


@pytest.mark.django_db(transaction=True)
def test_each_submitted_case_records_its_own_practices_copy_in_force_on_its_submission_date(
    migrations,
):
    old = _world(migrations.back_to_0010())

    migrations.forward()

    def recorded(case):
        return Case.objects.get(pk=case.pk).rate_policy

    first_case = recorded(old.first_case)
    assert first_case == _copy_of(old.current, old.first)
    second_case = recorded(old.second_case)
    assert second_case == _copy_of(old.current, old.second)
    assert second_case.practice_id == old.second.pk
    # The local date of submission picks the policy, not the UTC one.
    assert recorded(old.last_day_case) == _copy_of(old.past, old.second)
    # Nothing was in force: nothing is recorded (the case reads none, as before).
    assert recorded(old.early_case) is None
    assert recorded(old.gap_case) is None


@pytest.mark.django_db(transaction=True)
def test_a_draft_case_records_no_policy(migrations):
    old = _world(migrations.back_to_0010())

    migrations.forward()

    draft = Case.objects.get(pk=old.draft.pk)
    assert draft.status == "draft"
    assert draft.rate_policy is None


@pytest.mark.django_db(transaction=True)
def test_with_no_practice_the_shared_policies_are_deleted(migrations):
    old = _shared_policies(migrations.back_to_0010())

    migrations.forward()

    assert not Practice.objects.exists()
    assert not RatePolicy.objects.exists()
    assert not PolicyRate.objects.exists()
    # Only the policies go: the insurer directory and the code catalog stay.
    assert Insurer.objects.filter(pk=old.insurer.pk).exists()
    assert BillingCode.objects.filter(code__in=["97153", "97155"]).count() == 2


@pytest.mark.django_db(transaction=True)
def test_reversing_the_data_migration_is_refused_with_the_reason(migrations):
    migrations.migrate(migrations.targets(DATA_MIGRATION))  # undo 0012: NOT NULL practice

    with pytest.raises(IrreversibleError) as refused:
        migrations.migrate(migrations.targets(BEFORE))

    message = str(refused.value)
    assert "belong to practices" in message
    assert "one practice's rates" in message
    assert "Restore the database from a backup" in message
    # Refused before anything changed: the migration is still applied.
    applied = MigrationRecorder(connection).applied_migrations()
    assert ("cases", DATA_MIGRATION) in applied
