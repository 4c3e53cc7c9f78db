import pytest
from django.utils import timezone


@pytest.fixture
def submitted_case(ready_case):
    ready_case.status = "submitted"
    ready_case.submitted_at = timezone.now()
    ready_case.save()
    return ready_case


@pytest.fixture
def offer_body(aba_code):
    def make(party="insurer", rate="14.00", **extra):
        return {
            "party": party,
            "received_on": timezone.localdate().isoformat(),
            "channel": "phone",
            "rep_name": "J. Rep",
            "reference_number": "REF-1",
            "lines": [
                {
                    "billing_code": aba_code.pk,
                    "modifier": "",
                    "rate": rate,
                    "units": 480,
                    "unit_period": "total",
                }
            ],
            **extra,
        }

    return make
