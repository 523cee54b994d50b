"""Admin figures per plan: each figure on a known dataset (worked by hand), the JSON and
CSV endpoints, who may call them, and the CSV formula-injection guard."""

from __future__ import annotations

import copy
import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from app.admin import service
from app.claims.models import CLAIM_STATUSES
from app.plans import service as plans

NOW = datetime(2024, 3, 1, 18, 30, tzinfo=UTC)  # 2 March 2024 02:30 in Asia/Shanghai

ZERO_CLAIMS = dict.fromkeys(CLAIM_STATUSES, 0)

# Worked by hand from tests/admin/conftest.py `dataset`. Roster: a–f normal (6), g
# suspended, h terminated.
EXPECTED: dict[str, dict[str, Any]] = {
    "xm-2023": {
        "roster_normal": 6,
        # a, b, c, e (insured again after cancelling), g (counted: insured, though the
        # roster has suspended them since); d cancelled
        "enrolled_persons": 5,
        "insured_rate_bp": 8333,  # 5 / 6 = 0.83333… floor
        "policies_issued": 5,
        "policies_cancelled": 2,  # d, and e's first policy
        "policies_by_tier": {"standard": 4, "pre_existing": 1},
        "policies_by_premium_rule": {"newborn": 1, "standard": 4},
        "premium_fen": 4 * 12900 + 9900,  # 61500: issued policies only
        "refunded_fen": 12900,  # d's refund, success
        "refund_pending_fen": 12900,  # e's refund, still requested
        "claims_by_status": {
            "draft": 1,
            "submitted": 1,
            "under_review": 1,
            "need_more_info": 1,
            "approved": 1,
            "paid": 2,
            "rejected": 1,
            "withdrawn": 1,
        },
        # submitted + under_review + need_more_info + approved + paid + paid + rejected;
        # not the draft (1000) nor the withdrawn claim (9000)
        "claimed_fen": 20000 + 30000 + 5000 + 40000 + 50000 + 10000 + 8000,
        "approved_fen": 25000 + 33333 + 7000,  # approved and paid
        "paid_fen": 33333 + 7000,
        "payout_ratio_bp": 6558,  # 40333 / 61500 = 0.655821… floor
    },
    "demo": {
        "roster_normal": 6,
        "enrolled_persons": 2,
        "insured_rate_bp": 3333,
        "policies_issued": 2,
        "policies_cancelled": 0,
        "policies_by_tier": {"standard": 1, "pre_existing": 1},
        "policies_by_premium_rule": {"newborn": 0, "standard": 2},
        "premium_fen": 25800,
        "refunded_fen": 0,
        "refund_pending_fen": 0,
        "claims_by_status": ZERO_CLAIMS,
        "claimed_fen": 0,
        "approved_fen": 0,
        "paid_fen": 0,
        "payout_ratio_bp": 0,
    },
}

CASES = [
    (code, name, value) for code, figures in EXPECTED.items() for name, value in figures.items()
]


@pytest.fixture
def now(set_clock):
    set_clock(NOW)
    return NOW


@pytest.mark.parametrize(("code", "name", "expected"), CASES, ids=[f"{c}-{n}" for c, n, _ in CASES])
def test_each_figure_on_the_known_dataset(session, dataset, code, name, expected):
    figures = {f.plan_code: f.as_dict() for f in service.plan_figures(session)}
    assert figures[code][name] == expected


def test_the_expected_table_names_every_figure(session, dataset):
    plan = service.plan_figures(session, "demo")[0].as_dict()
    described = {"plan_code", "plan_version", "plan_name", "plan_year", "scheme", "is_demo"}
    assert set(plan) == described | set(EXPECTED["demo"])


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (0, 0, None),  # nothing to divide by
        (5, 0, None),
        (0, 5, 0),
        (1, 3, 3333),  # floor, not 3333.33
        (2, 3, 6666),  # floor, not rounded up to 6667
        (5, 5, 10000),
        (3, 2, 15000),  # a payout ratio can pass 100 %
        (40333, 61500, 6558),
    ],
)
def test_ratio_in_basis_points_floors(part, whole, expected):
    assert service.ratio_bp(part, whole) == expected


@pytest.mark.parametrize(
    ("fen", "text"), [(0, "0.00"), (5, "0.05"), (100, "1.00"), (1234567, "12345.67")]
)
def test_yuan_has_two_decimals_and_no_separator(fen, text):
    assert f"{service.yuan(fen):f}" == text


# --- the JSON endpoint ---------------------------------------------------------------


def test_admin_gets_every_plan_in_window_order(admin_client, dataset, now):
    resp = admin_client.get("/api/v1/staff/figures")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["generated_at"] == "2024-03-01T18:30:00+00:00"
    assert [p["plan_code"] for p in body["plans"]] == ["xm-2023", "demo"]
    xm = body["plans"][0]
    assert xm["plan_name"] == {"zh": "惠厦保（2023年度）", "en": "Huixia Bao 2023"}
    assert (xm["plan_version"], xm["plan_year"], xm["scheme"], xm["is_demo"]) == (
        1,
        2023,
        "xm-huixiabao",
        False,
    )
    for plan in body["plans"]:
        assert {k: plan[k] for k in EXPECTED[plan["plan_code"]]} == EXPECTED[plan["plan_code"]]


def test_one_plan_by_code(admin_client, dataset):
    body = admin_client.get("/api/v1/staff/figures?plan=demo").get_json()
    assert [p["plan_code"] for p in body["plans"]] == ["demo"]
    assert body["plans"][0]["premium_fen"] == 25800


@pytest.mark.parametrize("path", ["/api/v1/staff/figures", "/api/v1/staff/figures.csv"])
def test_unknown_plan_is_404_in_the_error_format(admin_client, samples, path):
    resp = admin_client.get(path + "?plan=no-such-plan")
    assert resp.status_code == 404
    body = resp.get_json()
    assert body["error"] == "plan_not_found" and body["code"] == 404
    assert body["message"] and body["message_zh"]


@pytest.mark.parametrize("query", ["plan=", "plan=" + "x" * 65], ids=["empty", "too-long"])
def test_bad_query_is_422(admin_client, samples, query):
    resp = admin_client.get("/api/v1/staff/figures?" + query)
    assert resp.status_code == 422
    assert resp.get_json()["error"] == "validation_error"


def test_no_premium_and_no_roster_give_null_ratios(admin_client, samples):
    """Nothing sold, nobody on the roster: the ratios are null, never a division by 0."""
    body = admin_client.get("/api/v1/staff/figures?plan=xm-2023").get_json()
    plan = body["plans"][0]
    assert plan["roster_normal"] == 0 and plan["insured_rate_bp"] is None
    assert plan["premium_fen"] == 0 and plan["payout_ratio_bp"] is None
    assert plan["claims_by_status"] == ZERO_CLAIMS
    assert plan["policies_by_tier"] == {"standard": 0, "pre_existing": 0}
    assert plan["policies_by_premium_rule"] == {"newborn": 0, "standard": 0}


def test_a_roster_but_no_policies_is_a_zero_rate(admin_client, samples, roster):
    plan = admin_client.get("/api/v1/staff/figures?plan=demo").get_json()["plans"][0]
    assert (plan["roster_normal"], plan["enrolled_persons"], plan["insured_rate_bp"]) == (6, 0, 0)


def test_versions_of_a_plan_add_up_under_the_latest_name(session, samples, roster, insure):
    v1 = samples["xm-2023"]
    doc = copy.deepcopy(v1.terms)
    doc["name"]["en"] = "Huixia Bao 2023 (revised)"
    v2 = plans.publish(session, doc).plan
    assert v2.version == 2
    insure(v1, roster["a"])
    insure(v2, roster["b"], premium_fen=9900, rule="newborn")
    (plan,) = service.plan_figures(session, "xm-2023")
    assert (plan.plan_version, plan.plan_name_en) == (2, "Huixia Bao 2023 (revised)")
    assert (plan.policies_issued, plan.enrolled_persons, plan.premium_fen) == (2, 2, 22800)
    assert plan.policies_by_premium_rule == {"newborn": 1, "standard": 1}


# --- who may ask ---------------------------------------------------------------------

PATHS = ["/api/v1/staff/figures", "/api/v1/staff/figures.csv"]


@pytest.mark.parametrize("path", PATHS)
def test_reviewer_is_refused(client, samples, staff_login, path):
    staff_login(client, "reviewer.figures", ["reviewer"])
    resp = client.get(path)
    assert resp.status_code == 403
    assert resp.get_json()["error"] == "role_forbidden"


@pytest.mark.parametrize("path", PATHS)
def test_logged_out_is_401(client, samples, path):
    resp = client.get(path)
    assert resp.status_code == 401
    assert resp.get_json()["error"] == "staff_login_required"


@pytest.mark.parametrize("path", PATHS)
def test_a_member_session_is_not_staff(client, samples, member_login, path):
    member_login(client)
    assert client.get(path).status_code == 401


# --- the CSV export ------------------------------------------------------------------

HEADER = (
    "plan_code,plan_version,plan_name_zh,plan_name_en,plan_year,scheme,is_demo,"
    "roster_normal,enrolled_persons,insured_rate_bp,insured_rate_percent,"
    "policies_issued,policies_cancelled,policies_standard,policies_pre_existing,"
    "policies_by_premium_rule,premium_fen,premium_yuan,refunded_fen,refunded_yuan,"
    "refund_pending_fen,refund_pending_yuan,claims_draft,claims_submitted,"
    "claims_under_review,claims_need_more_info,claims_approved,claims_paid,"
    "claims_rejected,claims_withdrawn,claimed_fen,claimed_yuan,approved_fen,approved_yuan,"
    "paid_fen,paid_yuan,payout_ratio_bp,payout_ratio_percent,generated_at"
).split(",")

MONEY = ["premium", "refunded", "refund_pending", "claimed", "approved", "paid"]
RATIOS = ["insured_rate", "payout_ratio"]
COUNTS = ["plan_version", "plan_year", "roster_normal", "enrolled_persons"]
COUNTS += ["policies_issued", "policies_cancelled"]


def read_csv(resp) -> tuple[list[str], list[dict[str, str]]]:
    assert resp.data.startswith(b"\xef\xbb\xbf"), "UTF-8 byte order mark first"
    reader = csv.DictReader(io.StringIO(resp.data.decode("utf-8-sig"), newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def row_as_figures(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row turned back into the JSON's PlanFigures, checking that the yuan and
    percent columns say the same as the fen and basis-point ones."""
    out: dict[str, Any] = {
        "plan_code": row["plan_code"],
        "plan_name": {"zh": row["plan_name_zh"], "en": row["plan_name_en"]},
        "scheme": row["scheme"],
        "is_demo": {"true": True, "false": False}[row["is_demo"]],
        **{name: int(row[name]) for name in COUNTS},
        "policies_by_tier": {
            "standard": int(row["policies_standard"]),
            "pre_existing": int(row["policies_pre_existing"]),
        },
        "policies_by_premium_rule": {
            code: int(n)
            for code, n in (item.split(":") for item in row["policies_by_premium_rule"].split(";"))
        },
        "claims_by_status": {s: int(row[f"claims_{s}"]) for s in CLAIM_STATUSES},
    }
    for name in MONEY:
        fen = int(row[f"{name}_fen"])
        assert Decimal(row[f"{name}_yuan"]) * 100 == fen
        assert row[f"{name}_yuan"].count(".") == 1 and len(row[f"{name}_yuan"].split(".")[1]) == 2
        out[f"{name}_fen"] = fen
    for name in RATIOS:
        bp = row[f"{name}_bp"]
        out[f"{name}_bp"] = int(bp) if bp else None
        pct = row[f"{name}_percent"]
        assert (Decimal(pct) * 100 if pct else None) == out[f"{name}_bp"]
    return out


def test_csv_is_the_json_figures(admin_client, dataset, now):
    resp = admin_client.get("/api/v1/staff/figures.csv")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="figures-20240302.csv"'
    assert resp.headers["Cache-Control"] == "private, no-store"
    assert b"\r\n" in resp.data  # RFC 4180 line ends
    header, rows = read_csv(resp)
    assert header == HEADER
    assert list(service.CSV_HEADER) == HEADER
    as_json = admin_client.get("/api/v1/staff/figures").get_json()
    assert [row_as_figures(r) for r in rows] == as_json["plans"]
    assert {r["generated_at"] for r in rows} == {as_json["generated_at"]}


def test_csv_of_one_plan_and_null_ratios_as_empty_cells(admin_client, samples):
    header, rows = read_csv(admin_client.get("/api/v1/staff/figures.csv?plan=xm-2023"))
    assert header == HEADER
    assert [r["plan_code"] for r in rows] == ["xm-2023"]
    assert rows[0]["plan_name_zh"] == "惠厦保（2023年度）"
    assert rows[0]["payout_ratio_bp"] == rows[0]["payout_ratio_percent"] == ""
    assert rows[0]["premium_yuan"] == "0.00"


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("惠厦保（2023年度）", "惠厦保（2023年度）"),
        ("a=b", "a=b"),  # only a leading character makes a formula
        ("", ""),
    ],
)
def test_formula_guard(text, cell):
    assert service.csv_text(text) == cell


def test_plan_names_that_look_like_formulas_are_defused_in_the_csv(admin_client, session, samples):
    doc = copy.deepcopy(samples["xm-2023"].terms)
    doc["name"] = {"zh": "=cmd|' /C calc'!A0", "en": "@SUM(1+1)*cmd|' /C calc'!A0"}
    plans.publish(session, doc)
    _header, rows = read_csv(admin_client.get("/api/v1/staff/figures.csv?plan=xm-2023"))
    assert rows[0]["plan_name_zh"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["plan_name_en"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    # the JSON is not a spreadsheet: it keeps the name as it is
    body = admin_client.get("/api/v1/staff/figures?plan=xm-2023").get_json()
    assert body["plans"][0]["plan_name"]["zh"] == "=cmd|' /C calc'!A0"


def test_csv_numbers_are_never_quoted_as_formulas(admin_client, dataset):
    """Every cell but the text ones is a plain number, empty, or true/false."""
    _header, rows = read_csv(admin_client.get("/api/v1/staff/figures.csv"))
    text = {"plan_code", "plan_name_zh", "plan_name_en", "scheme", "is_demo"}
    text |= {"policies_by_premium_rule", "generated_at"}
    for row in rows:
        for name, value in row.items():
            if name not in text:
                assert value == "" or Decimal(value) >= 0, (name, value)
