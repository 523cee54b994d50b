"""Every figure comes with a step: a machine code, the values used, and a sentence
in Chinese and English that a member can read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from app.core.money import fen_to_yuan_str, ratio_to_percent_str
from app.rules.terms import Text, Tier

StepValue = int | str | bool | None


@dataclass(frozen=True)
class Step:
    code: str
    text: Text
    liability: str | None = None
    values: Mapping[str, StepValue] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "liability": self.liability,
            "values": dict(self.values),
            "zh": self.text.zh,
            "en": self.text.en,
        }


def y(fen: int) -> str:
    return fen_to_yuan_str(fen)


TIER_NAMES: Mapping[Tier, Text] = {
    Tier.STANDARD: Text("标准人群", "standard tier"),
    Tier.PRE_EXISTING: Text("特定既往症人群", "pre-existing condition tier"),
}


# --- premium -----------------------------------------------------------------


def premium_rule_text(rule_name: Text, birth_date: date, premium_fen: int, cond: Text) -> Text:
    return Text(
        f"出生日期 {birth_date.isoformat()}，{cond.zh}，"
        f"适用“{rule_name.zh}”，保费 {y(premium_fen)} 元",
        f"Born {birth_date.isoformat()}, {cond.en}: the {rule_name.en} rule applies, "
        f"premium {y(premium_fen)} yuan",
    )


def born_condition_text(on_or_after: date | None, before: date | None) -> Text:
    if on_or_after and before:
        return Text(
            f"在 {on_or_after.isoformat()} 至 {before.isoformat()}（不含）之间出生",
            f"born on or after {on_or_after.isoformat()} and before {before.isoformat()}",
        )
    if on_or_after:
        return Text(
            f"在 {on_or_after.isoformat()} 当天或之后出生",
            f"born on or after {on_or_after.isoformat()}",
        )
    if before:
        return Text(f"在 {before.isoformat()} 之前出生", f"born before {before.isoformat()}")
    return Text("不限出生日期", "any birth date")


# --- tier --------------------------------------------------------------------


def no_conditions_text() -> Text:
    return Text(
        "未申报任何特定既往症，属于标准人群",
        "No listed pre-existing condition declared: standard tier",
    )


def declared_conditions_text(names: list[Text]) -> Text:
    return Text(
        "申报了特定既往症：" + "、".join(n.zh for n in names),
        "Declared pre-existing condition(s): " + ", ".join(n.en for n in names),
    )


def continuous_keep_text(since_year: int, plan_year: int) -> Text:
    return Text(
        f"自 {since_year} 年起连续参保未中断，且该年度为标准人群，"
        f"{plan_year} 年度继续按标准人群保障",
        f"Enrolled without a break since {since_year}, when the tier was standard: "
        f"{plan_year} keeps the standard tier",
    )


def pre_existing_text() -> Text:
    return Text(
        "因申报特定既往症，属于特定既往症人群（免赔额和赔付比例不同）",
        "Because of the declared condition(s): pre-existing condition tier "
        "(different deductible and ratios)",
    )


def chain_text(years: list[int]) -> Text:
    if not years:
        return Text(
            "没有上一年度起连续参保的记录，人群按本年度健康告知确定",
            "No unbroken enrollment up to last year on record: "
            "the tier follows this year's declaration",
        )
    joined = "、".join(str(v) for v in years)
    return Text(
        f"此前连续参保年度：{joined}",
        "Earlier years enrolled without a break: " + ", ".join(str(v) for v in years),
    )


# --- payout ------------------------------------------------------------------


def expense_text(liability: Text, amount_fen: int, other_paid_fen: int, net_fen: int) -> Text:
    return Text(
        f"{liability.zh}：费用 {y(amount_fen)} 元，其他途径已报销 {y(other_paid_fen)} 元，"
        f"可计入 {y(net_fen)} 元",
        f"{liability.en}: cost {y(amount_fen)} yuan, paid elsewhere {y(other_paid_fen)} yuan, "
        f"counts {y(net_fen)} yuan",
    )


def drug_not_listed_text(drug_code: str | None, amount_fen: int) -> Text:
    shown = drug_code or "—"
    return Text(
        f"药品 {shown} 不在本计划特药清单内，{y(amount_fen)} 元不予赔付",
        f"Drug {shown} is not on this plan's special-drug list: {y(amount_fen)} yuan not covered",
    )


def drug_listed_text(generic: Text, brand: Text) -> Text:
    return Text(
        f"药品 {generic.zh}（{brand.zh}）在特药清单内",
        f"Drug {generic.en} ({brand.en}) is on the special-drug list",
    )


def deductible_text(group: Text, remaining_before: int, applied: int) -> Text:
    return Text(
        f"{group.zh}免赔额还剩 {y(remaining_before)} 元，本次抵扣 {y(applied)} 元",
        f"{group.en} deductible left {y(remaining_before)} yuan, {y(applied)} yuan applied now",
    )


def no_deductible_text(liability: Text) -> Text:
    return Text(f"{liability.zh}不设免赔额", f"{liability.en} has no deductible")


def ratio_text(base_fen: int, ratio_bp: int, raw_fen: int, tier: Tier, rounded: bool) -> Text:
    tn = TIER_NAMES[tier]
    pct = ratio_to_percent_str(ratio_bp)
    zh = f"（{y(base_fen)} 元）× {pct}（{tn.zh}赔付比例）= {y(raw_fen)} 元"
    en = f"({y(base_fen)} yuan) × {pct} ({tn.en} ratio) = {y(raw_fen)} yuan"
    if rounded:
        zh += "（不足 1 分的部分舍去）"
        en += " (rounded down to the fen)"
    return Text(zh, en)


def liability_cap_text(liability: Text, cap_fen: int, remaining_fen: int, paid_fen: int) -> Text:
    return Text(
        f"{liability.zh}年度限额 {y(cap_fen)} 元，还剩 {y(remaining_fen)} 元，"
        f"本次赔付 {y(paid_fen)} 元",
        f"{liability.en} annual cap {y(cap_fen)} yuan, {y(remaining_fen)} yuan left: "
        f"pays {y(paid_fen)} yuan",
    )


def overall_cap_text(cap_fen: int, remaining_fen: int, paid_fen: int) -> Text:
    return Text(
        f"年度总限额 {y(cap_fen)} 元，还剩 {y(remaining_fen)} 元，本次赔付 {y(paid_fen)} 元",
        f"Overall annual cap {y(cap_fen)} yuan, {y(remaining_fen)} yuan left: "
        f"pays {y(paid_fen)} yuan",
    )


def line_text(
    liability: Text, eligible: int, deductible: int, ratio_bp: int, payout: int, capped: str | None
) -> Text:
    pct = ratio_to_percent_str(ratio_bp)
    zh = (
        f"{liability.zh}：可计入 {y(eligible)} 元，抵扣免赔额 {y(deductible)} 元，"
        f"按 {pct} 赔付 {y(payout)} 元"
    )
    en = (
        f"{liability.en}: {y(eligible)} yuan counts, {y(deductible)} yuan deductible, "
        f"{pct} pays {y(payout)} yuan"
    )
    if capped == "liability":
        zh += "（已达该责任年度限额）"
        en += " (this liability's annual cap reached)"
    elif capped == "overall":
        zh += "（已达年度总限额）"
        en += " (overall annual cap reached)"
    return Text(zh, en)


def total_text(total_payout: int, out_of_pocket: int) -> Text:
    return Text(
        f"合计赔付 {y(total_payout)} 元，个人仍需自付 {y(out_of_pocket)} 元",
        f"Total payout {y(total_payout)} yuan; you still pay {y(out_of_pocket)} yuan",
    )
