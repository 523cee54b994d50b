"""The issue's journey, end to end in two browsers against one live server.

A member files a hospital claim with three photos of the invoice; a reviewer asks for one
more document; the member adds it; the reviewer approves; the member sees "approved" with
the payout lines and a message.

The server is this module's own (own database and document directory) with the demo of
`make run` seeded (`flask demo seed`, app/demo/seed.py): the plan demo-running with cover
running today, the demo family of 陈建国 with six claims (one of his stays already paid,
so his deductible is used up), and the reviewer demo-reviewer.

Two browser contexts, nothing through the API:
- the member's phone (360×640): 微信登录 → the WeChat stand-in → the test person
  "陈建国（演示家庭）" → 我的 → 我的理赔 (the demo claims) → 申请理赔: himself, a hospital
  stay, the costs with the live estimate → the checklist: three photos of the invoice in
  one go and one photo of every other required document → submit;
- the reviewer's desktop (1366×900): /staff/ with password and the current TOTP code →
  the queue → the new claim → start the review → ask for another discharge summary;
- the member: 待补充材料 with the request → adds the photo → submits again;
- the reviewer: reload → start the review → approve with the amounts as filed;
- the member: 已通过 with the payout lines, the payout equal to the estimate shown when
  filing, and on "我的" the unread badge; the message centre's newest message is the
  approval, and it opens the claim.
Console and page errors fail the test. Screenshots go to tests/artifacts/
(claim-journey-*.png).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.demo import seed as demo
from app.staff import passwords
from tests.browser.conftest import _serve

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="playwright is not installed: pip install -e '.[test]' (no browser download needed)",
)
expect = sync_api.expect
pytest.importorskip("PIL.Image")  # the photos (app/demo/seed.py draws them)

pytestmark = pytest.mark.browser

TZ = ZoneInfo("Asia/Shanghai")
# The stand-in pages link no icon: Chromium asks for /favicon.ico, which is not served.
STANDIN_FAVICON = r"status of 404 .*'url': 'http://[^']+/favicon\.ico'"
HOSPITAL = "厦门大学附属第一医院"
NOTE = "出院小结缺少医院盖章页，请补拍一张"
# The other required documents of a hospital claim (the invoice gets three photos).
ONE_PHOTO_EACH = ["id_card", "bmi_settlement", "expense_itemisation", "discharge_summary",
                  "payee_bank_card"]  # fmt: skip


def by(page: Any, testid: str) -> Any:
    return page.get_by_test_id(testid)


def shot(page: Any, artifacts: Path, name: str, full_page: bool = False) -> None:
    if not full_page:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / f"claim-journey-{name}.png"), full_page=full_page)


def photo(path: Path, label: str, seed: int) -> Path:
    """A photo of a paper document, as the demo's (each label its own file: the server
    would flag the same file on two claims as a possible duplicate)."""
    path.write_bytes(demo._page(f"journey {label}", 1000 + seed))
    return path


def thumbnails_loaded(page: Any, count: int) -> None:
    """Every staff thumbnail shown (each read is audited, a write: acting meanwhile would
    race those writes on SQLite)."""
    expect(by(page, "doc-thumb-img")).to_have_count(count)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=doc-thumb-img]')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of this module alone, the demo seeded, its documents in its own folder."""
    tmp = tmp_path_factory.mktemp("claim-journey-server")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCUMENT_DIR", str(tmp / "documents"))
        with _serve(tmp, demo=True) as base_url:
            yield base_url


def test_hospital_claim_from_filing_to_approval(
    page: Any, desk: Any, console: Any, server: str, artifacts_dir: Path, tmp_path: Path
) -> None:
    phone, base = page, server
    console.allow(STANDIN_FAVICON)
    # the staff console asks who is logged in before the login (only that 401 is allowed)
    console.allow(r"status of 401 .*'url': 'http://[^']+/api/v1/staff/me'")
    timings: dict[str, float] = {}
    started = time.monotonic()

    def lap(name: str) -> None:
        timings[name] = round(time.monotonic() - started, 1)

    # --- 1. the member logs in through the WeChat stand-in as the demo family ----------
    phone.goto(base + "/")
    by(phone, "home-login").get_by_test_id("login-wechat").click()
    picker = by(phone, "standin-picker")
    expect(picker).to_have_attribute("data-provider", "wechat")
    picker.locator(".standin-person", has_text=demo.NICKNAME).click()
    expect(phone).to_have_url(re.compile(r"/#/me$"))
    expect(by(phone, "me-nickname")).to_have_text(demo.NICKNAME)
    expect(by(phone, "me-verified")).to_have_attribute("data-verified", "true")

    # 我的 → 我的理赔: the six demo claims.
    by(phone, "me-claims").click()
    expect(phone).to_have_url(re.compile(r"#/claims$"))
    demo_claims = by(phone, "claim-list").locator("li > a.claim-item")
    expect(demo_claims).to_have_count(6)
    statuses = {demo_claims.nth(i).get_attribute("data-status") for i in range(6)}
    assert statuses == {
        "paid", "rejected", "under_review", "need_more_info", "submitted", "draft"
    }, statuses  # fmt: skip
    shot(phone, artifacts_dir, "01-member-claims")
    lap("member logged in, demo claims listed")

    # --- 2. a new hospital claim for himself: the costs and the live estimate ---------
    by(phone, "claims-new").click()
    expect(by(phone, "step-label")).to_have_text("第 1 步，共 2 步")
    himself = by(phone, "cf-person").locator("label.option", has_text="（本人）")
    expect(himself).to_have_count(1)
    himself.locator('input[type="radio"]').check()
    by(phone, "type-hospital").check()
    today = datetime.now(TZ).date()
    start, end = today - timedelta(days=12), today - timedelta(days=5)
    by(phone, "service-start").fill(start.isoformat())
    by(phone, "service-end").fill(end.isoformat())
    by(phone, "hospital").fill(HOSPITAL)
    by(phone, "amount-in_catalog").fill("12,000")
    by(phone, "amount-out_of_catalog").fill("1500.50")
    # His deductible is used up by the paid demo claim: 12,000 × 80% + 1,500.50 × 70%.
    estimate = by(phone, "claim-estimate-total")
    expect(estimate).to_have_text("10,650.35 元")
    lines = {c: by(phone, f"claim-estimate-line-{c}") for c in ("in_catalog", "out_of_catalog")}
    expect(lines["in_catalog"].get_by_test_id("line-payout")).to_have_text("9,600.00 元")
    expect(lines["out_of_catalog"].get_by_test_id("line-payout")).to_have_text("1,050.35 元")
    estimate_seen = estimate.inner_text()
    by(phone, "claim-estimate").evaluate("e => e.scrollIntoView({block: 'start'})")
    phone.screenshot(path=str(artifacts_dir / "claim-journey-02-member-estimate.png"))
    by(phone, "cf-next").click()

    # --- the checklist: three photos of the invoice, one of every other document ------
    expect(by(phone, "step-label")).to_have_text("第 2 步，共 2 步")
    expect(phone).to_have_url(re.compile(r"#/claims/new\?draft=\w+$"))
    claim_id = phone.url.rsplit("=", 1)[1]
    expect(by(phone, "cf-summary-estimate")).to_have_text(estimate_seen)
    missing = by(phone, "docs-missing")
    expect(missing).to_contain_text("还缺 6 项必需材料")
    invoice = by(phone, "checklist-invoice")
    pages = [photo(tmp_path / f"invoice-page-{i}.jpg", f"invoice page {i}", i) for i in (1, 2, 3)]
    by(phone, "file-invoice").set_input_files([str(p) for p in pages])
    expect(invoice).to_have_attribute("data-count", "3")
    expect(invoice.get_by_test_id("doc")).to_have_count(3)
    expect(invoice.get_by_test_id("upload")).to_have_count(0)  # none failed nor waiting
    for seed, kind in enumerate(ONE_PHOTO_EACH, start=10):
        by(phone, f"file-{kind}").set_input_files(str(photo(tmp_path / f"{kind}.jpg", kind, seed)))
        expect(by(phone, f"checklist-{kind}")).to_have_attribute("data-count", "1")
    expect(missing).to_have_text("必需材料已齐全，可以提交。")
    by(phone, "docs").evaluate("e => e.scrollIntoView({block: 'start'})")
    phone.screenshot(path=str(artifacts_dir / "claim-journey-03-member-checklist.png"))

    by(phone, "claim-submit").click()
    expect(phone).to_have_url(re.compile(rf"#/claims/{claim_id}$"))
    expect(by(phone, "claim-notice")).to_have_text("理赔申请已提交。审核结果会通过消息中心通知您。")
    expect(by(phone, "claim-status")).to_have_attribute("data-status", "submitted")
    expect(by(phone, "docs").get_by_test_id("doc")).to_have_count(8)
    number = by(phone, "claim-number").inner_text()
    expect(by(phone, "claim-head-number")).to_contain_text(number)
    shot(phone, artifacts_dir, "04-member-submitted")
    lap("claim filed with 8 photos")

    # --- 3. the reviewer: login, the queue, the claim, ask for a discharge summary ----
    code = passwords.totp_at(demo.REVIEWER_TOTP_SECRET, passwords.totp_step(time.time()))
    desk.goto(base + "/staff/")
    expect(by(desk, "login-form")).to_be_visible()
    by(desk, "login-username").fill(demo.REVIEWER)
    by(desk, "login-password").fill(demo.REVIEWER_PASSWORD)
    by(desk, "login-totp").fill(code)  # good for this step and the next (±1 step)
    by(desk, "login-submit").click()
    expect(by(desk, "staff-who")).to_contain_text("演示审核员")
    expect(desk).to_have_url(re.compile(r"#/queue$"))
    row = desk.locator(f'[data-testid="queue-row"][data-claim-number="{number}"]')
    expect(row.get_by_test_id("status")).to_have_text("已提交")
    expect(row).to_contain_text("13,500.50 元")
    shot(desk, artifacts_dir, "05-staff-queue", full_page=True)
    row.get_by_test_id("queue-open").click()
    expect(desk).to_have_url(re.compile(rf"#/claims/{claim_id}$"))
    expect(by(desk, "claim-number")).to_have_text(number)
    expect(by(desk, "claim-hospital")).to_have_text(HOSPITAL)
    expect(by(desk, "claimed-total")).to_have_text("13,500.50 元")
    expect(by(desk, "estimate-total")).to_have_text(estimate_seen)
    expect(by(desk, "doc")).to_have_count(8)
    thumbnails_loaded(desk, 8)
    by(desk, "action-start-review").click()
    expect(by(desk, "claim-status")).to_have_text("审核中")
    by(desk, "action-request-info").click()
    by(desk, "ri-kind-discharge_summary").check()
    by(desk, "ri-note").fill(NOTE)
    by(desk, "ri-submit").click()
    expect(by(desk, "claim-status")).to_have_text("待补充材料")
    expect(by(desk, "claim-info-request")).to_contain_text("出院小结")
    expect(by(desk, "claim-info-request")).to_contain_text(NOTE)
    shot(desk, artifacts_dir, "06-staff-need-more-info", full_page=True)
    lap("reviewer asked for a document")

    # --- 4. the member: the request, the photo added, submitted again -----------------
    phone.reload()
    expect(by(phone, "claim-status")).to_have_attribute("data-status", "need_more_info")
    expect(by(phone, "claim-status")).to_have_text("待补充材料")
    ask = by(phone, "info-request")
    expect(ask.get_by_test_id("info-request-note")).to_have_text(f"审核员留言：{NOTE}")
    expect(ask.get_by_test_id("info-request-kinds")).to_have_text("需要补充：出院小结")
    expect(by(phone, "docs-missing")).to_have_text("请上传审核员要求补充的材料：出院小结")
    shot(phone, artifacts_dir, "07-member-info-request")
    asked = by(phone, "checklist-discharge_summary")
    stamped = photo(tmp_path / "stamped.jpg", "stamped", 99)
    by(phone, "file-discharge_summary").set_input_files(str(stamped))
    expect(asked).to_have_attribute("data-count", "2")
    expect(by(phone, "docs-missing")).to_have_text("必需材料已齐全，可以提交。")
    by(phone, "claim-resubmit").click()
    expect(by(phone, "claim-notice")).to_have_text("补充材料已提交，审核继续。")
    expect(by(phone, "claim-status")).to_have_attribute("data-status", "submitted")
    lap("member added the document")

    # --- 5. the reviewer: reload, start the review, approve as filed ------------------
    desk.reload()
    expect(by(desk, "claim-status")).to_have_text("已提交")
    expect(by(desk, "doc")).to_have_count(9)
    thumbnails_loaded(desk, 9)
    by(desk, "action-start-review").click()
    expect(by(desk, "claim-status")).to_have_text("审核中")
    by(desk, "action-approve").click()
    expect(by(desk, "ap-amount-0")).to_have_value("12000.00")
    expect(by(desk, "ap-amount-1")).to_have_value("1500.50")
    by(desk, "ap-submit").click()
    expect(by(desk, "claim-status")).to_have_text("已通过")
    result = by(desk, "approve-result")
    expect(result.get_by_test_id("approve-result-line")).to_have_count(2)
    expect(result.get_by_test_id("approve-result-total")).to_have_text(estimate_seen)
    expect(by(desk, "decision-total")).to_have_text(estimate_seen)
    shot(desk, artifacts_dir, "08-staff-approved", full_page=True)
    lap("reviewer approved")

    # --- 6. the member: approved, the payout lines, the message -----------------------
    phone.reload()
    status = by(phone, "claim-status")
    expect(status).to_have_attribute("data-status", "approved")
    expect(status).to_have_text("已通过")
    decision = by(phone, "decision")
    expect(decision.get_by_test_id("decision-total")).to_have_text(estimate_seen)
    in_line = decision.get_by_test_id("decision-line-in_catalog")
    expect(in_line).to_contain_text("医保目录内个人自付费用")
    expect(in_line.get_by_test_id("line-payout")).to_have_text("9,600.00 元")
    expect(in_line).to_contain_text("80%")
    out_line = decision.get_by_test_id("decision-line-out_of_catalog")
    expect(out_line.get_by_test_id("line-payout")).to_have_text("1,050.35 元")
    expect(out_line).to_contain_text("70%")
    expect(by(phone, "timeline-entry").first).to_have_attribute("data-action", "approve")
    shot(phone, artifacts_dir, "09-member-approved")
    decision.evaluate("e => e.scrollIntoView({block: 'start'})")
    phone.screenshot(path=str(artifacts_dir / "claim-journey-10-member-payout-lines.png"))

    # The unread badge on "我的", and the approval first in the message centre.
    by(phone, "back-to-claims").click()
    mine = by(phone, f"claim-{claim_id}")
    expect(mine).to_have_attribute("data-status", "approved")
    expect(mine.get_by_test_id("claim-payout")).to_have_text(estimate_seen)
    badge = by(phone, "nav-unread")
    expect(badge).to_be_visible()
    unread = int(badge.get_attribute("data-unread") or "0")
    assert unread >= 1, unread
    phone.goto(base + "/#/messages")
    expect(by(phone, "messages-unread")).to_have_text(f"{unread} 条未读")
    newest = by(phone, "message-list").locator("li > button").first
    expect(newest).to_have_attribute("data-claim", claim_id)
    expect(newest).to_have_attribute("data-read", "false")
    expect(newest.get_by_test_id("message-title")).to_have_text(f"理赔申请 {number}：已通过")
    expect(newest.get_by_test_id("message-body")).to_have_text("工作人员通过了您的理赔申请")
    shot(phone, artifacts_dir, "11-member-message")
    newest.click()  # read, and it opens the claim
    expect(phone).to_have_url(re.compile(rf"#/claims/{claim_id}$"))
    expect(by(phone, "claim-status")).to_have_attribute("data-status", "approved")
    if unread > 1:
        expect(by(phone, "nav-unread")).to_have_attribute("data-unread", str(unread - 1))
    else:
        expect(by(phone, "nav-unread")).to_have_count(0)
    lap("member saw the approval and the message")

    print("claim journey timings (s since start):", timings)
    assert console.unexpected() == [], console.unexpected()
