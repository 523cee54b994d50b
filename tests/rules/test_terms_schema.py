"""The terms file format: the sample validates; a bad copy names the dotted field path."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from app.plans.terms_schema import (
    FORMAT,
    TermsFileError,
    load_terms_file,
    read_terms_file,
    terms_from_document,
    validate_terms,
)
from app.rules.terms import Tier

SAMPLE = Path(__file__).resolve().parents[2] / "app" / "plans" / "terms" / "xm-2023.yaml"


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return read_terms_file(SAMPLE)


def test_sample_validates(raw):
    doc = validate_terms(copy.deepcopy(raw))
    assert doc["format"] == FORMAT
    assert doc["code"] == "xm-2023"
    # the canonical document is JSON as the database stores it
    assert json.loads(json.dumps(doc)) == doc
    assert doc["coverage"] == {"kind": "fixed", "start": "2023-07-01", "end": "2024-06-30"}
    assert doc["enrollment_window"] == {
        "opens": "2023-04-25T00:00:00",
        "closes": "2023-07-01T00:00:00",
    }


def test_sample_becomes_terms(terms):
    assert terms.code == "xm-2023"
    assert terms.plan_year == 2023
    assert terms.timezone == "Asia/Shanghai"
    # naive local date-times of the plan's timezone
    assert terms.window.opens == datetime.fromisoformat("2023-04-25T00:00:00")
    assert terms.window.closes == datetime.fromisoformat("2023-07-01T00:00:00")
    assert terms.coverage.kind == "fixed"
    assert (terms.coverage.start, terms.coverage.end) == (date(2023, 7, 1), date(2024, 6, 30))
    assert [
        (r.code, r.premium_fen, r.born_on_or_after, r.born_before) for r in terms.premium_rules
    ] == [
        ("newborn", 99_00, date(2022, 7, 1), None),
        ("standard", 129_00, None, None),
    ]
    assert len(terms.conditions) == 12
    assert terms.condition("diabetes").name.zh == "糖尿病"
    (group,) = terms.deductible_groups
    assert group.code == "hospital"
    assert group.amount_fen == {Tier.STANDARD: 20_000_00, Tier.PRE_EXISTING: 30_000_00}
    assert [
        (
            i.code,
            i.deductible_group,
            i.ratio_bp[Tier.STANDARD],
            i.ratio_bp[Tier.PRE_EXISTING],
            i.annual_cap_fen,
            i.drug_list_only,
        )
        for i in terms.liabilities
    ] == [
        ("in_catalog", "hospital", 8000, 4000, 1_500_000_00, False),
        ("out_of_catalog", "hospital", 7000, 3500, 1_500_000_00, False),
        ("special_drugs", None, 8000, 4000, 1_000_000_00, True),
        ("proton_heavy_ion", None, 7000, 3500, 500_000_00, False),
    ]
    assert terms.overall_cap_fen == 4_500_000_00
    assert len(terms.special_drugs) == 12
    assert terms.drug("pembrolizumab").brand.en == "Keytruda"
    assert terms.drug("not-a-drug") is None
    assert terms.continuous_enrollment == "keep_standard_tier"
    assert terms.relations == ("self", "spouse", "child", "parent")
    assert terms.refund_rule == "full_before_coverage_start"
    assert terms.claim_deadline_years == 2
    assert [c.code for c in terms.claim_types] == ["hospital", "special_drug", "proton_heavy_ion"]
    assert terms.is_demo is False
    assert terms.eligibility_roster_required is True
    assert terms.eligibility_roster_status == "normal"


def test_load_terms_file_returns_document_and_terms(terms_document_and_terms):
    doc, terms = terms_document_and_terms
    assert terms_from_document(doc) == terms


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def edit(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: set_path(data, path, value)


def drop_last_rule_and_bound_it(data: dict[str, Any]) -> None:
    data["premium_rules"][-1]["born_before"] = "2022-07-01"


def duplicate_liability(data: dict[str, Any]) -> None:
    data["liabilities"].append(copy.deepcopy(data["liabilities"][0]))


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        pytest.param(
            edit("liabilities.0.ratio_bp.standard", 10_001),
            "liabilities.0.ratio_bp.standard",
            id="ratio-above-100pct",
        ),
        pytest.param(
            edit("liabilities.3.ratio_bp.pre_existing", -1),
            "liabilities.3.ratio_bp.pre_existing",
            id="negative-ratio",
        ),
        pytest.param(
            edit("liabilities.1.deductible_group", "dental"),
            "liabilities.1.deductible_group",
            id="unknown-deductible-group",
        ),
        pytest.param(duplicate_liability, "liabilities.4.code", id="duplicate-liability-code"),
        pytest.param(
            edit("special_drugs.1.code", "axi-cel"),
            "special_drugs.1.code",
            id="duplicate-drug-code",
        ),
        pytest.param(edit("timezone", "Asia/Xiamen"), "timezone", id="unknown-timezone"),
        pytest.param(
            edit("enrollment_window.closes", "2023-04-01T00:00:00"),
            "enrollment_window.closes",
            id="closes-before-opens",
        ),
        pytest.param(
            edit("enrollment_window.closes", "2023-04-25T00:00:00"),
            "enrollment_window.closes",
            id="closes-equals-opens",
        ),
        pytest.param(
            drop_last_rule_and_bound_it,
            "premium_rules.1.code",
            id="last-premium-rule-has-birth-condition",
        ),
        pytest.param(
            edit("premium_rules.0.born_before", "2022-01-01"),
            "premium_rules.0.born_before",
            id="born-before-not-after-lower-bound",
        ),
        pytest.param(edit("unexpected", 1), "unexpected", id="unknown-top-level-key"),
        pytest.param(
            edit("liabilities.0.colour", "red"), "liabilities.0.colour", id="unknown-nested-key"
        ),
        pytest.param(edit("format", "huiminbao-terms/2"), "format", id="wrong-format"),
        pytest.param(edit("coverage.start", "2023-02-30"), "coverage.start", id="bad-date"),
        pytest.param(edit("coverage.end", "2023-06-30"), "coverage.end", id="end-before-start"),
        pytest.param(
            edit("coverage", {"kind": "rolling", "start_weekday": "tuesday"}),
            "coverage.duration_months",
            id="rolling-without-duration",
        ),
        pytest.param(
            edit("liabilities.0.annual_cap_fen", 1.5),
            "liabilities.0.annual_cap_fen",
            id="float-money",
        ),
        pytest.param(
            edit("liabilities.0.annual_cap_fen", "1500000"),
            "liabilities.0.annual_cap_fen",
            id="string-money",
        ),
        pytest.param(edit("overall_cap_fen", -1), "overall_cap_fen", id="negative-cap"),
        pytest.param(
            edit("deductible_groups.0.amount_fen", {"standard": 20_000_00}),
            "deductible_groups.0.amount_fen.pre_existing",
            id="missing-tier",
        ),
        pytest.param(edit("relations", ["spouse"]), "relations", id="relations-without-self"),
        pytest.param(
            edit("claim_types.0.liabilities", ["dental"]),
            "claim_types.0.liabilities",
            id="claim-type-unknown-liability",
        ),
        pytest.param(
            edit("special_drugs", []),
            "liabilities.2.drug_list_only",
            id="drug-list-only-without-drugs",
        ),
        pytest.param(edit("code", "XM 2023"), "code", id="bad-code"),
        pytest.param(edit("premium_rules", []), "premium_rules", id="no-premium-rules"),
    ],
)
def test_bad_field_names_dotted_path(raw, mutate, path):
    data = copy.deepcopy(raw)
    mutate(data)
    with pytest.raises(TermsFileError) as info:
        validate_terms(data)
    assert path in info.value.errors, info.value.errors
    assert all(isinstance(msg, str) and msg for msg in info.value.errors[path])
    assert path in str(info.value)


def test_missing_required_top_level_key(raw):
    data = copy.deepcopy(raw)
    del data["overall_cap_fen"]
    with pytest.raises(TermsFileError) as info:
        validate_terms(data)
    assert info.value.errors == {"overall_cap_fen": ["Missing data for required field."]}


def test_rolling_coverage_document(raw):
    data = copy.deepcopy(raw)
    data["coverage"] = {"kind": "rolling", "start_weekday": "tuesday", "duration_months": 12}
    terms = terms_from_document(validate_terms(data))
    assert terms.coverage.kind == "rolling"
    assert terms.coverage.start_weekday == 1
    assert terms.coverage.duration_months == 12


def test_yaml_dates_stay_strings(tmp_path, raw):
    """Unquoted YAML dates are not turned into date objects: marshmallow checks the strings."""
    text = SAMPLE.read_text(encoding="utf-8")
    text = text.replace('"2023-04-25T00:00:00"', "2023-04-25T00:00:00")
    text = text.replace('"2023-07-01"', "2023-07-01")
    text = text.replace('"2022-07-01"', "2022-07-01")
    assert '"2023-07-01"' not in text
    path = tmp_path / "unquoted.yaml"
    path.write_text(text, encoding="utf-8")

    data = read_terms_file(path)
    assert data["coverage"]["start"] == "2023-07-01"
    assert data["enrollment_window"]["opens"] == "2023-04-25T00:00:00"
    assert data["premium_rules"][0]["born_on_or_after"] == "2022-07-01"
    doc, terms = load_terms_file(path)
    assert doc == validate_terms(copy.deepcopy(raw))
    assert terms.coverage.start == date(2023, 7, 1)


def test_yaml_bad_unquoted_date_is_a_field_error(tmp_path):
    text = SAMPLE.read_text(encoding="utf-8").replace('end: "2024-06-30"', "end: 2024-06-31")
    path = tmp_path / "bad-date.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TermsFileError) as info:
        load_terms_file(path)
    assert "coverage.end" in info.value.errors


def test_json_terms_file(tmp_path, raw):
    path = tmp_path / "xm-2023.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    doc, terms = load_terms_file(path)
    assert doc["code"] == "xm-2023"
    assert terms.overall_cap_fen == 4_500_000_00


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("broken.yaml", "format: [unclosed\n", id="bad-yaml"),
        pytest.param("broken.json", "{not json", id="bad-json"),
        pytest.param("list.yaml", "- a\n- b\n", id="not-a-mapping"),
        pytest.param("empty.yaml", "", id="empty"),
    ],
)
def test_unreadable_file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TermsFileError) as info:
        read_terms_file(path)
    assert list(info.value.errors) == ["(file)"]
