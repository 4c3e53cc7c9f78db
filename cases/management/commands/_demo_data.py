"""The demo's data (seed_demo): the practices, their users and providers, the insurers, the
rates of their policies and Bright Path's clients. Not a command (a leading underscore)."""

from cases.models import Role
from cases.services.reference import InsurerData
from cases.validators import make_npi

DEMO_PASSWORD = "demo12345"  # noqa: S105 - development-only demo logins, documented

PRACTICES = {
    "Bright Path ABA": dict(
        npi=make_npi("145678901"),
        tax_id="451234567",
        address_line1="200 Maple Avenue, Suite 3",
        city="Albany",
        state="NY",
        zip_code="12207",
        phone="518-555-0140",
        fax="518-555-0141",
        email="office@brightpath.example",
        signatory_name="Dana Whitfield, BCBA-D",
        signatory_title="Clinical Director",
    ),
    "Harbor Behavioral Health": dict(
        npi=make_npi("156789012"),
        tax_id="462345678",
        address_line1="14 Wharf Street",
        city="Portland",
        state="ME",
        zip_code="04101",
        phone="207-555-0190",
        email="admin@harbor.example",
        signatory_name="Lee Carver",
        signatory_title="Director",
    ),
}

USERS = [
    ("demo_staff", "Sam", "Staff", "Bright Path ABA", Role.STAFF),
    ("demo_billing", "Bea", "Billing", "Bright Path ABA", Role.BILLING),
    ("demo_admin", "Ada", "Admin", "Bright Path ABA", Role.ADMIN),
    ("other_staff", "Otto", "Other", "Harbor Behavioral Health", Role.STAFF),
    ("other_billing", "Olga", "Other", "Harbor Behavioral Health", Role.BILLING),
    ("other_admin", "Omar", "Other", "Harbor Behavioral Health", Role.ADMIN),
]

PROVIDERS = [
    ("Bright Path ABA", "Morgan", "Reyes", "BCBA", "160000001", "103K00000X"),
    ("Bright Path ABA", "Jordan", "Okafor", "BCaBA", "160000002", "106E00000X"),
    ("Bright Path ABA", "Riley", "Chen", "RBT", "160000003", "106S00000X"),
    ("Bright Path ABA", "Casey", "Nguyen", "RBT", "160000004", "106S00000X"),
    ("Harbor Behavioral Health", "Avery", "Stone", "BCBA", "160000005", "103K00000X"),
]

INSURERS: dict[str, InsurerData] = {
    "Evergreen Health Plan": InsurerData(
        payer_id="EVG01",
        sca_phone="800-555-0101",
        sca_fax="800-555-0102",
        sca_email="sca@evergreen.example",
        sca_address="PO Box 1001\nHartford, CT 06101",
        behavioral_health_org="Evergreen Behavioral Health Partners",
    ),
    "Summit Mutual Insurance": InsurerData(
        payer_id="SMT22",
        sca_phone="800-555-0201",
        sca_fax="800-555-0202",
        sca_address="Single Case Agreements Unit\n500 Summit Plaza\nDenver, CO 80202",
    ),
    "Liberty Military Health": InsurerData(
        payer_id="LMH77",
        sca_phone="800-555-0301",
        sca_fax="800-555-0302",
        portal_url="https://portal.liberty.example/sca",
    ),
}

# code -> (highest network rate, reference rate) per 15-minute unit
RATES = {
    "97151": ("32.00", "30.50"),
    "97152": ("18.00", "17.25"),
    "97153": ("15.00", "14.40"),
    "97154": ("6.50", "6.10"),
    "97155": ("30.00", "28.75"),
    "97156": ("28.00", "27.10"),
    "97157": ("9.00", "8.40"),
    "97158": ("12.00", "11.20"),
}

CLIENTS = [
    ("Ava", "Martinez", "2019-03-14", "Evergreen Health Plan", "EVG100201", "F84.0"),
    ("Liam", "Johnson", "2018-07-02", "Evergreen Health Plan", "EVG100202", "F84.0"),
    ("Mia", "Thompson", "2020-01-22", "Summit Mutual Insurance", "SMT300411", "F84.0"),
    ("Noah", "Williams", "2017-11-09", "Summit Mutual Insurance", "SMT300412", "F84.9"),
    ("Emma", "Brown", "2019-05-30", "Liberty Military Health", "LMH550031", "F84.0"),
    ("Elijah", "Davis", "2016-09-17", "Liberty Military Health", "LMH550032", "F84.5"),
    ("Olivia", "Garcia", "2021-02-11", "Evergreen Health Plan", "EVG100203", "F84.0"),
    ("Lucas", "Miller", "2018-12-03", "Summit Mutual Insurance", "SMT300413", "F84.8"),
    ("Sophia", "Wilson", "2020-08-25", "Evergreen Health Plan", "EVG100204", "F84.0"),
    ("Mason", "Anderson", "2017-04-19", "Liberty Military Health", "LMH550033", "F84.0"),
    ("Isabella", "Taylor", "2019-10-07", "Summit Mutual Insurance", "SMT300414", "F84.9"),
    ("Ethan", "Moore", "2018-06-28", "Evergreen Health Plan", "EVG100205", "F84.0"),
]
