import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cases.models import Case, CaseStatus, Client
from negotiations.models import Agreement, Offer, UtilizationEntry


def test_seed_scale_spreads_cases_over_every_status(db):
    out = io.StringIO()
    call_command("seed_scale", cases=400, clients=60, practices=2, insurers=4, stdout=out)
    assert Case.objects.count() == 400 and Client.objects.count() == 60
    assert set(Case.objects.values_list("status", flat=True)) == set(CaseStatus.values)
    assert (
        Agreement.objects.count() == Case.objects.filter(status__in=["approved", "expired"]).count()
    )
    assert (
        Offer.objects.filter(status="open").count()
        == Case.objects.filter(status="in_negotiation").count()
    )
    assert UtilizationEntry.objects.exists()
    # every case belongs to its client's practice, and submitted ones have a date
    assert not Case.objects.exclude(practice_id=models_client_practice()).exists()
    assert not Case.objects.filter(status="submitted", submitted_at__isnull=True).exists()
    assert "seed_scale finished in" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("seed_scale", cases=10, clients=5, stdout=io.StringIO())


def models_client_practice():
    from django.db.models import F

    return F("client__practice_id")
