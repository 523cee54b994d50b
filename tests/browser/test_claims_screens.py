"""A member files a claim on a phone and follows it to the payout.

Debian's Chromium at 360×640 against a server of this module's own. Setup (through the
API, as the screens' own journeys are tested elsewhere): a WeChat stand-in login verified
as 陈建国, his wife 林秀英 added, both enrolled on the demo plan and paid from his
medical insurance personal account; then their policies' cover is moved to have started
40 days ago in the server's database (the demo plan's cover starts after its enrollment
window, and a claim needs cover that has started).

The journey: 我的 → 我的理赔 (empty) → 申请理赔: the person, the claim type, the dates,
the costs in yuan with the live estimate (one request after typing stops, the figures
worked by hand), a bad amount marked, the draft saved → the checklist: a photo from the
"camera" with its thumbnail, a lost upload shown with a retry button that then works, a
file that is no image refused with the server's message, submit refused while documents
are missing, several files for one kind, a progress bar on a slow network → submitted:
status, SLA due date and days left, timeline. A reviewer asks for a document: the request
and the paused clock show, the member adds it and submits again; the reviewer approves
and an admin marks it paid: the decision line by line and the payment. The list shows
the payout. A second claim is saved and withdrawn (after a "cancel"). English and large
text at 360 px without sideways scrolling.
Console and page errors fail the test, except the HTTP errors it provokes on purpose.
Screenshots go to tests/artifacts/ (claims-*.png).
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.roster.fake import DEMO_PEOPLE
from app.staff import passwords
from tests.browser.conftest import PHONE, REPO, Console, _serve

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="playwright is not installed: pip install -e '.[test]' (no browser download needed)",
)
expect = sync_api.expect
Image = pytest.importorskip("PIL.Image")

pytestmark = pytest.mark.browser

CHEN = DEMO_PEOPLE[0]  # 陈建国: 3,000.00 yuan in his personal account
LIN = DEMO_PEOPLE[1]  # 林秀英
TZ = ZoneInfo("Asia/Shanghai")
CLAIMS = "/api/v1/claims"
STANDIN_FAVICON = r"status of 404 .*'url': 'http://[^']+/favicon\.ico'"
STAFF_PASSWORD = "claims-journey-password-1"  # a test account of a test server
HOSPITAL_KINDS = [
    "id_card",
    "invoice",
    "bmi_settlement",
    "expense_itemisation",
    "discharge_summary",
    "payee_bank_card",
]


@dataclass
class Server:
    base: str
    tmp: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.tmp / 'browser.db'}",
            "DEV_STANDINS": "1",
            "STANDIN_DB": str(self.tmp / "standins.sqlite3"),
            "APP_ENV": "development",
        }

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app.wsgi", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def sql(self, statement: str, *params: Any) -> None:
        with sqlite3.connect(self.tmp / "browser.db") as db:
            db.execute(statement, params)


@dataclass
class Member:
    storage: Path
    me_id: str
    wife_id: str


def by(page: Any, testid: str) -> Any:
    return page.get_by_test_id(testid)


def shot(page: Any, artifacts: Path, name: str, element: Any = None) -> None:
    if element is None:
        page.evaluate("window.scrollTo(0, 0)")
    else:
        element.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(artifacts / f"{name}.png"))
    page.screenshot(path=str(artifacts / f"{name}-full.png"), full_page=True)


def today() -> Any:
    return datetime.now(TZ).date()


def zh_date(d: Any) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def jpeg(path: Path, seed: int, size: tuple[int, int] = (96, 72)) -> Path:
    """A small JPEG of random pixels (each seed a different file: the server keeps one copy
    of the same file per claim)."""
    rnd = random.Random(seed)
    data = bytes(rnd.getrandbits(8) for _ in range(size[0] * size[1] * 3))
    buf = io.BytesIO()
    Image.frombytes("RGB", size, data).save(buf, "JPEG", quality=90)
    path.write_bytes(buf.getvalue())
    return path


class Api:
    """JSON calls as whoever the context's cookies say, with the CSRF token."""

    def __init__(self, request: Any, base: str, csrf: str) -> None:
        self.request, self.base, self.csrf = request, base, csrf

    def get(self, path: str) -> Any:
        answer = self.request.get(self.base + path)
        assert answer.ok, f"GET {path}: {answer.status} {answer.text()}"
        return answer.json()

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        answer = self.request.post(
            self.base + path,
            data=json.dumps(body if body is not None else {}),
            headers={"Content-Type": "application/json", "X-CSRF-Token": self.csrf, **headers},
        )
        assert answer.ok, f"POST {path}: {answer.status} {answer.text()}"
        return answer.json() if answer.status != 204 else None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("claims-server")
    with _serve(tmp) as base:
        yield Server(base, tmp)


@pytest.fixture(scope="module")
def member(browser: Any, server: Server, tmp_path_factory: pytest.TempPathFactory) -> Member:
    """陈建国 and his wife insured on the demo plan, their cover started 40 days ago."""
    base = server.base
    context = browser.new_context(**PHONE, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(base + "/")
    by(page, "home-login").get_by_test_id("login-wechat").click()
    expect(by(page, "standin-picker")).to_be_visible()
    page.locator("#standin-nickname").fill("陈先生")
    by(page, "create").click()
    expect(page).to_have_url(re.compile(r"#/me$"))
    csrf = page.request.get(base + "/api/v1/me/csrf").json()["csrf_token"]
    api = Api(page.request, base, csrf)
    kind = "sensitive_personal_information"
    version = api.get(f"/api/v1/consent-texts/{kind}")["version"]
    api.post("/api/v1/me/consents", {"kind": kind, "terms_version": version, "granted": True})
    api.post("/api/v1/me/real-name", {"name": CHEN.name, "id_number": CHEN.id_number})
    api.post(
        "/api/v1/me/persons",
        {"relation": "spouse", "name": LIN.name, "id_number": LIN.id_number},
    )
    persons = {p["relation"]: p["id"] for p in api.get("/api/v1/me/persons")}
    me_id, wife_id = persons["self"], persons["spouse"]
    conditions = api.get("/api/v1/plans/demo")["pre_existing_conditions"]
    for pid in (me_id, wife_id):
        api.post(
            f"/api/v1/me/persons/{pid}/declarations",
            {
                "plan_code": "demo",
                "answers": {c["code"]: False for c in conditions},
                "health_consent": True,
            },
        )
    order = api.post(
        "/api/v1/orders",
        {"plan_code": "demo", "persons": [me_id, wife_id]},
        **{"Idempotency-Key": "claims-journey-order"},
    )
    api.post(
        f"/api/v1/orders/{order['id']}/personal-account-payments",
        {"persons": [me_id, wife_id], "relatives_consent": True},
        **{"Idempotency-Key": "claims-journey-pay"},
    )
    policies = api.get("/api/v1/me/policies")
    assert len(policies) == 2, policies
    started = (today() - timedelta(days=40)).isoformat()
    server.sql("UPDATE policies SET coverage_start = ?", started)
    storage = tmp_path_factory.mktemp("claims-member") / "state.json"
    context.storage_state(path=str(storage))
    context.close()
    return Member(storage, me_id, wife_id)


@pytest.fixture(scope="module")
def staff(browser: Any, server: Server) -> Iterator[Api]:
    """A reviewer who is also an admin, logged in with password and TOTP."""
    out = server.cli(
        "staff",
        "create",
        "claims-reviewer",
        "--role",
        "reviewer",
        "--role",
        "admin",
        "--name",
        "审核员",
        "--password",
        STAFF_PASSWORD,
    )
    secret = re.search(r"TOTP secret: (\S+)", out)
    assert secret, out
    context = browser.new_context()
    code = passwords.totp_at(secret.group(1), passwords.totp_step(time.time()))
    answer = context.request.post(
        server.base + "/api/v1/staff/session",
        data=json.dumps({"username": "claims-reviewer", "password": STAFF_PASSWORD, "totp": code}),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status == 201, answer.text()
    yield Api(context.request, server.base, answer.json()["csrf_token"])
    context.close()


@pytest.fixture
def phone(browser: Any, member: Member, console: Console) -> Iterator[Any]:
    """The member's phone (logged in), New York time on purpose: dates show in Shanghai's."""
    context = browser.new_context(
        **PHONE,
        locale="zh-CN",
        timezone_id="America/New_York",
        storage_state=str(member.storage),
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.on("console", console.on_console)
    tab.on("pageerror", console.on_page_error)
    try:
        yield tab
    finally:
        context.close()


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width}px wide"


def test_member_files_a_claim_and_follows_it(
    phone: Any,
    console: Console,
    server: Server,
    member: Member,
    staff: Api,
    artifacts_dir: Path,
    tmp_path: Path,
) -> None:
    page, base = phone, server.base
    console.allow(r"status of 422")  # submit with documents missing, the refused file
    console.allow(r"status of 415")  # the file that is no image
    console.allow(r"net::ERR_FAILED")  # the upload cut on purpose
    estimates: list[Any] = []
    page.on(
        "request",
        lambda r: (
            estimates.append(r.post_data_json)
            if r.url.endswith("/claims/estimate") and r.method == "POST"
            else None
        ),
    )

    # 我的 → 我的理赔: nothing yet.
    page.goto(base + "/#/me")
    expect(by(page, "me-services")).to_contain_text("理赔与消息")
    expect(by(page, "me-messages")).to_have_attribute("href", "#/messages")
    by(page, "me-claims").click()
    expect(page).to_have_url(re.compile(r"#/claims$"))
    expect(by(page, "claims-empty")).to_have_text("您还没有理赔申请。")
    expect(by(page, "nav-me")).to_have_attribute("aria-current", "page")

    # Step 1: who, what, when, how much.
    by(page, "claims-new").click()
    expect(page).to_have_url(re.compile(r"#/claims/new$"))
    expect(by(page, "step-label")).to_have_text("第 1 步，共 2 步")
    expect(by(page, f"person-{member.wife_id}")).to_be_visible()
    by(page, "cf-next").click()  # nothing chosen
    expect(by(page, "error-person")).to_have_text("请选择被保险人。")
    expect(by(page, f"person-{member.me_id}")).to_be_focused()
    by(page, f"person-{member.me_id}").check()
    expect(by(page, "type-hospital")).to_be_visible()
    expect(by(page, "type-special_drug")).to_be_visible()
    by(page, "type-hospital").check()
    expect(by(page, "claim-estimate-wait")).to_have_text("填写金额后自动测算。")
    start, end = today() - timedelta(days=12), today() - timedelta(days=5)
    by(page, "service-start").fill(start.isoformat())
    expect(by(page, "service-end")).to_have_value(start.isoformat())  # one day is the usual case
    by(page, "service-end").fill(end.isoformat())
    by(page, "hospital").fill("厦门大学附属第一医院")

    # The live estimate: asked once when typing stops (not for every key).
    by(page, "amount-in_catalog").press_sequentially("30,000", delay=60)
    expect(by(page, "claim-estimate-total")).to_have_text("8,000.00 元")
    assert len(estimates) == 1, estimates
    assert estimates[0] == {
        "person_id": member.me_id,
        "claim_type": "hospital",
        "expenses": [{"liability": "in_catalog", "amount_fen": 3_000_000}],
    }
    line = by(page, "claim-estimate-line-in_catalog")
    expect(line.get_by_test_id("line-payout")).to_have_text("8,000.00 元")
    expect(line).to_contain_text("20,000.00 元")  # the deductible
    expect(line).to_contain_text("80%")
    by(page, "amount-out_of_catalog").fill("12.345")
    by(page, "hospital").focus()
    expect(by(page, "error-amount-out_of_catalog")).to_have_text("最多两位小数（精确到分）")
    by(page, "amount-out_of_catalog").fill("５００.５")  # full-width digits are fine
    expect(by(page, "error-amount-out_of_catalog")).to_be_hidden()
    # 500.50 out of catalog at 70 % (the deductible already used up by the first line)
    expect(by(page, "claim-estimate-total")).to_have_text("8,350.35 元")
    out_line = by(page, "claim-estimate-line-out_of_catalog")
    expect(out_line.get_by_test_id("line-payout")).to_have_text("350.35 元")
    no_sideways_scroll(page)
    shot(page, artifacts_dir, "claims-01-form", by(page, "claim-estimate"))

    with page.expect_request(lambda r: r.url.endswith(CLAIMS) and r.method == "POST") as created:
        by(page, "cf-next").click()
    sent = created.value.post_data_json
    assert sent["person_id"] == member.me_id and sent["claim_type"] == "hospital", sent
    assert sent["service_start"] == start.isoformat() and sent["service_end"] == end.isoformat()
    assert sent["hospital"] == "厦门大学附属第一医院"
    assert sent["expenses"] == [
        {"liability": "in_catalog", "amount_fen": 3_000_000},
        {"liability": "out_of_catalog", "amount_fen": 50_050},
    ], sent
    assert created.value.headers.get("x-csrf-token")
    expect(page).to_have_url(re.compile(r"#/claims/new\?draft=\w+$"))
    claim_id = page.url.rsplit("=", 1)[1]

    # Step 2: the checklist. Nothing uploaded: six required kinds missing.
    expect(by(page, "step-label")).to_have_text("第 2 步，共 2 步")
    expect(by(page, "step-title")).to_be_focused()
    expect(by(page, "cf-summary-claimed")).to_have_text("30,500.50 元")
    expect(by(page, "cf-summary-estimate")).to_have_text("8,350.35 元")
    missing = by(page, "docs-missing")
    expect(missing).to_have_attribute("data-missing", ",".join(HOSPITAL_KINDS))
    expect(missing).to_contain_text("还缺 6 项必需材料")
    for kind in HOSPITAL_KINDS:
        expect(by(page, f"checklist-{kind}")).to_have_attribute("data-missing", "true")
    expect(by(page, "checklist-guardian_id")).to_have_count(0)  # he is no minor
    camera = by(page, "camera-id_card")
    expect(camera).to_have_attribute("capture", "environment")
    expect(camera).to_have_attribute("accept", "image/*,application/pdf")

    # A photo from the camera: sent as the raw body with the CSRF token; its thumbnail.
    with page.expect_request(lambda r: "/documents?kind=id_card" in r.url) as upload:
        camera.set_input_files(str(jpeg(tmp_path / "id.jpg", 1)))
    assert upload.value.headers.get("content-type") == "image/jpeg"  # the raw file, no form
    assert upload.value.headers.get("x-csrf-token")
    assert "filename=id.jpg" in upload.value.url
    id_row = by(page, "checklist-id_card")
    expect(id_row).to_have_attribute("data-count", "1")
    expect(id_row).to_have_attribute("data-missing", "false")
    expect(id_row.get_by_test_id("doc-count")).to_have_text("已上传 1 份")
    thumb = id_row.get_by_test_id("doc").locator("img")
    expect(thumb).to_have_attribute(
        "src", re.compile(rf"^{CLAIMS}/{claim_id}/documents/\w+/file\?variant=thumbnail$")
    )
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    expect(missing).to_contain_text("还缺 5 项必需材料")

    # The invoice's first upload is lost on the way: the message and a retry that works.
    page.route(re.compile(r".*/documents\?kind=invoice.*"), lambda r: r.abort(), times=1)
    by(page, "file-invoice").set_input_files(str(jpeg(tmp_path / "invoice-1.jpg", 2)))
    failed = by(page, "checklist-invoice").get_by_test_id("upload")
    expect(failed).to_have_attribute("data-status", "failed")
    expect(failed.get_by_test_id("upload-error")).to_contain_text("网络连接不稳定")
    expect(failed.get_by_test_id("upload-status")).to_have_text("上传失败")
    expect(failed).to_have_attribute("data-retryable", "true")
    shot(page, artifacts_dir, "claims-02-upload-failed", by(page, "checklist-invoice"))
    failed.get_by_test_id("upload-retry").click()
    expect(by(page, "checklist-invoice")).to_have_attribute("data-count", "1")
    expect(by(page, "checklist-invoice").get_by_test_id("upload")).to_have_count(0)

    # A file that is no image nor PDF: the server's words, and it can be removed; no retry
    # (the same file would be refused again).
    notes = tmp_path / "notes.jpg"
    notes.write_text("这不是图片", encoding="utf-8")
    by(page, "file-bmi_settlement").set_input_files(str(notes))
    refused = by(page, "checklist-bmi_settlement").get_by_test_id("upload")
    expect(refused.get_by_test_id("upload-error")).to_have_text(
        "请上传照片（JPEG、PNG、HEIC）或 PDF 文件。"
    )
    expect(refused).to_have_attribute("data-retryable", "false")
    expect(refused.get_by_test_id("upload-status")).to_have_text("未能上传")
    expect(refused.get_by_test_id("upload-retry")).to_have_count(0)
    expect(refused.get_by_test_id("upload-remove")).to_be_visible()
    expect(by(page, "checklist-bmi_settlement")).to_have_attribute("data-count", "0")
    refused.get_by_test_id("upload-remove").click()
    expect(refused).to_have_count(0)

    # Submit while documents are missing: refused, with what is missing.
    by(page, "claim-submit").click()
    expect(by(page, "submit-error")).to_have_text(
        "还缺以下材料，请上传后再提交：医保结算单、费用明细清单、出院小结、领款人银行卡"
    )
    expect(by(page, "submit-error")).to_be_focused()

    # Several files at once for one kind; on a slow network each has its progress bar.
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 50, "downloadThroughput": -1, "uploadThroughput": 60_000},
    )
    big = [jpeg(tmp_path / f"settlement-{i}.jpg", 10 + i, (360, 270)) for i in range(2)]
    by(page, "file-bmi_settlement").set_input_files([str(p) for p in big])
    going = by(page, "checklist-bmi_settlement").get_by_test_id("upload")
    expect(going).to_have_count(2)
    expect(going.first).to_have_attribute("data-status", "uploading")
    expect(going.nth(1)).to_have_attribute("data-status", "queued")  # one file at a time
    expect(going.first.get_by_test_id("upload-status")).to_have_text(
        re.compile(r"正在上传 ([1-9]\d?)%")
    )
    progress = going.first.get_by_test_id("upload-progress")
    expect(progress).to_be_visible()
    shot(page, artifacts_dir, "claims-03-uploading", by(page, "checklist-bmi_settlement"))
    by(page, "claim-submit").click()  # not while files are on their way
    expect(by(page, "submit-error")).to_have_text("还有文件正在上传，请等上传完成后再提交。")
    expect(by(page, "checklist-bmi_settlement")).to_have_attribute(
        "data-count", "2", timeout=30_000
    )
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    for seed, kind in enumerate(HOSPITAL_KINDS[3:], start=20):
        by(page, f"file-{kind}").set_input_files(str(jpeg(tmp_path / f"{kind}.jpg", seed)))
        expect(by(page, f"checklist-{kind}")).to_have_attribute("data-count", "1")
    expect(missing).to_have_text("必需材料已齐全，可以提交。")
    shot(page, artifacts_dir, "claims-04-checklist", by(page, "docs"))

    # Submitted: the claim's screen with its status, time limit and timeline.
    by(page, "claim-submit").click()
    expect(page).to_have_url(re.compile(rf"#/claims/{claim_id}$"))
    expect(by(page, "claim-notice")).to_have_text("理赔申请已提交。审核结果会通过消息中心通知您。")
    expect(by(page, "claim-status")).to_have_attribute("data-status", "submitted")
    expect(by(page, "claim-status")).to_have_text("已提交")
    claim = Api(page.request, base, "").get(f"{CLAIMS}/{claim_id}")
    due = datetime.fromisoformat(claim["sla"]["decision_due_at"]).astimezone(TZ).date()
    expect(by(page, "sla-decision")).to_have_attribute("data-state", "running")
    expect(by(page, "sla-decision")).to_contain_text(f"预计 {zh_date(due)} 前给出审核结果")
    expect(by(page, "sla-days-left")).to_have_text("还剩 29 天")
    entries = by(page, "timeline-entry")
    expect(entries).to_have_count(1)
    expect(entries.first.get_by_test_id("timeline-text")).to_have_text("您提交了理赔申请")
    submitted = datetime.fromisoformat(claim["submitted_at"]).astimezone(TZ)
    expect(entries.first.get_by_test_id("timeline-time")).to_have_text(
        f"{zh_date(submitted)} {submitted:%H:%M}"
    )
    expect(by(page, "claim-number")).to_have_text(claim["claim_number"])
    expect(by(page, "claim-hospital")).to_have_text("厦门大学附属第一医院")
    expect(by(page, "claim-expense-1")).to_contain_text("医保目录外自费费用")
    expect(by(page, "claim-expense-1")).to_contain_text("500.50 元")
    expect(by(page, "docs").get_by_test_id("doc")).to_have_count(7)
    expect(by(page, "doc-delete")).to_have_count(0)  # submitted: nothing to change
    expect(by(page, "claim-withdraw")).to_be_visible()
    no_sideways_scroll(page)
    shot(page, artifacts_dir, "claims-05-submitted")

    # The reviewer asks for another discharge summary: the request, the paused clock.
    staff.post(f"/api/v1/staff/claims/{claim_id}/start-review")
    note = "出院小结缺少医院盖章页"
    staff.post(
        f"/api/v1/staff/claims/{claim_id}/request-info",
        {"kinds": ["discharge_summary"], "note": note},
    )
    page.reload()
    expect(by(page, "claim-status")).to_have_attribute("data-status", "need_more_info")
    ask = by(page, "info-request")
    expect(ask.get_by_test_id("info-request-note")).to_have_text(f"审核员留言：{note}")
    expect(ask.get_by_test_id("info-request-kinds")).to_have_text("需要补充：出院小结")
    expect(by(page, "sla-decision")).to_have_attribute("data-state", "paused")
    expect(by(page, "sla-decision")).to_contain_text("审核计时暂停")
    asked = by(page, "checklist-discharge_summary")
    expect(asked).to_have_class(re.compile(r"\bis-asked\b"))
    expect(by(page, "timeline-entry").first.get_by_test_id("timeline-text")).to_contain_text(
        "请您补充材料：请补充：出院小结（出院小结缺少医院盖章页）"
    )
    expect(by(page, "docs-missing")).to_have_text("请上传审核员要求补充的材料：出院小结")
    expect(asked.get_by_test_id("doc-asked")).to_have_text("请上传新的文件")
    shot(page, artifacts_dir, "claims-06-info-request")
    by(page, "file-discharge_summary").set_input_files(str(jpeg(tmp_path / "stamp.jpg", 40)))
    expect(asked).to_have_attribute("data-count", "2")
    expect(by(page, "docs-missing")).to_have_text("必需材料已齐全，可以提交。")
    expect(asked.get_by_test_id("doc-asked")).to_have_count(0)
    by(page, "claim-resubmit").click()
    expect(by(page, "claim-notice")).to_have_text("补充材料已提交，审核继续。")
    expect(by(page, "claim-status")).to_have_attribute("data-status", "submitted")
    expect(by(page, "sla-decision")).to_have_attribute("data-state", "running")

    # Approved as filed, then paid: the decision line by line and the payment.
    staff.post(f"/api/v1/staff/claims/{claim_id}/start-review")
    staff.post(
        f"/api/v1/staff/claims/{claim_id}/approve",
        {
            "expenses": [
                {"liability": "in_catalog", "amount_fen": 3_000_000},
                {"liability": "out_of_catalog", "amount_fen": 50_050},
            ]
        },
    )
    page.reload()
    expect(by(page, "claim-status")).to_have_attribute("data-status", "approved")
    expect(by(page, "decision-total")).to_have_text("8,350.35 元")
    expect(by(page, "sla-payment")).to_have_attribute("data-state", "running")
    expect(by(page, "sla-payment-days-left")).to_have_text(re.compile(r"^还剩 (9|10) 天$"))
    staff.post(f"/api/v1/staff/claims/{claim_id}/mark-paid", {"bank_reference": "BR20261124001"})
    page.reload()
    expect(by(page, "claim-status")).to_have_attribute("data-status", "paid")
    expect(by(page, "claim-status")).to_have_text("已赔付")
    decision = by(page, "decision")
    expect(decision.get_by_test_id("decision-total")).to_have_text("8,350.35 元")
    line = decision.get_by_test_id("decision-line-in_catalog")
    expect(line).to_contain_text("医保目录内个人自付费用")
    expect(line.get_by_test_id("line-payout")).to_have_text("8,000.00 元")
    expect(line).to_contain_text("30,000.00 元")
    expect(line).to_contain_text("20,000.00 元")
    expect(line).to_contain_text("80%")
    expect(line.get_by_test_id("line-explanation")).not_to_be_empty()
    out_line = decision.get_by_test_id("decision-line-out_of_catalog")
    expect(out_line.get_by_test_id("line-payout")).to_have_text("350.35 元")
    expect(out_line).to_contain_text("70%")
    expect(by(page, "bank-reference")).to_have_text("BR20261124001")
    expect(by(page, "sla-payment")).to_have_attribute("data-state", "stopped")
    expect(by(page, "claim-withdraw")).to_have_count(0)
    expect(by(page, "timeline-entry")).to_have_count(7)
    expect(by(page, "timeline-entry").first).to_have_attribute("data-action", "mark_paid")
    no_sideways_scroll(page)
    shot(page, artifacts_dir, "claims-07-paid", decision)

    # The list: the payout of the paid claim.
    by(page, "back-to-claims").click()
    item = by(page, f"claim-{claim_id}")
    expect(item).to_have_attribute("data-status", "paid")
    expect(item.get_by_test_id("claim-payout")).to_have_text("8,350.35 元")
    expect(item.get_by_test_id("claim-claimed")).to_have_text("30,500.50 元")
    expect(item.get_by_test_id("claim-person")).to_have_text("陈**（本人）")
    shot(page, artifacts_dir, "claims-08-list")

    # English and large text at 360 px.
    item.click()
    by(page, "lang-toggle").click()
    expect(by(page, "claim-status")).to_have_text("paid")
    expect(decision.get_by_role("heading", name="Decision")).to_be_visible()
    expect(by(page, "sla-payment")).to_contain_text("Paid on")
    by(page, "elder-toggle").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    no_sideways_scroll(page)
    shot(page, artifacts_dir, "claims-09-paid-en-elder", decision)
    by(page, "elder-toggle").click()
    by(page, "lang-toggle").click()

    assert console.unexpected() == [], console.unexpected()


def test_member_saves_a_special_drug_claim_and_withdraws_it(
    phone: Any,
    console: Console,
    server: Server,
    member: Member,
    artifacts_dir: Path,
    tmp_path: Path,
) -> None:
    page, base = phone, server.base
    console.allow(r"status of 413")  # the file over the limit
    page.goto(base + "/#/claims/new")
    by(page, f"person-{member.wife_id}").check()
    by(page, "type-special_drug").check()
    day = (today() - timedelta(days=3)).isoformat()
    by(page, "service-start").fill(day)
    by(page, "drug-search").fill("奕凯达")
    option = by(page, "drug-results").locator('[data-testid^="drug-option-"]')
    expect(option).to_have_count(1)
    option.click()
    amount = by(page, "drug-picked").locator('[data-testid^="drug-amount-"]')
    expect(amount).to_be_focused()
    by(page, "cf-next").click()  # the drug's cost not entered
    expect(by(page, "form-error")).to_have_text("请先修改标红的内容。")
    expect(amount).to_be_focused()
    amount.fill("1200000")
    by(page, "elder-toggle").click()  # large text: the form still fits the phone
    no_sideways_scroll(page)
    shot(page, artifacts_dir, "claims-11-drug-form-elder", by(page, "cf-amounts"))
    by(page, "elder-toggle").click()
    expect(by(page, "claim-estimate-total")).not_to_have_text("")
    by(page, "cf-next").click()
    expect(by(page, "step-label")).to_have_text("第 2 步，共 2 步")
    claim_id = page.url.rsplit("=", 1)[1]
    expect(by(page, "checklist-prescription")).to_be_visible()

    # A file over the limit: refused from its declared length, the server's words shown.
    huge = tmp_path / "scan.pdf"
    huge.write_bytes(b"%PDF-1.4\n" + bytes(16 * 1024 * 1024))
    by(page, "file-prescription").set_input_files(str(huge))
    refused = by(page, "checklist-prescription").get_by_test_id("upload")
    # (the generic 413 text until app/claims/files.py checks the length before request.stream)
    expect(refused.get_by_test_id("upload-error")).to_have_text(
        re.compile(r"^(文件过大（最大 15 MB）。|请求内容过大。)$")
    )
    expect(refused.get_by_test_id("upload-retry")).to_have_count(0)  # too large stays too large
    expect(refused.get_by_test_id("upload-remove")).to_be_visible()
    expect(by(page, "checklist-prescription")).to_have_attribute("data-count", "0")

    # Back to the form: the draft is kept (the person can no longer change).
    by(page, "cf-back").click()
    expect(by(page, "cf-person-locked")).to_have_text("林**（配偶）")
    expect(amount).to_have_value("1200000")
    page.reload()  # the draft as the server keeps it
    expect(by(page, "step-label")).to_have_text("第 2 步，共 2 步")
    by(page, "cf-back").click()
    expect(amount).to_have_value("1200000")
    expect(by(page, "service-end")).to_have_value(day)
    amount.fill("1300000")
    with page.expect_request(lambda r: r.url.endswith(f"{CLAIMS}/{claim_id}")) as patched:
        by(page, "cf-next").click()
    assert patched.value.method == "PATCH"
    assert "person_id" not in patched.value.post_data_json
    expect(by(page, "cf-summary-claimed")).to_have_text("1,300,000.00 元")

    # A file put on by mistake is deleted (after a second tap).
    by(page, "file-prescription").set_input_files(str(jpeg(tmp_path / "rx.jpg", 50)))
    rx = by(page, "checklist-prescription")
    expect(rx).to_have_attribute("data-count", "1")
    rx.get_by_test_id("doc-delete").click()
    rx.get_by_test_id("doc-delete-cancel").click()
    expect(rx).to_have_attribute("data-count", "1")
    rx.get_by_test_id("doc-delete").click()
    rx.get_by_test_id("doc-delete-confirm").click()
    expect(rx).to_have_attribute("data-count", "0")
    expect(rx.get_by_test_id("doc")).to_have_count(0)

    # From the list: the draft; withdrawing asks first.
    page.goto(base + "/#/claims")
    draft = by(page, f"claim-{claim_id}")
    expect(draft).to_have_attribute("data-status", "draft")
    expect(draft.get_by_test_id("claim-status")).to_have_text("草稿")
    draft.click()
    expect(by(page, "claim-edit")).to_have_attribute("href", f"#/claims/new?draft={claim_id}")
    by(page, "claim-withdraw").click()
    expect(by(page, "withdraw-box")).to_contain_text("确定撤回这份理赔申请吗")
    expect(by(page, "withdraw-confirm")).to_be_focused()
    by(page, "withdraw-cancel").click()
    expect(by(page, "withdraw-box")).to_have_count(0)
    expect(by(page, "claim-status")).to_have_attribute("data-status", "draft")
    by(page, "claim-withdraw").click()
    with page.expect_request(lambda r: r.url.endswith(f"/{claim_id}/withdraw")) as sent:
        by(page, "withdraw-confirm").click()
    assert sent.value.headers.get("x-csrf-token")
    expect(by(page, "claim-notice")).to_have_text("理赔申请已撤回。")
    expect(by(page, "claim-status")).to_have_attribute("data-status", "withdrawn")
    expect(by(page, "claim-withdraw")).to_have_count(0)
    expect(by(page, "claim-submit")).to_have_count(0)
    expect(by(page, "timeline-entry").first).to_have_attribute("data-action", "withdraw")
    shot(page, artifacts_dir, "claims-10-withdrawn")
    assert console.unexpected() == [], console.unexpected()


def member_api(page: Any, base: str) -> Api:
    """The phone's own calls (its cookies), with a CSRF token."""
    csrf = page.request.get(base + "/api/v1/me/csrf").json()["csrf_token"]
    return Api(page.request, base, csrf)


def draft_claim(api: Any, person_id: str, days_ago: int, amount_fen: int) -> Any:
    day = today() - timedelta(days=days_ago)
    return api.post(
        CLAIMS,
        {
            "person_id": person_id,
            "claim_type": "hospital",
            "service_start": (day - timedelta(days=2)).isoformat(),
            "service_end": day.isoformat(),
            "hospital": "厦门市中医院",
            "expenses": [{"liability": "in_catalog", "amount_fen": amount_fen}],
        },
    )


def test_rejected_and_withdrawn_claims_show_no_payout(
    phone: Any,
    console: Console,
    server: Server,
    member: Member,
    staff: Api,
    artifacts_dir: Path,
    tmp_path: Path,
) -> None:
    """A rejected claim says it is not payable (no estimate shown as if it would be paid);
    a withdrawn one shows only what was claimed."""
    page, base = phone, server.base
    api = member_api(page, base)
    rejected = draft_claim(api, member.wife_id, 15, 4_500_000)
    assert rejected["estimate_fen"] > 0, rejected  # an estimate the list must not show
    for seed, kind in enumerate(HOSPITAL_KINDS, start=60):
        answer = page.request.post(
            f"{base}{CLAIMS}/{rejected['id']}/documents?kind={kind}&filename={kind}.jpg",
            data=jpeg(tmp_path / f"r-{kind}.jpg", seed).read_bytes(),
            headers={"Content-Type": "image/jpeg", "X-CSRF-Token": api.csrf},
        )
        assert answer.status == 201, answer.text()
    api.post(f"{CLAIMS}/{rejected['id']}/submit")
    staff.post(f"/api/v1/staff/claims/{rejected['id']}/start-review")
    staff.post(f"/api/v1/staff/claims/{rejected['id']}/reject", {"reason": "not_covered"})
    withdrawn = draft_claim(api, member.me_id, 14, 2_800_000)
    api.post(f"{CLAIMS}/{withdrawn['id']}/withdraw")

    page.goto(base + "/#/claims")
    item = by(page, f"claim-{rejected['id']}")
    expect(item).to_have_attribute("data-status", "rejected")
    expect(item.get_by_test_id("claim-claimed")).to_have_text("45,000.00 元")
    expect(item.get_by_test_id("claim-payout-none")).to_have_text("不予赔付")
    expect(item.get_by_test_id("claim-estimate")).to_have_count(0)
    expect(item.get_by_test_id("claim-payout")).to_have_count(0)
    expect(item).not_to_contain_text("预计赔付")
    gone = by(page, f"claim-{withdrawn['id']}")
    expect(gone).to_have_attribute("data-status", "withdrawn")
    expect(gone.get_by_test_id("claim-claimed")).to_have_text("28,000.00 元")
    for testid in ("claim-estimate", "claim-payout", "claim-payout-none"):
        expect(gone.get_by_test_id(testid)).to_have_count(0)
    no_sideways_scroll(page)
    shot(page, artifacts_dir, "claims-12-list-rejected", item)
    by(page, "lang-toggle").click()
    expect(item.get_by_test_id("claim-payout-none")).to_have_text("Not payable")
    expect(item).not_to_contain_text("Estimated payout")
    by(page, "lang-toggle").click()

    # The claim itself: the reason it is not paid, no figure that looks like a payout.
    item.click()
    expect(by(page, "claim-status")).to_have_attribute("data-status", "rejected")
    expect(by(page, "reject").get_by_role("heading")).to_have_text("不予赔付")
    expect(by(page, "reject-reason")).to_have_attribute("data-code", "not_covered")
    expect(by(page, "decision")).to_have_count(0)
    expect(by(page, "filing-estimate")).to_have_count(0)
    expect(by(page, "claim")).not_to_contain_text("预计赔付")
    page.goto(base + f"/#/claims/{withdrawn['id']}")
    expect(by(page, "claim-status")).to_have_attribute("data-status", "withdrawn")
    expect(by(page, "filing-estimate")).to_have_count(0)
    expect(by(page, "decision")).to_have_count(0)
    expect(by(page, "claim")).not_to_contain_text("预计赔付")
    assert console.unexpected() == [], console.unexpected()


def refusal(status: int, code: str, message_zh: str) -> dict[str, Any]:
    """An error in the service's shape (app/core/errors.py); message_zh is what shows."""
    body = {"code": status, "status": "refused", "error": code, "message": code}
    return {
        "status": status,
        "content_type": "application/json",
        "body": json.dumps({**body, "message_zh": message_zh}),
    }


def test_upload_retry_only_when_sending_again_may_work(
    phone: Any,
    console: Console,
    server: Server,
    member: Member,
    tmp_path: Path,
) -> None:
    """Retry for a lost connection (the journey above), 429 and 5xx; a file the server
    refused for good (413, 415, 422, 409) gets the server's words and Remove only."""
    page, base = phone, server.base
    console.allow(r"status of (409|413|415|422|429|503)")
    api = member_api(page, base)
    claim = draft_claim(api, member.me_id, 9, 1_000_000)
    page.goto(base + f"/#/claims/{claim['id']}")
    invoice = by(page, "checklist-invoice")
    expect(invoice).to_have_attribute("data-count", "0")
    too_many = "这份申请的材料已达上限。"
    locked = "理赔申请已提交审核，不能再修改。"
    encrypted = "PDF 文件已加密，请上传未加密的文件。"
    bad_type = "请上传照片（JPEG、PNG、HEIC）或 PDF 文件。"
    busy = "操作太频繁，请稍后再试。"
    cases = [
        (refusal(409, "too_many_documents", too_many), too_many, False),
        (refusal(409, "claim_locked", locked), locked, False),
        (refusal(422, "encrypted_pdf", encrypted), encrypted, False),
        (refusal(415, "unsupported_type", bad_type), bad_type, False),
        # a proxy's bare 413: our words
        ({"status": 413, "body": "too large"}, "文件太大，请压缩或拍得小一些后重新上传。", False),
        (refusal(429, "rate_limited", busy), busy, True),
        ({"status": 503, "body": "busy"}, "服务暂时不可用，请稍后点“重试”。", True),
    ]
    for i, (answer, text, retryable) in enumerate(cases):
        page.route(
            re.compile(r".*/documents\?kind=invoice.*"),
            lambda route, _request, answer=answer: route.fulfill(**answer),
            times=1,
        )
        by(page, "file-invoice").set_input_files(str(jpeg(tmp_path / f"inv-{i}.jpg", 80 + i)))
        row = invoice.get_by_test_id("upload")
        expect(row).to_have_attribute("data-status", "failed")
        expect(row.get_by_test_id("upload-error")).to_have_text(text)
        expect(row).to_have_attribute("data-retryable", "true" if retryable else "false")
        expect(row.get_by_test_id("upload-retry")).to_have_count(1 if retryable else 0)
        expect(row.get_by_test_id("upload-remove")).to_be_visible()
        if i < len(cases) - 1:
            row.get_by_test_id("upload-remove").click()
            expect(row).to_have_count(0)
    # the last one (503) is sent again and goes through
    invoice.get_by_test_id("upload-retry").click()
    expect(invoice).to_have_attribute("data-count", "1")
    expect(invoice.get_by_test_id("upload")).to_have_count(0)
    no_sideways_scroll(page)
    assert console.unexpected() == [], console.unexpected()
