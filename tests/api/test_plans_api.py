"""The public plan endpoints: contract, figures and errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.plans.models import Plan

YUAN = 100


def post(client: Any, url: str, body: Any) -> Any:
    return client.post(url, json=body)


def assert_error(resp: Any, status: int, error: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["code"] == status
    assert body["error"] == error
    assert body["message"] and body["message_zh"]
    assert body["status"]
    return body


# --- reading plans ---------------------------------------------------------------


def test_list_plans(client, samples):
    resp = client.get("/api/v1/plans")
    assert resp.status_code == 200
    codes = [p["code"] for p in resp.get_json()]
    assert codes == ["xm-2023", "demo"]


def test_plan_detail_contract(client, samples):
    resp = client.get("/api/v1/plans/xm-2023")
    assert resp.status_code == 200
    plan = resp.get_json()
    assert plan["name"] == {"zh": "惠厦保（2023年度）", "en": "Huixia Bao 2023"}
    assert plan["enrollment"]["opens_at"] == "2023-04-25T00:00:00+08:00"
    assert plan["enrollment"]["closes_at"] == "2023-07-01T00:00:00+08:00"
    assert plan["coverage"]["start"] == "2023-07-01"
    assert plan["coverage"]["end"] == "2024-06-30"
    assert [(p["code"], p["premium_fen"]) for p in plan["premiums"]] == [
        ("newborn", 99 * YUAN),
        ("standard", 129 * YUAN),
    ]
    assert plan["premiums"][0]["born_on_or_after"] == "2022-07-01"
    assert plan["deductible_groups"] == [
        {
            "code": "hospital",
            "name": {"zh": "住院及门特", "en": "Hospital and outpatient special diseases"},
            "amount_fen": {"standard": 20_000 * YUAN, "pre_existing": 30_000 * YUAN},
        }
    ]
    liabilities = [
        (
            li["code"],
            li["deductible_group"],
            li["ratio_bp"]["standard"],
            li["ratio_bp"]["pre_existing"],
            li["annual_cap_fen"],
        )
        for li in plan["liabilities"]
    ]
    assert liabilities == [
        ("in_catalog", "hospital", 8000, 4000, 1_500_000 * YUAN),
        ("out_of_catalog", "hospital", 7000, 3500, 1_500_000 * YUAN),
        ("special_drugs", None, 8000, 4000, 1_000_000 * YUAN),
        ("proton_heavy_ion", None, 7000, 3500, 500_000 * YUAN),
    ]
    assert plan["overall_cap_fen"] == 4_500_000 * YUAN
    assert len(plan["pre_existing_conditions"]) == 12
    assert {"code": "diabetes", "name": {"zh": "糖尿病", "en": "diabetes"}} in plan[
        "pre_existing_conditions"
    ]
    drugs = {d["code"]: d for d in plan["special_drugs"]}
    assert len(drugs) >= 10
    assert {"axi-cel", "relma-cel"} <= set(drugs)
    assert drugs["axi-cel"]["brand"]["zh"] == "奕凯达"
    assert [t["code"] for t in plan["tiers"]] == ["standard", "pre_existing"]
    assert plan["claim_filing_deadline_years"] == 2
    assert {c["code"] for c in plan["claim_types"]} == {
        "hospital",
        "special_drug",
        "proton_heavy_ion",
    }


def test_unknown_plan_is_404(client, samples):
    assert_error(client.get("/api/v1/plans/nope"), 404, "plan_not_found")


def test_current_plan_is_the_open_demo(client, samples):
    resp = client.get("/api/v1/plans/current")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["code"] == "demo"
    assert body["is_demo"] is True
    assert body["enrollment"]["state"] == "open"
    assert "演示" in body["name"]["zh"] and "Demo" in body["name"]["en"]


def test_current_plan_next_one_when_none_open(client, samples, set_clock):
    set_clock(datetime(2023, 1, 1, tzinfo=UTC))
    body = client.get("/api/v1/plans/current").get_json()
    assert body["code"] == "xm-2023"
    assert body["enrollment"]["state"] == "upcoming"


def test_current_plan_none(client, samples, set_clock):
    set_clock(datetime(2099, 1, 1, tzinfo=UTC))
    assert_error(client.get("/api/v1/plans/current"), 404, "no_current_plan")


@pytest.mark.parametrize(
    ("instant", "state"),
    [
        (datetime(2023, 4, 24, 15, 59, 59, tzinfo=UTC), "upcoming"),
        (datetime(2023, 4, 24, 16, 0, 0, tzinfo=UTC), "open"),  # 04-25 00:00 local
        (datetime(2023, 6, 30, 15, 59, 59, tzinfo=UTC), "open"),  # 06-30 23:59:59 local
        (datetime(2023, 6, 30, 16, 0, 0, tzinfo=UTC), "closed"),  # 07-01 00:00 local
    ],
    ids=["before-open", "open-instant", "last-second", "close-instant"],
)
def test_window_state_instants(client, samples, set_clock, instant, state):
    set_clock(instant)
    body = client.get("/api/v1/plans/xm-2023").get_json()
    assert body["enrollment"]["state"] == state


# --- quotes ------------------------------------------------------------------------


def test_quote_newborn_and_adult(client, samples):
    resp = post(
        client,
        "/api/v1/plans/xm-2023/quotes",
        {
            "people": [
                {"birth_date": "2023-02-01"},
                {"birth_date": "1985-05-20"},
                {"birth_date": "2022-07-01"},
                {"birth_date": "2022-06-30"},
            ]
        },
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert [(p["premium_fen"], p["rule"]) for p in body["people"]] == [
        (9900, "newborn"),
        (12900, "standard"),
        (9900, "newborn"),
        (12900, "standard"),
    ]
    assert body["total_fen"] == 9900 + 12900 + 9900 + 12900
    assert body["people"][0]["birth_date"] == "2023-02-01"
    assert "99 元" in body["people"][0]["explanation"]["zh"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "people"),
        ({"people": []}, "people"),
        ({"people": [{"birth_date": "not-a-date"}]}, "people"),
        ({"people": [{"birth_date": "2023-02-01", "x": 1}]}, "people"),
        ({"people": [{"birth_date": "2999-01-01"}]}, "people"),
        ({"people": [{}] * 21}, "people"),
        ({"people": [{"birth_date": "2023-02-01"}], "extra": True}, "extra"),
    ],
    ids=["missing", "empty", "bad-date", "unknown-field", "future", "too-many", "unknown-top"],
)
def test_quote_errors(client, samples, body, field):
    err = assert_error(post(client, "/api/v1/plans/xm-2023/quotes", body), 422, "validation_error")
    assert field in err["errors"]["json"]


# --- tier check ----------------------------------------------------------------------


def test_tier_check(client, samples):
    body = post(client, "/api/v1/plans/xm-2023/tier-check", {"declared_conditions": []}).get_json()
    assert body["tier"] == "standard"
    assert body["reasons"][0]["code"] == "no_conditions"
    body = post(
        client, "/api/v1/plans/xm-2023/tier-check", {"declared_conditions": ["diabetes"]}
    ).get_json()
    assert body["tier"] == "pre_existing"
    assert "糖尿病" in body["reasons"][0]["zh"]
    assert all(r["zh"] and r["en"] for r in body["reasons"])


def test_tier_check_unknown_condition(client, samples):
    err = assert_error(
        post(
            client, "/api/v1/plans/xm-2023/tier-check", {"declared_conditions": ["diabetes", "flu"]}
        ),
        422,
        "validation_error",
    )
    assert err["errors"]["json"]["declared_conditions"]["1"]
    assert "flu" in err["message"] and "flu" in err["message_zh"]
    assert "declared_conditions" not in err["message_zh"]  # members read this


# --- estimates -----------------------------------------------------------------------


def estimate(client, body, code="xm-2023"):
    return post(client, f"/api/v1/plans/{code}/estimates", body)


def test_estimate_worked_example_standard(client, samples):
    resp = estimate(
        client,
        {
            "tier": "standard",
            "expenses": [{"liability": "out_of_catalog", "amount_fen": 100_000 * YUAN}],
        },
    )
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["total_payout_fen"] == 56_000 * YUAN
    assert body["out_of_pocket_fen"] == 44_000 * YUAN
    [line] = body["lines"]
    assert line == {
        "liability": "out_of_catalog",
        "eligible_fen": 100_000 * YUAN,
        "deductible_group": "hospital",
        "deductible_applied_fen": 20_000 * YUAN,
        "ratio_bp": 7000,
        "before_caps_fen": 56_000 * YUAN,
        "payout_fen": 56_000 * YUAN,
        "capped": False,
        "cap_applied": None,
        "explanation": line["explanation"],
    }
    assert "56,000 元" in line["explanation"]["zh"]
    assert body["deductible_remaining_fen"] == {"hospital": 0}
    codes = [s["code"] for s in body["steps"]]
    assert codes == ["eligible", "deductible", "ratio", "total"]
    assert "免赔额还剩 20,000 元，本次抵扣 20,000 元" in body["steps"][1]["zh"]


def test_estimate_worked_example_pre_existing(client, samples):
    body = estimate(
        client,
        {
            "tier": "pre_existing",
            "expenses": [
                {"liability": "in_catalog", "amount_fen": 50_000 * YUAN, "other_paid_fen": 0},
                {"liability": "out_of_catalog", "amount_fen": 100_000 * YUAN},
            ],
        },
    ).get_json()
    assert [(li["liability"], li["payout_fen"]) for li in body["lines"]] == [
        ("in_catalog", 8_000 * YUAN),
        ("out_of_catalog", 35_000 * YUAN),
    ]
    assert body["total_payout_fen"] == 43_000 * YUAN
    assert body["lines"][1]["deductible_applied_fen"] == 0


def test_estimate_special_drug_and_year_to_date(client, samples):
    body = estimate(
        client,
        {
            "tier": "standard",
            "expenses": [
                {"liability": "in_catalog", "amount_fen": 50_000 * YUAN},
                {
                    "liability": "special_drugs",
                    "drug_code": "axi-cel",
                    "amount_fen": 1_200_000 * YUAN,
                },
            ],
            "year_to_date": {
                "deductible_used_fen": {"hospital": 8_000 * YUAN},
                "paid_fen": {"special_drugs": 100_000 * YUAN},
            },
        },
    ).get_json()
    lines = {li["liability"]: li for li in body["lines"]}
    # in-catalog: 12,000 deductible left; (50,000 − 12,000) × 80% = 30,400
    assert lines["in_catalog"]["deductible_applied_fen"] == 12_000 * YUAN
    assert lines["in_catalog"]["payout_fen"] == 30_400 * YUAN
    # special drugs: 1,200,000 × 80% = 960,000, cap 1,000,000 − 100,000 paid = 900,000 left
    assert lines["special_drugs"]["payout_fen"] == 900_000 * YUAN
    assert lines["special_drugs"]["cap_applied"] == "liability"
    assert body["total_payout_fen"] == 930_400 * YUAN


def test_estimate_empty_expenses(client, samples):
    body = estimate(client, {"tier": "standard", "expenses": []}).get_json()
    assert body["total_payout_fen"] == 0 and body["lines"] == []


def test_estimate_accepts_curl_form_content_type(client, samples):
    """`curl -d '{...}'` sends application/x-www-form-urlencoded: the JSON still counts."""
    resp = client.post(
        "/api/v1/plans/xm-2023/estimates",
        data='{"tier": "standard", "expenses": '
        '[{"liability": "out_of_catalog", "amount_fen": 10000000}]}',
        content_type="application/x-www-form-urlencoded",
    )
    assert resp.status_code == 200
    assert resp.get_json()["total_payout_fen"] == 5_600_000


@pytest.mark.parametrize(
    ("expense", "path"),
    [
        ({"liability": "dental", "amount_fen": 100}, ["expenses", "0", "liability"]),
        (
            {"liability": "special_drugs", "drug_code": "aspirin", "amount_fen": 100},
            ["expenses", "0", "drug_code"],
        ),
        ({"liability": "special_drugs", "amount_fen": 100}, ["expenses", "0", "drug_code"]),
        (
            {"liability": "in_catalog", "drug_code": "axi-cel", "amount_fen": 100},
            ["expenses", "0", "drug_code"],
        ),
        ({"liability": "in_catalog", "amount_fen": -1}, ["expenses", "0", "amount_fen"]),
        ({"liability": "in_catalog", "amount_fen": 12.5}, ["expenses", "0", "amount_fen"]),
        ({"liability": "in_catalog", "amount_fen": "100"}, ["expenses", "0", "amount_fen"]),
        ({"liability": "in_catalog", "amount_fen": True}, ["expenses", "0", "amount_fen"]),
        (
            {"liability": "in_catalog", "amount_fen": 100, "other_paid_fen": -5},
            ["expenses", "0", "other_paid_fen"],
        ),
        ({"liability": "in_catalog"}, ["expenses", "0", "amount_fen"]),
        ({"liability": "in_catalog", "amount_fen": 10**20}, ["expenses", "0", "amount_fen"]),
    ],
    ids=[
        "unknown-liability",
        "unknown-drug",
        "drug-missing",
        "drug-on-other",
        "negative",
        "fraction",
        "string",
        "bool",
        "negative-other-paid",
        "missing-amount",
        "huge",
    ],
)
def test_estimate_field_errors(client, samples, expense, path):
    err = assert_error(
        estimate(client, {"tier": "standard", "expenses": [expense]}), 422, "validation_error"
    )
    node = err["errors"]["json"]
    for key in path:
        assert key in node, (path, err["errors"])
        node = node[key]
    assert node


def test_estimate_too_many_lines(client, samples):
    expenses = [{"liability": "in_catalog", "amount_fen": 1}] * 201
    err = assert_error(
        estimate(client, {"tier": "standard", "expenses": expenses}), 422, "validation_error"
    )
    assert "expenses" in err["errors"]["json"]
    ok = estimate(client, {"tier": "standard", "expenses": expenses[:200]})
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("ytd", "path"),
    [
        ({"deductible_used_fen": {"dental": 1}}, ["year_to_date", "deductible_used_fen", "dental"]),
        ({"paid_fen": {"dental": 1}}, ["year_to_date", "paid_fen", "dental"]),
        ({"paid_fen": {"in_catalog": -1}}, ["year_to_date", "paid_fen"]),
    ],
)
def test_estimate_year_to_date_errors(client, samples, ytd, path):
    err = assert_error(
        estimate(client, {"tier": "standard", "expenses": [], "year_to_date": ytd}),
        422,
        "validation_error",
    )
    node = err["errors"]["json"]
    for key in path:
        assert key in node, (path, err["errors"])
        node = node[key]


def test_estimate_bad_tier_and_bad_json(client, samples):
    assert_error(estimate(client, {"tier": "gold", "expenses": []}), 422, "validation_error")
    resp = client.post(
        "/api/v1/plans/xm-2023/estimates", data="{not json", content_type="application/json"
    )
    assert_error(resp, 400, "bad_request")


def test_estimate_unknown_plan(client, samples):
    assert_error(
        estimate(client, {"tier": "standard", "expenses": []}, code="zz"), 404, "plan_not_found"
    )


def test_estimates_do_not_write(client, samples, session):
    before = session.query(Plan).count()
    estimate(client, {"tier": "standard", "expenses": []})
    assert session.query(Plan).count() == before
