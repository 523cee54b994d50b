"""Adjudication is the estimate's engine call: approving the member's own figures pays what
the member was shown, approving any figures pays what `compute_payout` gives for the tier
and the person's year to date, and the year to date carries from one approval to the next."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.plans import service as plans
from app.rules.payout import Expense, YearToDate, compute_payout
from app.rules.terms import Tier

HOSPITAL_DEDUCTIBLE = 2_000_000  # 20,000.00 yuan, standard tier
PRE_EXISTING_DEDUCTIBLE = 3_000_000


def terms_of(session):
    return plans.terms_of(plans.latest_version(session, "demo"))


def kinds_for(insured, claim_type: str, relation: str = "self") -> list[str]:
    options = insured.client.get("/api/v1/claims/options").get_json()
    plan = next(iter(options["plans"].values()))
    ct = next(c for c in plan["claim_types"] if c["code"] == claim_type)
    person = next(p for p in options["persons"] if p["relation"] == relation)
    return [d["kind"] for d in ct["documents"] if d["when"] is None or person["minor"]]


def under_review(insured, reviewer, relation="self", claim_type="hospital", seed=0, **over) -> str:
    resp = insured.new(relation, claim_type=claim_type, **over)
    assert resp.status_code == 201, resp.get_json()
    claim_id = resp.get_json()["id"]
    insured.upload_all(claim_id, kinds_for(insured, claim_type, relation), seed=seed)
    assert insured.submit(claim_id).status_code == 200
    assert reviewer.act(claim_id, "start-review").status_code == 200
    return str(claim_id)


def lines_of(result: dict[str, Any]) -> list[tuple[str, int, int, int]]:
    return [
        (
            line["liability"],
            line["eligible_fen"],
            line["deductible_applied_fen"],
            line["payout_fen"],
        )
        for line in result["lines"]
    ]


EXPENSE_SETS = [
    pytest.param(
        "hospital",
        [
            {"liability": "in_catalog", "amount_fen": 5_000_000, "other_paid_fen": 0},
            {"liability": "out_of_catalog", "amount_fen": 2_000_000, "other_paid_fen": 0},
        ],
        # in: 5,000,000 - 2,000,000 deductible = 3,000,000 x 80% = 2,400,000
        # out: 2,000,000 x 70% = 1,400,000
        3_800_000,
        id="hospital",
    ),
    pytest.param(
        "hospital",
        [
            {"liability": "in_catalog", "amount_fen": 2_500_001, "other_paid_fen": 300_000},
            {"liability": "in_catalog", "amount_fen": 100_000, "other_paid_fen": 150_000},
        ],
        # eligible 2,200,001 + 0; minus 2,000,000 = 200,001 x 80% = 160,000.8 -> 160,000
        160_000,
        id="hospital-floor-and-other-paid",
    ),
    pytest.param(
        "special_drug",
        [
            {"liability": "special_drugs", "amount_fen": 1_000_003, "drug_code": "olaparib"},
            {"liability": "special_drugs", "amount_fen": 50_000, "drug_code": "pembrolizumab"},
        ],
        # no deductible: 1,050,003 x 80% = 840,002.4 -> 840,002
        840_002,
        id="special-drug",
    ),
    pytest.param(
        "proton_heavy_ion",
        [{"liability": "proton_heavy_ion", "amount_fen": 900_000_00}],
        # 90,000,000 x 70% = 63,000,000 > the liability cap 50,000,000
        500_000_00,
        id="proton-capped",
    ),
]


@pytest.mark.parametrize(("claim_type", "expenses", "expected"), EXPENSE_SETS)
def test_approving_the_members_figures_pays_the_estimate(
    insured, reviewer, claim_type, expenses, expected
):
    quoted = insured.estimate(claim_type=claim_type, expenses=expenses)
    assert quoted.status_code == 200, quoted.get_json()
    quote = quoted.get_json()
    assert quote["total_payout_fen"] == expected
    assert quote["tier"] == "standard"

    claim_id = under_review(insured, reviewer, claim_type=claim_type, expenses=expenses)
    mine = insured.get(claim_id).get_json()
    assert mine["estimate_fen"] == expected
    assert mine["estimate"]["total_payout_fen"] == expected
    staff = reviewer.claim(claim_id).get_json()
    assert staff["member_estimate"]["total_payout_fen"] == expected
    assert lines_of(staff["member_estimate"]) == lines_of(quote)

    resp = reviewer.approve(claim_id, staff["expenses"])
    assert resp.status_code == 200, resp.get_json()
    approved = resp.get_json()
    assert approved["payout_fen"] == expected
    assert approved["decision"]["total_payout_fen"] == expected
    assert lines_of(approved["decision"]) == lines_of(quote)
    assert approved["decision"]["summary"] == quote["summary"]
    assert approved["verified_expenses"] == staff["expenses"]

    mine = insured.get(claim_id).get_json()
    assert mine["payout_fen"] == expected
    assert mine["decision"]["total_payout_fen"] == expected
    assert mine["estimate"] is None  # decided: the decision replaces the estimate
    assert mine["timeline"][-1]["action"] == "approve"


def test_the_reviewer_approves_verified_figures(insured, reviewer):
    claim_id = under_review(insured, reviewer)
    verified = [{"liability": "in_catalog", "amount_fen": 3_000_000, "other_paid_fen": 500_000}]
    approved = reviewer.approve(claim_id, verified).get_json()
    # 2,500,000 - 2,000,000 = 500,000 x 80%
    assert approved["payout_fen"] == 400_000
    assert approved["verified_expenses"] == verified
    mine = insured.get(claim_id).get_json()
    assert mine["estimate_fen"] == 3_800_000  # what the member was shown stays on record
    assert mine["payout_fen"] == 400_000
    assert mine["expenses"][0]["amount_fen"] == 5_000_000


@pytest.mark.parametrize(
    "expenses",
    [
        pytest.param(
            [{"liability": "special_drugs", "amount_fen": 1, "drug_code": "olaparib"}],
            id="liability-of-another-claim-type",
        ),
        pytest.param([{"liability": "no_such", "amount_fen": 1}], id="unknown-liability"),
        pytest.param([{"liability": "in_catalog", "amount_fen": -1}], id="negative"),
        pytest.param([], id="no-lines"),
    ],
)
def test_approval_with_bad_figures_changes_nothing(insured, reviewer, expenses):
    claim_id = under_review(insured, reviewer)
    resp = reviewer.approve(claim_id, expenses)
    assert resp.status_code == 422, resp.get_json()
    staff = reviewer.claim(claim_id).get_json()
    assert staff["status"] == "under_review"
    assert staff["payout_fen"] is None
    assert staff["year_to_date"] == {"deductible_used": {}, "paid": {}, "overall_paid_fen": 0}
    assert insured.unread() == 2  # submitted, under review: nothing for the refusal


def test_year_to_date_carries_from_one_approval_to_the_next(insured, reviewer):
    first_lines = [{"liability": "in_catalog", "amount_fen": 1_500_000, "other_paid_fen": 0}]
    second_lines = [{"liability": "in_catalog", "amount_fen": 1_000_000, "other_paid_fen": 0}]
    first = under_review(insured, reviewer, expenses=first_lines)
    second = under_review(insured, reviewer, expenses=second_lines, seed=1)
    spouse = under_review(insured, reviewer, "spouse", expenses=second_lines)
    # before any approval both are estimated against the whole deductible
    assert insured.get(second).get_json()["estimate_fen"] == 0
    assert reviewer.claim(second).get_json()["year_to_date"]["overall_paid_fen"] == 0

    one = reviewer.approve(first, first_lines).get_json()
    assert one["payout_fen"] == 0
    assert one["decision"]["lines"][0]["deductible_applied_fen"] == 1_500_000

    staff = reviewer.claim(second).get_json()
    assert staff["year_to_date"]["deductible_used"] == {"hospital": 1_500_000}
    left = HOSPITAL_DEDUCTIBLE - 1_500_000
    # the live estimate follows the year to date: 1,000,000 - 500,000 left = 500,000 x 80%
    assert staff["member_estimate"]["total_payout_fen"] == 400_000
    assert insured.get(second).get_json()["estimate"]["total_payout_fen"] == 400_000
    quote = insured.estimate(expenses=second_lines).get_json()
    assert quote["year_to_date"]["deductible_used"] == {"hospital": 1_500_000}
    assert quote["total_payout_fen"] == 400_000

    two = reviewer.approve(second, second_lines).get_json()
    assert two["payout_fen"] == 400_000
    line = two["decision"]["lines"][0]
    assert line["deductible_applied_fen"] == left
    assert two["decision"]["year_to_date_before"]["deductible_used"] == {"hospital": 1_500_000}
    ytd = reviewer.claim(second).get_json()["year_to_date"]
    assert ytd["deductible_used"] == {"hospital": HOSPITAL_DEDUCTIBLE}
    assert ytd["paid"]["in_catalog"] == 400_000
    assert ytd["overall_paid_fen"] == 400_000
    # the first decision is kept as it was made
    assert reviewer.claim(first).get_json()["decision"]["total_payout_fen"] == 0

    # the spouse's year is separate: the whole deductible still applies
    other = reviewer.approve(spouse, second_lines).get_json()
    assert other["payout_fen"] == 0
    assert other["decision"]["lines"][0]["deductible_applied_fen"] == 1_000_000


def test_rejection_and_withdrawal_do_not_use_the_year(insured, reviewer):
    big = [{"liability": "in_catalog", "amount_fen": 9_000_000, "other_paid_fen": 0}]
    rejected = under_review(insured, reviewer, expenses=big)
    assert reviewer.act(rejected, "reject", {"reason": "bmi_not_used"}).status_code == 200
    withdrawn = under_review(insured, reviewer, expenses=big, seed=1)
    assert insured.withdraw(withdrawn).status_code == 200
    quote = insured.estimate(expenses=big).get_json()
    assert quote["year_to_date"] == {"deductible_used": {}, "paid": {}, "overall_paid_fen": 0}
    assert quote["total_payout_fen"] == (9_000_000 - HOSPITAL_DEDUCTIBLE) * 8 // 10


def test_pre_existing_tier_is_used_for_the_decision(insured_mixed_tiers, reviewer):
    insured = insured_mixed_tiers
    expenses = [{"liability": "in_catalog", "amount_fen": 5_000_000, "other_paid_fen": 0}]
    claim_id = under_review(insured, reviewer, "spouse", expenses=expenses)
    staff = reviewer.claim(claim_id).get_json()
    assert staff["person"]["tier"] == "pre_existing"
    approved = reviewer.approve(claim_id, expenses).get_json()
    # 5,000,000 - 3,000,000 = 2,000,000 x 40%
    assert approved["payout_fen"] == 800_000
    assert approved["decision"]["tier"] == "pre_existing"


# --- the property ------------------------------------------------------------------------------

amount = st.integers(min_value=0, max_value=200_000_000)
hospital_line = st.fixed_dictionaries(
    {
        "liability": st.sampled_from(["in_catalog", "out_of_catalog"]),
        "amount_fen": amount,
        "other_paid_fen": st.integers(min_value=0, max_value=5_000_000),
    }
)
drug_line = st.fixed_dictionaries(
    {
        "liability": st.just("special_drugs"),
        "amount_fen": amount,
        "other_paid_fen": st.integers(min_value=0, max_value=5_000_000),
        "drug_code": st.sampled_from(["olaparib", "nivolumab", "axi-cel"]),
    }
)
proton_line = st.fixed_dictionaries(
    {"liability": st.just("proton_heavy_ion"), "amount_fen": amount, "other_paid_fen": st.just(0)}
)
claims = st.one_of(
    st.tuples(st.just("hospital"), st.lists(hospital_line, min_size=1, max_size=4)),
    st.tuples(st.just("special_drug"), st.lists(drug_line, min_size=1, max_size=3)),
    st.tuples(st.just("proton_heavy_ion"), st.lists(proton_line, min_size=1, max_size=2)),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(claim=claims, relation=st.sampled_from(["self", "spouse"]))
def test_approval_pays_what_the_engine_computes(
    insured_mixed_tiers, reviewer, session, claim, relation
):
    """Examples accumulate in the same two years, so later ones meet used deductibles and
    caps: the approval always equals the engine's result for the year to date before it."""
    insured = insured_mixed_tiers
    claim_type, expenses = claim
    claim_id = under_review(insured, reviewer, relation, claim_type=claim_type, expenses=expenses)
    staff = reviewer.claim(claim_id).get_json()
    before = staff["year_to_date"]
    expected = compute_payout(
        terms_of(session),
        Tier(staff["person"]["tier"]),
        [
            Expense(e["liability"], e["amount_fen"], e["other_paid_fen"], e.get("drug_code"))
            for e in expenses
        ],
        YearToDate(before["deductible_used"], before["paid"]),
    )
    resp = reviewer.approve(claim_id, expenses)
    assert resp.status_code == 200, resp.get_json()
    approved = resp.get_json()
    assert approved["payout_fen"] == expected.total_payout_fen
    assert [(x["liability"], x["payout_fen"]) for x in approved["decision"]["lines"]] == [
        (line.liability, line.payout_fen) for line in expected.lines
    ]
    after = reviewer.claim(claim_id).get_json()["year_to_date"]
    assert after["deductible_used"] == dict(expected.year_to_date_after.deductible_used_fen)
    assert after["paid"] == dict(expected.year_to_date_after.paid_fen)
    assert after["overall_paid_fen"] == expected.year_to_date_after.overall_paid_fen
