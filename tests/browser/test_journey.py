"""A member's journey on a phone: Debian's Chromium at 360×640 against the real server.

Home (plan, window, live countdown, premiums), the language switch and elder mode
(remembered across a reload), then the estimator: the standard tier chosen directly,
the pre-existing tier from the condition checklist, and a special drug found by search.
Console errors and page errors fail the test: the server sends a strict
Content-Security-Policy, and a violation shows up as a console error.
Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "Debian's Chromium is not installed: make test installs it with apt when run as root "
        "or with CI=true",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="playwright is not installed: pip install -e '.[test]' (no browser download needed)",
)
expect = sync_api.expect

pytestmark = pytest.mark.browser

COUNTDOWN_ZH = re.compile(r"^\d+天 \d\d:\d\d:\d\d$")
COUNTDOWN_EN = re.compile(r"^\d+ days? \d\d:\d\d:\d\d$")


def shot(page: Any, artifacts: Path, name: str, element: Any = None) -> None:
    """What the phone shows (the element scrolled to the top, else the page top),
    and the whole page as `<name>-full.png`."""
    if element is None:
        page.evaluate("window.scrollTo(0, 0)")
    else:
        element.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(artifacts / f"{name}.png"))
    page.screenshot(path=str(artifacts / f"{name}-full.png"), full_page=True)


def by(page: Any, testid: str) -> Any:
    return page.get_by_test_id(testid)


def zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def body_font_px(page: Any) -> float:
    return float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))


def test_home_language_and_elder_mode(
    page: Any, console: Any, live_server: str, artifacts_dir: Path
) -> None:
    response = page.goto(live_server + "/")
    assert response is not None and response.ok
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "style-src 'self'" in csp, csp

    # The current plan (the demo plan, open today) with its window and a live countdown.
    expect(by(page, "plan-name")).to_be_visible()
    expect(by(page, "plan-name")).to_contain_text("惠厦保")
    expect(by(page, "demo-badge")).to_be_visible()
    expect(by(page, "window-status")).to_have_text("正在报名")
    countdown = by(page, "countdown")
    expect(countdown).to_be_visible()
    expect(countdown).to_have_text(COUNTDOWN_ZH)
    first = countdown.text_content()
    page.wait_for_function(
        "t => document.querySelector('[data-testid=countdown]').textContent !== t",
        arg=first,
        timeout=5_000,
    )
    expect(by(page, "premium-standard")).to_contain_text("129.00")
    expect(by(page, "premium-newborn")).to_contain_text("99.00")
    expect(by(page, "premium-newborn")).to_contain_text("及以后出生")
    expect(by(page, "liability-in_catalog")).to_contain_text("80%")
    expect(by(page, "liability-in_catalog")).to_contain_text("40%")
    expect(by(page, "liability-in_catalog")).to_contain_text("20,000.00")
    expect(by(page, "overall-cap")).to_contain_text("4,500,000.00")
    expect(by(page, "preex-list")).to_contain_text("糖尿病")

    # The window in the plan's timezone (the close is exclusive: the last day is the day before).
    plan = page.request.get(live_server + "/api/v1/plans/current").json()
    tz = ZoneInfo(plan["timezone"])
    opens = datetime.fromisoformat(plan["enrollment"]["opens_at"]).astimezone(tz)
    closes = datetime.fromisoformat(plan["enrollment"]["closes_at"]).astimezone(tz)
    last_day = (closes - timedelta(microseconds=1)).date()
    expect(by(page, "enroll-period")).to_have_text(
        f"{zh_date(opens.date())} 至 {zh_date(last_day)}"
    )
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    shot(page, artifacts_dir, "01-home-zh")

    # English, then back to Chinese.
    by(page, "lang-toggle").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(by(page, "plan-name")).to_contain_text("Huixia Bao")
    expect(by(page, "window-status")).to_have_text("Enrollment open")
    expect(by(page, "countdown")).to_have_text(COUNTDOWN_EN)
    expect(by(page, "nav-estimate")).to_have_text("Estimate")
    expect(by(page, "premium-newborn")).to_contain_text("born on or after")
    expect(by(page, "lang-toggle")).to_have_text("中文")
    shot(page, artifacts_dir, "02-home-en")
    by(page, "lang-toggle").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(by(page, "plan-name")).to_contain_text("惠厦保")
    expect(by(page, "nav-estimate")).to_have_text("赔付测算")

    # Elder mode: a class on <html>, larger body text.
    before = body_font_px(page)
    by(page, "elder-toggle").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    expect(by(page, "elder-toggle")).to_have_attribute("aria-pressed", "true")
    after = body_font_px(page)
    assert after > before, (before, after)
    shot(page, artifacts_dir, "03-home-elder")

    # Both settings survive a reload.
    by(page, "lang-toggle").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(by(page, "plan-name")).to_contain_text("Huixia Bao")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    assert body_font_px(page) == after
    shot(page, artifacts_dir, "04-home-en-elder-after-reload")

    assert console.unexpected() == []


def test_estimator_journey(page: Any, console: Any, live_server: str, artifacts_dir: Path) -> None:
    page.goto(live_server + "/")
    expect(by(page, "plan-name")).to_be_visible()
    by(page, "nav-estimate").click()
    expect(page).to_have_url(re.compile(r"#/estimate$"))
    expect(by(page, "estimate-form")).to_be_visible()
    expect(by(page, "nav-estimate")).to_have_attribute("aria-current", "page")

    # Nothing entered: the member is told what is missing, nothing is sent.
    by(page, "estimate-submit").click()
    expect(by(page, "form-error")).to_be_visible()
    expect(by(page, "tier-section")).to_contain_text("请选择人群")

    # Standard tier chosen directly; out-of-catalog 100,000 yuan.
    by(page, "tier-standard").check()
    by(page, "amount-out_of_catalog").fill("100000")
    by(page, "estimate-submit").click()
    expect(by(page, "estimate-total")).to_contain_text("56,000.00")
    expect(by(page, "estimate-out-of-pocket")).to_contain_text("44,000.00")
    expect(by(page, "estimate-tier")).to_have_attribute("data-tier", "standard")
    line = by(page, "estimate-line-out_of_catalog")
    expect(line).to_be_visible()
    explanation = line.get_by_test_id("line-explanation")
    expect(explanation).to_be_visible()
    expect(explanation).to_contain_text("医保目录外自费费用")
    expect(explanation).to_contain_text("70%")
    shot(page, artifacts_dir, "05-estimate-standard-zh", by(page, "estimate-result"))

    # The language switch redraws the result; what was typed stays.
    by(page, "lang-toggle").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(by(page, "estimate-total")).to_have_text("¥56,000.00")
    expect(
        by(page, "estimate-line-out_of_catalog").get_by_test_id("line-explanation")
    ).to_contain_text("Out-of-catalog costs")
    expect(by(page, "amount-out_of_catalog")).to_have_value("100000")
    expect(by(page, "tier-standard")).to_be_checked()
    shot(page, artifacts_dir, "06-estimate-standard-en", by(page, "estimate-result"))
    by(page, "lang-toggle").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(by(page, "estimate-total")).to_have_text("56,000.00 元")

    # A bad amount is caught on the phone, with a clear inline message.
    by(page, "amount-in_catalog").fill("12.345")
    by(page, "estimate-submit").click()
    expect(by(page, "form-error")).to_be_visible()
    expect(by(page, "expense-in_catalog")).to_contain_text("最多两位小数")
    expect(by(page, "amount-in_catalog")).to_have_attribute("aria-invalid", "true")
    expect(by(page, "amount-in_catalog")).to_be_focused()

    # Pre-existing tier from the checklist: diabetes ticked.
    by(page, "tier-check").check()
    expect(by(page, "checklist")).to_be_visible()
    by(page, "condition-diabetes").check()
    by(page, "tier-check-submit").click()
    result = by(page, "tier-result")
    expect(result).to_contain_text("特定既往症人群")
    expect(by(page, "tier-result-tier")).to_have_attribute("data-tier", "pre_existing")
    expect(by(page, "tier-reasons")).to_contain_text("糖尿病")
    shot(page, artifacts_dir, "07-tier-check", by(page, "tier-result"))

    # In-catalog 50,000 + out-of-catalog 100,000 on the pre-existing tier.
    by(page, "amount-in_catalog").fill("50000")
    by(page, "estimate-submit").click()
    expect(by(page, "estimate-tier")).to_have_attribute("data-tier", "pre_existing")
    expect(by(page, "estimate-total")).to_contain_text("43,000.00")
    expect(by(page, "estimate-line-in_catalog")).to_be_visible()
    expect(by(page, "estimate-line-out_of_catalog")).to_be_visible()
    shot(page, artifacts_dir, "08-estimate-pre-existing", by(page, "estimate-result"))

    # A special drug, found by search (indication "CAR-T", then the brand name).
    search = by(page, "drug-search")
    search.fill("CAR-T")
    expect(by(page, "drug-option-axi-cel")).to_be_visible()
    expect(by(page, "drug-option-relma-cel")).to_be_visible()
    search.fill("奕凯达")
    expect(by(page, "drug-option-axi-cel")).to_be_visible()
    expect(by(page, "drug-option-relma-cel")).to_have_count(0)
    shot(page, artifacts_dir, "09-drug-search", by(page, "expense-special_drugs"))
    by(page, "drug-option-axi-cel").click()
    expect(by(page, "drug-picked-axi-cel")).to_contain_text("阿基仑赛注射液")
    amount = by(page, "drug-amount-axi-cel")
    expect(amount).to_be_focused()
    amount.fill("100000")
    by(page, "estimate-submit").click()
    drug_line = by(page, "estimate-line-special_drugs")
    expect(drug_line).to_be_visible()
    expect(drug_line.get_by_test_id("line-payout")).to_contain_text("40,000.00")
    expect(by(page, "estimate-total")).to_contain_text("83,000.00")

    # Every step of the calculation, in the member's language.
    steps = by(page, "explanations")
    steps.locator("summary").click()
    expect(steps.locator("li").first).to_be_visible()
    expect(steps).to_contain_text("合计赔付")
    expect(by(page, "estimate-summary")).to_contain_text("合计赔付")
    shot(page, artifacts_dir, "10-estimate-special-drug", by(page, "estimate-line-special_drugs"))

    assert console.unexpected() == []


def test_weak_network_shows_a_retryable_error(
    page: Any, console: Any, live_server: str, artifacts_dir: Path
) -> None:
    # The connection drops for the plan request (and its one automatic retry).
    page.route("**/api/v1/plans/current", lambda route: route.abort("internetdisconnected"))
    console.allow(r"net::ERR_INTERNET_DISCONNECTED")
    page.goto(live_server + "/")
    error = by(page, "error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("网络")
    shot(page, artifacts_dir, "11-network-error")

    page.unroute("**/api/v1/plans/current")
    by(page, "retry").click()
    expect(by(page, "plan-name")).to_contain_text("惠厦保")

    assert console.unexpected() == []
