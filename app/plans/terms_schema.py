"""The terms file format (YAML or JSON), validated by marshmallow.

Money in the file is integer fen (`*_fen`, underscores allowed in YAML:
`annual_cap_fen: 1_500_000_00`), ratios are integer basis points (`*_bp`), local
date-times are ISO 8601 without offset (they are in `timezone`). See
docs/terms-format.md and app/plans/terms/xm-2023.yaml.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import marshmallow as ma
import yaml
from marshmallow import validate

from app.rules.terms import (
    TIERS,
    ChecklistItem,
    ClaimType,
    Condition,
    Coverage,
    DeductibleGroup,
    EnrollmentWindow,
    Liability,
    PremiumRule,
    SpecialDrug,
    Terms,
    Text,
    Tier,
)

FORMAT = "huiminbao-terms/1"
CODE = validate.Regexp(
    r"^[a-z0-9][a-z0-9_\-]{0,63}$", error="Use lower-case letters, digits, - and _."
)
RELATIONS = ("self", "spouse", "child", "parent")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DOCUMENT_KINDS = (
    "id_card",
    "invoice",
    "bmi_settlement",
    "expense_itemisation",
    "discharge_summary",
    "prescription",
    "pathology_report",
    "payee_bank_card",
    "guardian_id",
    "relationship_proof",
    "treatment_record",
)


class Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE
        ordered = True


class TextSchema(Strict):
    zh = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))
    en = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))


def _text(**kw: Any) -> ma.fields.Nested:
    return ma.fields.Nested(TextSchema, **kw)


class PerTierInt(Strict):
    standard = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    pre_existing = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class PerTierBp(Strict):
    standard = ma.fields.Integer(required=True, strict=True, validate=validate.Range(0, 10_000))
    pre_existing = ma.fields.Integer(required=True, strict=True, validate=validate.Range(0, 10_000))


class WindowSchema(Strict):
    opens = ma.fields.NaiveDateTime(required=True, format="iso")
    closes = ma.fields.NaiveDateTime(required=True, format="iso")

    @ma.validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        if data["closes"] <= data["opens"]:
            raise ma.ValidationError("Must be after opens.", "closes")


class CoverageSchema(Strict):
    kind = ma.fields.String(required=True, validate=validate.OneOf(["fixed", "rolling"]))
    start = ma.fields.Date()
    end = ma.fields.Date()
    start_weekday = ma.fields.String(validate=validate.OneOf(WEEKDAYS))
    duration_months = ma.fields.Integer(strict=True, validate=validate.Range(1, 60))

    @ma.validates_schema
    def _shape(self, data: dict[str, Any], **_: Any) -> None:
        if data["kind"] == "fixed":
            for key in ("start", "end"):
                if key not in data:
                    raise ma.ValidationError("Required for fixed coverage.", key)
            if data["end"] < data["start"]:
                raise ma.ValidationError("Must not be before start.", "end")
        else:
            for key in ("start_weekday", "duration_months"):
                if key not in data:
                    raise ma.ValidationError("Required for rolling coverage.", key)


class EligibilitySchema(Strict):
    roster_required = ma.fields.Boolean(required=True)
    roster_status = ma.fields.String(required=True, validate=validate.OneOf(["normal"]))


class PremiumRuleSchema(Strict):
    code = ma.fields.String(required=True, validate=CODE)
    name = _text(required=True)
    premium_fen = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    born_on_or_after = ma.fields.Date()
    born_before = ma.fields.Date()


class ConditionSchema(Strict):
    code = ma.fields.String(required=True, validate=CODE)
    name = _text(required=True)


class DeductibleGroupSchema(Strict):
    code = ma.fields.String(required=True, validate=CODE)
    name = _text(required=True)
    amount_fen = ma.fields.Nested(PerTierInt, required=True)


class LiabilitySchema(Strict):
    code = ma.fields.String(required=True, validate=CODE)
    name = _text(required=True)
    description = _text(required=True)
    deductible_group = ma.fields.String(required=True, allow_none=True)
    ratio_bp = ma.fields.Nested(PerTierBp, required=True)
    annual_cap_fen = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    drug_list_only = ma.fields.Boolean(load_default=False)


class SpecialDrugSchema(Strict):
    code = ma.fields.String(required=True, validate=CODE)
    generic_name = _text(required=True)
    brand = _text(required=True)
    indication = _text(required=True)
    manufacturer = ma.fields.String(load_default="")


class ChecklistItemSchema(Strict):
    kind = ma.fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    name = _text(required=True)
    required = ma.fields.Boolean(load_default=True)
    when = ma.fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["minor"]))


class ClaimTypeSchema(Strict):
    code = ma.fields.String(required=True, validate=CODE)
    name = _text(required=True)
    liabilities = ma.fields.List(ma.fields.String(), required=True, validate=validate.Length(min=1))
    documents = ma.fields.List(ma.fields.Nested(ChecklistItemSchema), required=True)


class TermsSchema(Strict):
    format = ma.fields.String(required=True, validate=validate.Equal(FORMAT))
    code = ma.fields.String(required=True, validate=CODE)
    scheme = ma.fields.String(required=True, validate=CODE)
    plan_year = ma.fields.Integer(required=True, strict=True, validate=validate.Range(2000, 2200))
    name = _text(required=True)
    city = _text(required=True)
    timezone = ma.fields.String(required=True)
    is_demo = ma.fields.Boolean(load_default=False)
    enrollment_window = ma.fields.Nested(WindowSchema, required=True)
    coverage = ma.fields.Nested(CoverageSchema, required=True)
    eligibility = ma.fields.Nested(EligibilitySchema, required=True)
    relations = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(RELATIONS)),
        required=True,
        validate=validate.Length(min=1),
    )
    premium_rules = ma.fields.List(
        ma.fields.Nested(PremiumRuleSchema), required=True, validate=validate.Length(min=1)
    )
    pre_existing_conditions = ma.fields.List(ma.fields.Nested(ConditionSchema), required=True)
    continuous_enrollment = ma.fields.String(
        required=True, validate=validate.OneOf(["keep_standard_tier", "none"])
    )
    deductible_groups = ma.fields.List(ma.fields.Nested(DeductibleGroupSchema), required=True)
    liabilities = ma.fields.List(
        ma.fields.Nested(LiabilitySchema), required=True, validate=validate.Length(min=1)
    )
    overall_cap_fen = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    special_drugs = ma.fields.List(ma.fields.Nested(SpecialDrugSchema), required=True)
    refund_rule = ma.fields.String(
        required=True, validate=validate.OneOf(["full_before_coverage_start"])
    )
    claim_filing_deadline_years = ma.fields.Integer(
        required=True, strict=True, validate=validate.Range(1, 10)
    )
    claim_types = ma.fields.List(ma.fields.Nested(ClaimTypeSchema), required=True)

    @ma.validates("timezone")
    def _tz(self, value: str, **_: Any) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ma.ValidationError("Unknown IANA timezone.") from exc

    @ma.validates("relations")
    def _self_first(self, value: list[str], **_: Any) -> None:
        if "self" not in value:
            raise ma.ValidationError("Must include self.")

    @ma.validates_schema
    def _references(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, Any] = {}

        def unique(key: str) -> set[str]:
            seen: set[str] = set()
            for index, item in enumerate(data.get(key, [])):
                if item["code"] in seen:
                    errors.setdefault(key, {})[index] = {"code": ["Duplicate code."]}
                seen.add(item["code"])
            return seen

        groups = unique("deductible_groups")
        liabilities = unique("liabilities")
        drugs = unique("special_drugs")
        unique("pre_existing_conditions")
        unique("premium_rules")
        unique("claim_types")
        for index, item in enumerate(data.get("liabilities", [])):
            group = item.get("deductible_group")
            if group is not None and group not in groups:
                errors.setdefault("liabilities", {}).setdefault(index, {})["deductible_group"] = [
                    f"No deductible group {group!r} in deductible_groups."
                ]
            if item.get("drug_list_only") and not drugs:
                errors.setdefault("liabilities", {}).setdefault(index, {})["drug_list_only"] = [
                    "special_drugs must list at least one drug."
                ]
        for index, claim_type in enumerate(data.get("claim_types", [])):
            for code in claim_type["liabilities"]:
                if code not in liabilities:
                    errors.setdefault("claim_types", {}).setdefault(index, {})["liabilities"] = [
                        f"No liability {code!r} in liabilities."
                    ]
        for index, rule in enumerate(data.get("premium_rules", [])):
            low, high = rule.get("born_on_or_after"), rule.get("born_before")
            if low and high and high <= low:
                errors.setdefault("premium_rules", {}).setdefault(index, {})["born_before"] = [
                    "Must be after born_on_or_after."
                ]
        rules = data.get("premium_rules", [])
        if rules and (rules[-1].get("born_on_or_after") or rules[-1].get("born_before")):
            errors.setdefault("premium_rules", {}).setdefault(len(rules) - 1, {})["code"] = [
                "The last premium rule must apply to everybody (no birth-date condition)."
            ]
        if errors:
            raise ma.ValidationError(errors)


class TermsFileError(ValueError):
    """A terms file that does not validate; `errors` maps dotted field paths to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        lines = [f"{path}: {'; '.join(msgs)}" for path, msgs in sorted(errors.items())]
        super().__init__("invalid terms:\n  " + "\n  ".join(lines))


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                path = prefix or "(file)"
            for sub_path, msgs in flatten_errors(value, path).items():
                out.setdefault(sub_path, []).extend(msgs)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix or "(file)"] = list(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            out.update(flatten_errors(value, f"{prefix}.{index}"))
    else:
        out[prefix or "(file)"] = [str(messages)]
    return out


class _NoDatesLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay strings for marshmallow to check."""


_NoDatesLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_terms_file(path: str | Path) -> dict[str, Any]:
    text = Path(path).read_text(encoding="utf-8")
    try:
        if str(path).endswith(".json"):
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=_NoDatesLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise TermsFileError({"(file)": [f"Not valid YAML/JSON: {exc}"]}) from exc
    if not isinstance(data, dict):
        raise TermsFileError({"(file)": ["The terms must be a mapping at the top level."]})
    return data


def validate_terms(data: dict[str, Any]) -> dict[str, Any]:
    """Validate and return the canonical JSON-able document (what the database stores)."""
    schema = TermsSchema()
    try:
        loaded = schema.load(data)
    except ma.ValidationError as exc:
        raise TermsFileError(flatten_errors(exc.messages)) from exc
    canonical: dict[str, Any] = json.loads(json.dumps(schema.dump(loaded)))
    return canonical


def _t(value: dict[str, str]) -> Text:
    return Text(value["zh"], value["en"])


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def terms_from_document(doc: dict[str, Any]) -> Terms:
    """Build the engine's Terms from a canonical (validated) document."""
    window = doc["enrollment_window"]
    cov = doc["coverage"]
    return Terms(
        code=doc["code"],
        scheme=doc["scheme"],
        plan_year=doc["plan_year"],
        name=_t(doc["name"]),
        city=_t(doc["city"]),
        timezone=doc["timezone"],
        is_demo=doc.get("is_demo", False),
        window=EnrollmentWindow(
            datetime.fromisoformat(window["opens"]), datetime.fromisoformat(window["closes"])
        ),
        coverage=Coverage(
            kind=cov["kind"],
            start=_d(cov.get("start")),
            end=_d(cov.get("end")),
            start_weekday=WEEKDAYS.index(cov["start_weekday"])
            if cov.get("start_weekday")
            else None,
            duration_months=cov.get("duration_months"),
        ),
        eligibility_roster_required=doc["eligibility"]["roster_required"],
        eligibility_roster_status=doc["eligibility"]["roster_status"],
        relations=tuple(doc["relations"]),
        premium_rules=tuple(
            PremiumRule(
                code=r["code"],
                name=_t(r["name"]),
                premium_fen=r["premium_fen"],
                born_on_or_after=_d(r.get("born_on_or_after")),
                born_before=_d(r.get("born_before")),
            )
            for r in doc["premium_rules"]
        ),
        conditions=tuple(
            Condition(c["code"], _t(c["name"])) for c in doc["pre_existing_conditions"]
        ),
        continuous_enrollment=doc["continuous_enrollment"],
        deductible_groups=tuple(
            DeductibleGroup(g["code"], _t(g["name"]), {t: g["amount_fen"][t.value] for t in TIERS})
            for g in doc["deductible_groups"]
        ),
        liabilities=tuple(
            Liability(
                code=item["code"],
                name=_t(item["name"]),
                description=_t(item["description"]),
                deductible_group=item["deductible_group"],
                ratio_bp={t: item["ratio_bp"][t.value] for t in TIERS},
                annual_cap_fen=item["annual_cap_fen"],
                drug_list_only=item.get("drug_list_only", False),
            )
            for item in doc["liabilities"]
        ),
        overall_cap_fen=doc["overall_cap_fen"],
        special_drugs=tuple(
            SpecialDrug(
                code=d["code"],
                generic_name=_t(d["generic_name"]),
                brand=_t(d["brand"]),
                indication=_t(d["indication"]),
                manufacturer=d.get("manufacturer", ""),
            )
            for d in doc["special_drugs"]
        ),
        refund_rule=doc["refund_rule"],
        claim_deadline_years=doc["claim_filing_deadline_years"],
        claim_types=tuple(
            ClaimType(
                code=c["code"],
                name=_t(c["name"]),
                liabilities=tuple(c["liabilities"]),
                documents=tuple(
                    ChecklistItem(i["kind"], _t(i["name"]), i.get("required", True), i.get("when"))
                    for i in c["documents"]
                ),
            )
            for c in doc["claim_types"]
        ),
    )


def load_terms_file(path: str | Path) -> tuple[dict[str, Any], Terms]:
    doc = validate_terms(read_terms_file(path))
    return doc, terms_from_document(doc)


__all__ = [
    "FORMAT",
    "TermsFileError",
    "Tier",
    "load_terms_file",
    "read_terms_file",
    "terms_from_document",
    "validate_terms",
]
