import io

from django.core.management import call_command

from billing_codes.models import BillingCode, Modifier
from billing_codes.services import load_codes

ABA_CPT = {"97151", "97152", "0362T", "97153", "97154", "97155", "97156", "97157", "97158", "0373T"}
MEDICAID_HCPCS = {"H0031", "H0032", "H2012", "H2014", "H2019"}


def _snapshot():
    return (
        sorted(
            BillingCode.objects.values_list(
                "code", "system", "short_description", "is_aba", "is_active"
            )
        ),
        sorted(Modifier.objects.values_list("code", "description", "is_active")),
    )


def test_load_billing_codes_ships_every_aba_and_medicaid_code(db):
    call_command("load_billing_codes", stdout=io.StringIO())
    codes = set(BillingCode.objects.values_list("code", flat=True))
    assert codes >= ABA_CPT | MEDICAID_HCPCS
    assert set(BillingCode.objects.filter(code__in=ABA_CPT).values_list("is_aba", flat=True)) == {
        True
    }
    assert BillingCode.objects.get(code="H2012").unit_minutes == 60
    assert {"HM", "HN", "HO", "95", "GT"} <= set(Modifier.objects.values_list("code", flat=True))


def test_load_billing_codes_twice_leaves_the_same_rows(db):
    out = io.StringIO()
    call_command("load_billing_codes", stdout=out)
    first = _snapshot()
    out = io.StringIO()
    call_command("load_billing_codes", stdout=out)
    assert _snapshot() == first
    assert "0 added, 0 updated" in out.getvalue()


def test_csv_with_bad_lines_reports_them_and_imports_the_good_ones(db, tmp_path):
    call_command("load_billing_codes", stdout=io.StringIO())
    csv_file = tmp_path / "more.csv"
    csv_file.write_text(
        "code,system,short_description,category,unit_minutes,is_aba\n"
        "90837,CPT,Psychotherapy 60 minutes,other,60,false\n"  # line 2: good
        "ABCDE,CPT,Not a code,other,15,false\n"  # line 3: bad code
        "92507,CPT,Speech therapy treatment,treatment,,maybe\n"  # line 4: bad boolean
        "97153,CPT,Treatment by protocol (updated description),treatment,15,true\n"  # line 5
        "G0151,HCPCS,,other,15,false\n",  # line 6: no description
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("load_billing_codes", csv=str(csv_file), stdout=out, stderr=err)
    assert "1 added, 1 updated, 0 unchanged, 3 rejected" in out.getvalue()
    errors = err.getvalue()
    assert "line 3:" in errors and "ABCDE" in errors
    assert "line 4:" in errors and "is_aba" in errors
    assert "line 6:" in errors and "short_description" in errors
    assert BillingCode.objects.filter(code="90837", is_aba=False).exists()
    assert not BillingCode.objects.filter(code="ABCDE").exists()
    assert BillingCode.objects.get(code="97153").short_description.endswith("(updated description)")


def test_csv_without_a_code_column_is_rejected_whole(db):
    report = load_codes(stream=io.StringIO("name,price\nx,1\n"))
    assert report.added == 0
    assert report.rejected[0][0] == 1
