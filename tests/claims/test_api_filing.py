"""Filing rules: treatment inside the cover and not in the future, filing within two years
of discharge, a person with a policy, liabilities of the claim type, special drugs from the
list; the estimate stores nothing; drafts change only within the same rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.claims.models import Claim
from tests.claims.conftest import to_status
from tests.enrollment.conftest import GRANDMA


def claims_count(session):
    return session.scalar(select(func.count()).select_from(Claim))


def cover(insured) -> tuple[date, date]:
    policy = insured.by_relation["self"]
    return date.fromisoformat(policy["coverage_start"]), date.fromisoformat(policy["coverage_end"])


def check_refused(resp, status, code, field=None):
    assert resp.status_code == status, resp.get_json()
    body = resp.get_json()
    assert body["error"] == code
    assert body["message_zh"]
    if field is not None:
        assert field in flatten(body["errors"]["json"]), body["errors"]


def flatten(node, path=""):
    """Field errors as {"expenses.0.drug_code": [...]} whether nested or dotted (as the front
    end reads them)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            out.update(flatten(value, f"{path}.{key}" if path else str(key)))
        return out
    return {path: node}


def test_options_list_who_can_claim_and_for_what(insured):
    options = insured.client.get("/api/v1/claims/options").get_json()
    assert {p["relation"] for p in options["persons"]} == {"self", "spouse"}
    for person in options["persons"]:
        assert "*" in person["name_masked"]
        assert [p["plan_code"] for p in person["policies"]] == ["demo"]
    plan = options["plans"]["demo"]
    assert plan["filing_deadline_years"] == 2
    assert [c["code"] for c in plan["claim_types"]] == [
        "hospital",
        "special_drug",
        "proton_heavy_ion",
    ]
    drug = next(c for c in plan["claim_types"] if c["code"] == "special_drug")
    assert drug["liabilities"][0]["drug_list_only"] is True
    assert "olaparib" in {d["code"] for d in plan["special_drugs"]}


@pytest.mark.parametrize(
    ("start_offset", "end_offset", "code", "field"),
    [
        pytest.param(-1, 5, "outside_coverage_period", "service_start", id="starts-before-cover"),
        pytest.param(-30, -10, "outside_coverage_period", "service_start", id="before-cover"),
        pytest.param(30, 41, "service_in_future", "service_end", id="ends-tomorrow"),
        pytest.param(41, 45, "service_in_future", "service_end", id="in-future"),
        pytest.param(10, 9, "service_dates_order", "service_end", id="end-before-start"),
    ],
)
def test_service_dates(insured, session, start_offset, end_offset, code, field):
    start, _ = cover(insured)
    count = claims_count(session)
    resp = insured.new(
        service_start=(start + timedelta(days=start_offset)).isoformat(),
        service_end=(start + timedelta(days=end_offset)).isoformat(),
    )
    check_refused(resp, 422, code, field)
    assert claims_count(session) == count


def test_treatment_up_to_today_is_fine(insured):
    start, _ = cover(insured)
    resp = insured.new(
        service_start=start.isoformat(), service_end=(start + timedelta(days=40)).isoformat()
    )
    assert resp.status_code == 201, resp.get_json()


def test_filing_closes_two_years_after_discharge(insured, reviewer, move_clock):
    start, _ = cover(insured)
    end = start + timedelta(days=10)
    dates = {
        "service_start": (start + timedelta(days=3)).isoformat(),
        "service_end": end.isoformat(),
    }
    draft = insured.new(**dates).get_json()["id"]
    insured.upload_all(draft)
    deadline = end.replace(year=end.year + 2)

    move_clock(datetime.combine(deadline, time(15, 59), UTC), insured, reviewer)  # 23:59 local
    assert insured.new(**dates).status_code == 201

    move_clock(datetime.combine(deadline, time(16, 0), UTC), insured, reviewer)  # next day
    resp = insured.new(**dates)
    check_refused(resp, 422, "filing_closed", "service_end")
    assert deadline.isoformat() in resp.get_json()["message"]
    # a draft started in time cannot be submitted once filing has closed
    check_refused(insured.submit(draft), 422, "filing_closed")
    assert insured.get(draft).get_json()["status"] == "draft"


def test_a_person_without_a_policy_cannot_claim(insured, session):
    resp = insured.family.add("parent", GRANDMA)
    assert resp.status_code == 201, resp.get_json()
    grandma = resp.get_json()["id"]
    count = claims_count(session)
    resp = insured.new(person_id=grandma)
    check_refused(resp, 422, "no_policy", "person_id")
    check_refused(insured.estimate(person_id=grandma), 422, "no_policy")
    assert claims_count(session) == count
    options = insured.client.get("/api/v1/claims/options").get_json()
    assert grandma not in {p["person_id"] for p in options["persons"]}


def test_an_unknown_person_is_404(insured):
    resp = insured.new(person_id="01NOSUCHPERSON000000000000")
    assert resp.status_code == 404
    assert resp.get_json()["error"] == "person_not_found"


REFUSED_BODIES = [
    pytest.param(
        {"claim_type": "dental"}, "unknown_claim_type", "claim_type", id="unknown-claim-type"
    ),
    pytest.param(
        {"expenses": [{"liability": "special_drugs", "amount_fen": 100, "drug_code": "olaparib"}]},
        "liability_not_in_claim_type",
        "expenses.0.liability",
        id="drug-in-a-hospital-claim",
    ),
    pytest.param(
        {
            "claim_type": "special_drug",
            "expenses": [{"liability": "in_catalog", "amount_fen": 100}],
        },
        "liability_not_in_claim_type",
        "expenses.0.liability",
        id="hospital-in-a-drug-claim",
    ),
    pytest.param(
        {
            "claim_type": "special_drug",
            "expenses": [{"liability": "special_drugs", "amount_fen": 1}],
        },
        "validation_error",
        "expenses.0.drug_code",
        id="drug-without-code",
    ),
    pytest.param(
        {
            "claim_type": "special_drug",
            "expenses": [
                {"liability": "special_drugs", "amount_fen": 1, "drug_code": "olaparib"},
                {"liability": "special_drugs", "amount_fen": 1, "drug_code": "aspirin"},
            ],
        },
        "validation_error",
        "expenses.1.drug_code",
        id="drug-not-on-the-list",
    ),
    pytest.param(
        {"expenses": [{"liability": "in_catalog", "amount_fen": 1, "drug_code": "olaparib"}]},
        "validation_error",
        "expenses.0.drug_code",
        id="drug-code-on-a-hospital-line",
    ),
    pytest.param(
        {"expenses": [{"liability": "nursing", "amount_fen": 1}]},
        "liability_not_in_claim_type",
        "expenses.0.liability",
        id="unknown-liability",
    ),
    pytest.param({"expenses": []}, "validation_error", "expenses", id="no-lines"),
    pytest.param(
        {"expenses": [{"liability": "in_catalog", "amount_fen": 1}] * 51},
        "validation_error",
        "expenses",
        id="51-lines",
    ),
    pytest.param(
        {"expenses": [{"liability": "in_catalog", "amount_fen": -1}]},
        "validation_error",
        "expenses.0.amount_fen",
        id="negative",
    ),
    pytest.param(
        {"expenses": [{"liability": "in_catalog", "amount_fen": 1.5}]},
        "validation_error",
        "expenses.0.amount_fen",
        id="fraction-of-a-fen",
    ),
    pytest.param({"hospital": "院" * 201}, "validation_error", "hospital", id="long-hospital"),
    pytest.param({"insured_name": "x"}, "validation_error", "insured_name", id="unknown-field"),
]


@pytest.mark.parametrize(("over", "code", "field"), REFUSED_BODIES)
def test_refused_claims_and_estimates(insured, session, over, code, field):
    count = claims_count(session)
    check_refused(insured.new(**over), 422, code, field)
    if "hospital" not in over:  # the estimate takes no hospital
        check_refused(insured.estimate(**over), 422, code, field)
    assert claims_count(session) == count


def test_a_special_drug_claim(insured):
    expenses = [{"liability": "special_drugs", "amount_fen": 1_000_000, "drug_code": "olaparib"}]
    resp = insured.new(claim_type="special_drug", expenses=expenses)
    assert resp.status_code == 201, resp.get_json()
    claim = resp.get_json()
    assert claim["expenses"] == [{**expenses[0], "other_paid_fen": 0}]
    assert claim["estimate_fen"] == 800_000
    assert claim["missing"] == [
        "id_card",
        "prescription",
        "pathology_report",
        "invoice",
        "payee_bank_card",
    ]


def test_the_estimate_stores_nothing(insured, session):
    count = claims_count(session)
    resp = insured.estimate()
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["claimed_fen"] == 7_000_000
    assert body["total_payout_fen"] == 3_800_000
    assert body["out_of_pocket_fen"] == 7_000_000 - 3_800_000
    assert [line["liability_name"]["zh"] for line in body["lines"]] == [
        "医保目录内个人自付费用",
        "医保目录外自费费用",
    ]
    assert body["summary"]["zh"]
    assert claims_count(session) == count


def test_drafts_change_within_the_same_rules(insured, reviewer):
    claim = insured.new().get_json()
    start, _ = cover(insured)
    resp = insured.patch(
        claim["id"],
        {"expenses": [{"liability": "in_catalog", "amount_fen": 3_000_000}], "hospital": "  "},
    )
    assert resp.status_code == 200, resp.get_json()
    changed = resp.get_json()
    assert changed["claimed_fen"] == 3_000_000
    assert changed["estimate_fen"] == 800_000
    assert changed["hospital"] == ""
    for body, code in [
        ({"service_start": (start - timedelta(days=2)).isoformat()}, "outside_coverage_period"),
        ({"service_end": (start + timedelta(days=60)).isoformat()}, "service_in_future"),
        ({"claim_type": "special_drug"}, "liability_not_in_claim_type"),
        ({"person_id": insured.person("spouse")}, "validation_error"),
        ({"expenses": [{"liability": "in_catalog", "amount_fen": 1, "drug_code": "x"}]}, None),
    ]:
        resp = insured.patch(claim["id"], body)
        assert resp.status_code == 422, (body, resp.get_json())
        if code:
            assert resp.get_json()["error"] == code
    after = insured.get(claim["id"]).get_json()
    assert after["claimed_fen"] == 3_000_000
    assert after["service_start"] == claim["service_start"]
    assert after["person"] == claim["person"]
    assert after["claim_type"] == "hospital"


@pytest.mark.parametrize("body", [None, {}])
def test_a_patch_changes_something(insured, body):
    claim_id = insured.new().get_json()["id"]
    kwargs = {} if body is None else {"json": body}
    resp = insured.client.patch(
        f"/api/v1/claims/{claim_id}", headers={"X-CSRF-Token": insured.family.csrf}, **kwargs
    )
    assert resp.status_code == 422
    assert resp.get_json()["error"] == "validation_error"


def test_claims_are_listed_newest_first(insured):
    first = insured.new().get_json()["id"]
    second = insured.new("spouse").get_json()["id"]
    items = insured.client.get("/api/v1/claims").get_json()["items"]
    assert [c["id"] for c in items] == [second, first]
    assert items[0]["person"]["relation"] == "spouse"
    assert items[0]["estimate_fen"] == 3_800_000
    assert items[0]["payout_fen"] is None


@pytest.mark.parametrize("claim_id", ["options2", "x" * 27, "01ABC"])
def test_claim_ids_that_cannot_exist_are_404(insured, claim_id):
    resp = insured.client.get(f"/api/v1/claims/{claim_id}")
    assert resp.status_code == 404
    assert resp.get_json()["code"] == 404


@pytest.mark.parametrize("reference", ["", "abc", "TRX 0001", "转账0001", "x" * 65])
def test_mark_paid_needs_a_bank_reference(insured, reviewer, reference):
    claim_id = to_status(insured, reviewer, "approved")
    resp = reviewer.act(claim_id, "mark-paid", {"bank_reference": reference})
    assert resp.status_code == 422
    assert insured.get(claim_id).get_json()["status"] == "approved"
