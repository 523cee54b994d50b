"""The staff console at /staff/ on a desktop: login, queue, claim detail, the actions.

A server of its own (own database and document directory). Claims are filed the way
members file them: through the member API (an app bound to the server's database, in this
process) with the clock set back to 2023, on the sample plan xm-2023 (window 2023-04-25 to
2023-07-01, cover 2023-07-01 to 2024-06-30): 陈建国 of the fake roster verifies his
name, enrolls himself and his wife 林秀英 paying from his BMI personal account, and on
2023-08-20 files hospital claims with photos (and a PDF) of every document. One claim
reuses a photo of another: a possible duplicate. The server runs on the real clock, so
these claims are long overdue: the queue's first.

Staff users are made with `flask staff create` (the TOTP secret it prints gives the
codes). A reviewer logs in (a wrong code first), filters the queue, opens a claim
(person, plan, dates, SLA, documents with the viewer, duplicate warning), starts the review
and approves with a verified amount lower than claimed: the engine's lines and total show.
Another claim is sent back for documents, a third is rejected (`other` needs a text). An
admin marks the approved claim paid and reads the figures. Console and page errors fail
the tests. Screenshots go to tests/artifacts/ (staff-*.png).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.roster.fake import DEMO_PEOPLE
from tests.browser.conftest import REPO, _serve

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="playwright is not installed: pip install -e '.[test]' (no browser download needed)",
)
expect = sync_api.expect

pytestmark = pytest.mark.browser

PASSWORD = "staff-console-pass-2023"
PLAN = "xm-2023"
ENROLL_AT = datetime(2023, 5, 10, 2, 0, tzinfo=UTC)
FILE_AT = datetime(2023, 8, 20, 2, 0, tzinfo=UTC)
HOSPITAL_KINDS = [
    "id_card",
    "invoice",
    "bmi_settlement",
    "expense_itemisation",
    "discharge_summary",
    "payee_bank_card",
]
FATHER = DEMO_PEOPLE[0]  # 陈建国: employee, BMI personal account 3,000.00 yuan
MOTHER = DEMO_PEOPLE[1]  # 林秀英


def by(page: Any, testid: str) -> Any:
    return page.get_by_test_id(testid)


# --- the server and its data ----------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("staff-console-server")
    documents = tmp / "documents"
    with pytest.MonkeyPatch.context() as mp:
        # the server and the app filing the claims share the database and the documents
        mp.setenv("DOCUMENT_DIR", str(documents))
        with _serve(tmp) as base_url:
            info = {
                "url": base_url,
                "env": {
                    **os.environ,
                    "DATABASE_URL": f"sqlite:///{tmp / 'browser.db'}",
                    "DEV_STANDINS": "1",
                    "STANDIN_DB": str(tmp / "standins.sqlite3"),
                    "APP_ENV": "development",
                    "DOCUMENT_DIR": str(documents),
                },
            }
            info["claims"] = file_claims(info["env"])
            info["reviewer"] = create_staff(info["env"], "rev.chen", "reviewer", "陈审核")
            info["admin"] = create_staff(info["env"], "adm.lin", "admin", "林主管")
            yield info


def create_staff(env: dict[str, str], username: str, role: str, name: str) -> str:
    """`flask staff create`; returns the TOTP secret it prints."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app.wsgi", "staff", "create", username,
         "--role", role, "--name", name, "--password", PASSWORD],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"TOTP secret: ([A-Z2-7]+)", result.stdout)
    assert found, result.stdout
    return found.group(1)


def photo(seed: int, label: str, size: tuple[int, int] = (1400, 1000)) -> bytes:
    """A distinct JPEG per seed, larger than the screen (the viewer shows it full size)."""
    from PIL import Image, ImageDraw

    colour = ((seed * 67) % 200 + 40, (seed * 131) % 200 + 40, (seed * 29) % 200 + 40)
    image = Image.new("RGB", size, (250, 250, 246))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, size[0] - 40, 160), fill=colour)
    for row in range(8):
        y = 220 + row * 90
        draw.rectangle(
            (80, y, size[0] - 80 - (row * 53 + seed * 17) % 400, y + 30), fill=(200, 200, 200)
        )
    draw.text((60, 80), f"{label} #{seed}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


class Member:
    """A member's calls through the Flask test client of an app on the server's database."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.client = app.test_client()
        self.csrf = ""

    def login(self, member_id: str | None = None) -> str:
        from app.auth import sessions
        from app.core import clock
        from app.core.db import get_session
        from app.members.models import Member as MemberRow
        from app.members.models import MemberIdentity

        with self.app.test_request_context():
            db = get_session()
            if member_id is None:
                now = clock.now()
                row = MemberRow(created_at=now, nickname="陈爸爸")
                db.add(row)
                db.flush()
                db.add(
                    MemberIdentity(
                        member_id=row.id, provider="wechat", app_id="wxtest",
                        subject=f"o-{row.id}", nickname="陈爸爸", created_at=now, last_login_at=now,
                    )
                )  # fmt: skip
                member_id = row.id
            token, session_row = sessions.create(db, "member", member_id)
            name = sessions.cookie_spec("member").name
            self.csrf = session_row.csrf_token
            db.commit()
        self.client.set_cookie(name, token)
        return member_id

    def post(self, url: str, body: Any) -> Any:
        resp = self.client.post(url, json=body, headers={"X-CSRF-Token": self.csrf})
        assert resp.status_code in (200, 201), (url, resp.status_code, resp.get_json())
        return resp.get_json()

    def get(self, url: str) -> Any:
        resp = self.client.get(url)
        assert resp.status_code == 200, (url, resp.status_code, resp.get_json())
        return resp.get_json()

    def upload(self, claim_id: str, kind: str, data: bytes, filename: str, ctype: str) -> Any:
        resp = self.client.post(
            f"/api/v1/claims/{claim_id}/documents?kind={kind}&filename={filename}",
            data=data,
            content_type=ctype,
            headers={"X-CSRF-Token": self.csrf},
        )
        assert resp.status_code in (200, 201), (kind, resp.status_code, resp.get_json())
        return resp.get_json()


def member_app(env: dict[str, str]) -> Any:
    """An app on the server's database and documents, for the member's calls in-process."""
    from app import create_app

    return create_app(
        {
            "DATABASE_URL": env["DATABASE_URL"],
            "APP_ENV": "development",
            "DEV_STANDINS": True,
            "STANDIN_DB": env["STANDIN_DB"],
            "DOCUMENT_DIR": env["DOCUMENT_DIR"],
        }
    )


def file_claims(env: dict[str, str]) -> dict[str, Any]:
    """Enroll the family in 2023 and file four hospital claims; returns their numbers."""
    from app.core import clock
    from app.members.consent_texts import SENSITIVE_PI
    from tests.documents.helpers import pdf

    app = member_app(env)
    member = Member(app)
    try:
        clock.set_clock(ENROLL_AT)
        member_id = member.login()
        member.post(
            "/api/v1/me/consents",
            {"kind": SENSITIVE_PI.kind, "terms_version": SENSITIVE_PI.version, "granted": True},
        )
        member.post("/api/v1/me/real-name", {"name": FATHER.name, "id_number": FATHER.id_number})
        persons = member.get("/api/v1/me/persons")
        me = next(p["id"] for p in persons if p["relation"] == "self")
        wife = member.post(
            "/api/v1/me/persons",
            {"relation": "spouse", "name": MOTHER.name, "id_number": MOTHER.id_number},
        )["id"]
        conditions = member.get(f"/api/v1/plans/{PLAN}")["pre_existing_conditions"]
        for pid in (me, wife):
            member.post(
                f"/api/v1/me/persons/{pid}/declarations",
                {
                    "plan_code": PLAN,
                    "answers": {c["code"]: False for c in conditions},
                    "health_consent": True,
                },
            )
        order = member.post("/api/v1/orders", {"plan_code": PLAN, "persons": [me, wife]})
        member.post(
            f"/api/v1/orders/{order['id']}/personal-account-payments",
            {"persons": [me, wife], "relatives_consent": True},
        )

        clock.set_clock(FILE_AT)
        member.login(member_id)  # the 2023-05 session has long expired

        def claim(person: str, in_catalog: int, out_of_catalog: int, seed: int) -> Any:
            body = {
                "person_id": person,
                "claim_type": "hospital",
                "service_start": "2023-08-01",
                "service_end": "2023-08-08",
                "hospital": "厦门大学附属第一医院",
                "expenses": [
                    {"liability": "in_catalog", "amount_fen": in_catalog, "other_paid_fen": 0},
                    {"liability": "out_of_catalog", "amount_fen": out_of_catalog},
                ],
            }
            created = member.post("/api/v1/claims", body)
            for i, kind in enumerate(HOSPITAL_KINDS):
                if kind == "expense_itemisation":
                    # a page count per claim: the PDFs differ (no false duplicate)
                    data, name, ctype = pdf(seed), "itemisation.pdf", "application/pdf"
                else:
                    data, name, ctype = photo(seed * 10 + i, kind), f"{kind}.jpg", "image/jpeg"
                member.upload(created["id"], kind, data, name, ctype)
            return created

        approve = claim(me, 5_000_000, 2_000_000, 1)
        info = claim(wife, 3_000_000, 0, 2)
        reject = claim(me, 2_500_000, 500_000, 3)
        duplicate = claim(wife, 4_000_000, 1_000_000, 4)
        # the same invoice photo as the first claim's: a possible duplicate
        member.upload(
            duplicate["id"], "invoice", photo(11, "invoice"), "invoice-again.jpg", "image/jpeg"
        )
        # a draft the member files in the last test: a bill the approval pays nothing on
        small = claim(wife, 1_000_000, 0, 5)
        numbers: dict[str, Any] = {
            "small": {"id": small["id"], "number": small["claim_number"], "member": member_id}
        }
        for key, created in (
            ("approve", approve),
            ("info", info),
            ("reject", reject),
            ("duplicate", duplicate),
        ):
            submitted = member.post(f"/api/v1/claims/{created['id']}/submit", {})
            assert submitted["status"] == "submitted", submitted
            numbers[key] = {"id": created["id"], "number": created["claim_number"]}
        return numbers
    finally:
        clock.set_clock(None)
        app.extensions["db"].engine.dispose()


LAST_STEP: dict[str, int] = {}


def totp(username: str, secret: str) -> str:
    """The code for a login now. A code is good once (no replay): wait for the next
    30-second step when this user's last login used this one, or when it is about to end."""
    from app.staff import passwords

    while True:
        now = time.time()
        step = passwords.totp_step(now)
        if step > LAST_STEP.get(username, -1) and 30 - now % 30 > 4:
            LAST_STEP[username] = step
            return passwords.totp_at(secret, step)
        time.sleep(30 - now % 30 + 0.5)


# --- the browser ------------------------------------------------------------------------


def log_in(page: Any, base: str, username: str, secret: str, path: str = "/staff/") -> None:
    page.goto(base + path)
    expect(by(page, "login-form")).to_be_visible()
    by(page, "login-username").fill(username)
    by(page, "login-password").fill(PASSWORD)
    by(page, "login-totp").fill(totp(username, secret))
    by(page, "login-submit").click()
    expect(by(page, "staff-who")).to_be_attached()  # hidden on a phone (staff.css)


def shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def thumbnails_loaded(page: Any, count: int = 5) -> None:
    """Every thumbnail shown. They load one by one, each read audited (a write): acting
    meanwhile would race those writes, which SQLite may answer with "database is locked"."""
    expect(by(page, "doc-thumb-img")).to_have_count(count)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=doc-thumb-img]')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )


def row_of(page: Any, number: str) -> Any:
    return page.locator(f'[data-testid="queue-row"][data-claim-number="{number}"]')


def test_reviewer_starts_review_and_approves(
    desk: Any, console: Any, server: dict[str, Any], artifacts_dir: Path
) -> None:
    page = desk
    base = server["url"]
    claims = server["claims"]
    console.allow(r"status of 401")  # the wrong code, and /staff/me before the login

    # logged out: the queue sends to the login, which then comes back to it
    page.goto(base + "/staff/#/queue")
    expect(page).to_have_url(re.compile(r"#/login\?next=%2Fqueue$"))
    by(page, "login-username").fill("rev.chen")
    by(page, "login-password").fill(PASSWORD)
    by(page, "login-totp").fill("000000")
    by(page, "login-submit").click()
    expect(by(page, "login-error")).to_contain_text("动态验证码")
    shot(page, artifacts_dir, "staff-login-error")

    by(page, "login-password").fill(PASSWORD)
    by(page, "login-totp").fill(totp("rev.chen", server["reviewer"]))
    by(page, "login-submit").click()
    expect(page).to_have_url(re.compile(r"#/queue$"))
    expect(by(page, "staff-who")).to_contain_text("陈审核")
    expect(by(page, "nav-figures")).to_have_count(0)  # admins only

    # the queue: the four claims, overdue (filed in 2023), one a possible duplicate
    expect(by(page, "queue-row")).to_have_count(4)
    for key in ("approve", "info", "reject", "duplicate"):
        expect(row_of(page, claims[key]["number"])).to_be_visible()
    first = row_of(page, claims["approve"]["number"])
    expect(first.get_by_test_id("status")).to_have_text("已提交")
    expect(first.get_by_test_id("queue-sla")).to_have_attribute("data-level", "danger")
    expect(first).to_contain_text("70,000.00 元")
    expect(first).to_contain_text(FATHER.name)  # staff see the full name
    expect(
        row_of(page, claims["duplicate"]["number"]).get_by_test_id("queue-duplicate")
    ).to_be_visible()
    shot(page, artifacts_dir, "staff-queue")

    # filters: duplicates only, then a status without claims, then reset
    by(page, "filter-duplicate").check()
    by(page, "filter-apply").click()
    expect(page).to_have_url(re.compile(r"duplicate=true"))
    expect(by(page, "queue-row")).to_have_count(2)  # the claim reusing a photo, and the original
    by(page, "filter-status").select_option("paid")
    by(page, "filter-apply").click()
    expect(by(page, "queue-empty")).to_be_visible()
    by(page, "filter-reset").click()
    expect(by(page, "queue-row")).to_have_count(4)
    by(page, "filter-plan").select_option(PLAN)
    by(page, "filter-claim-type").select_option("hospital")
    by(page, "filter-overdue").check()
    by(page, "filter-apply").click()
    expect(by(page, "queue-row")).to_have_count(4)
    expect(by(page, "page-info")).to_have_text("第 1 / 1 页")

    # pages (an address may ask for a small page)
    page.goto(base + "/staff/#/queue?per_page=3")
    expect(by(page, "queue-row")).to_have_count(3)
    expect(by(page, "page-info")).to_have_text("第 1 / 2 页")
    expect(by(page, "queue-total")).to_have_text("共 4 件")
    expect(by(page, "page-prev")).to_have_attribute("aria-disabled", "true")
    by(page, "page-next").click()
    expect(page).to_have_url(re.compile(r"#/queue\?page=2&per_page=3$"))
    expect(by(page, "queue-row")).to_have_count(1)
    expect(by(page, "page-info")).to_have_text("第 2 / 2 页")
    by(page, "page-prev").click()
    expect(by(page, "queue-row")).to_have_count(3)
    by(page, "filter-reset").click()

    # the claim
    first = row_of(page, claims["approve"]["number"])
    first.get_by_test_id("queue-open").click()
    expect(page).to_have_url(re.compile("#/claims/" + claims["approve"]["id"] + "$"))
    expect(by(page, "claim-number")).to_have_text(claims["approve"]["number"])
    expect(by(page, "claim-status")).to_have_text("已提交")
    expect(by(page, "person-name")).to_have_text(FATHER.name)
    masked = by(page, "person-id")
    expect(masked).to_contain_text(FATHER.id_number[-4:])
    expect(masked).not_to_contain_text(FATHER.id_number)
    expect(by(page, "person-relation")).to_have_text("本人")
    expect(by(page, "person-tier")).to_have_text("标准人群")
    expect(by(page, "claim-plan")).to_contain_text(PLAN)
    expect(by(page, "claim-hospital")).to_have_text("厦门大学附属第一医院")
    expect(by(page, "claim-service")).to_contain_text("2023年8月1日")
    expect(by(page, "sla-decision")).to_contain_text("已超时")
    expect(by(page, "claimed-total")).to_have_text("70,000.00 元")
    # the member's estimate: its total, and (folded) how it was worked out, each so named
    expect(by(page, "card-expenses").locator(".totals dt").nth(1)).to_have_text("会员测算赔付合计")
    expect(by(page, "member-estimate").locator("summary")).to_have_text(
        "会员测算明细（逐项计算过程）"
    )
    expect(by(page, "expenses-row")).to_have_count(2)
    expect(by(page, "ytd-overall")).to_have_text("0.00 元")
    # the first claim's invoice photo is on the duplicate claim too
    expect(by(page, "duplicate-warning")).to_contain_text(claims["duplicate"]["number"])
    expect(by(page, "doc")).to_have_count(6)
    expect(by(page, "doc-duplicate")).to_have_count(1)
    expect(by(page, "checklist-item")).to_have_count(6)

    # thumbnails open the viewer with the image at full size; PDFs are a download link
    thumbs = by(page, "doc-thumb")
    expect(thumbs).to_have_count(5)
    thumbnails_loaded(page)
    download = by(page, "doc-download")
    expect(download).to_have_count(1)
    expect(download).to_have_attribute("download", "itemisation.pdf")
    pdf_file = page.request.get(base + download.get_attribute("href"))  # the tab's cookies
    assert pdf_file.status == 200
    assert pdf_file.headers["content-type"] == "application/pdf"
    assert pdf_file.headers["content-disposition"].startswith("attachment")
    shot(page, artifacts_dir, "staff-claim")

    thumbs.nth(1).click()
    viewer = by(page, "viewer")
    expect(viewer).to_be_visible()
    image = by(page, "viewer-image")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 1400
    expect(by(page, "viewer-counter")).to_have_text("2 / 5")
    by(page, "viewer-zoom").click()  # actual size: 1400 px wide in a 1366 px window
    assert image.evaluate("img => img.getBoundingClientRect().width") == 1400
    page.screenshot(path=str(artifacts_dir / "staff-viewer.png"))  # the window: an overlay
    page.keyboard.press("ArrowRight")
    expect(by(page, "viewer-counter")).to_have_text("3 / 5")
    page.keyboard.press("Escape")
    expect(viewer).to_have_count(0)

    # start the review
    expect(by(page, "action-approve")).to_have_count(0)
    by(page, "action-start-review").click()
    expect(by(page, "claim-status")).to_have_text("审核中")
    expect(by(page, "action-notice")).to_have_text("已开始审核。")
    expect(by(page, "timeline-entry").last).to_have_attribute("data-action", "start_review")
    expect(by(page, "action-mark-paid")).to_have_count(0)

    # approve with a verified amount below the claimed one: the engine's result shows
    by(page, "action-approve").click()
    expect(by(page, "ap-amount-0")).to_have_value("50000.00")
    expect(by(page, "ap-amount-1")).to_have_value("20000.00")
    by(page, "ap-amount-0").fill("4万")
    by(page, "ap-submit").click()
    expect(by(page, "ap-error-0")).to_be_visible()
    expect(by(page, "claim-status")).to_have_text("审核中")
    by(page, "ap-amount-0").fill("45000")
    by(page, "ap-submit").click()
    expect(by(page, "claim-status")).to_have_text("已通过")
    result = by(page, "approve-result")
    expect(result).to_be_visible()
    expect(result.get_by_test_id("approve-result-line")).to_have_count(2)
    # in catalog 45,000 − deductible 20,000 = 25,000 × 80% = 20,000;
    # out of catalog 20,000 × 70% = 14,000 (the deductible is used up): 34,000 in all
    expect(result.get_by_test_id("approve-result-total")).to_have_text("34,000.00 元")
    expect(result.get_by_test_id("approve-result-explanation").first).not_to_be_empty()
    expect(by(page, "action-notice")).to_contain_text("34,000.00 元")
    expect(by(page, "decision-total")).to_have_text("34,000.00 元")
    expect(by(page, "verified-row")).to_have_count(2)
    expect(by(page, "no-actions")).to_contain_text("管理员")
    expect(by(page, "sla-payment")).to_contain_text("剩余")
    expect(by(page, "ytd-overall")).to_have_text("34,000.00 元")
    shot(page, artifacts_dir, "staff-approved")

    # in English
    by(page, "lang-toggle").click()
    expect(by(page, "claim-status")).to_have_text("approved")
    expect(by(page, "decision-total")).to_have_text("¥34,000.00")
    by(page, "lang-toggle").click()
    expect(by(page, "claim-status")).to_have_text("已通过")

    by(page, "back-queue").click()
    expect(row_of(page, claims["approve"]["number"]).get_by_test_id("status")).to_have_text(
        "已通过"
    )

    # a 360 px wide window: the tables scroll inside their boxes, the page does not
    page.set_viewport_size({"width": 360, "height": 740})
    expect(by(page, "queue-table")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(artifacts_dir / "staff-queue-narrow.png"))
    row_of(page, claims["approve"]["number"]).get_by_test_id("queue-open").click()
    expect(by(page, "decision-total")).to_have_text("34,000.00 元")
    thumbnails_loaded(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, artifacts_dir, "staff-claim-narrow")
    assert console.unexpected() == []


def test_reviewer_asks_for_documents_and_rejects(
    desk: Any, console: Any, server: dict[str, Any], artifacts_dir: Path
) -> None:
    page = desk
    claims = server["claims"]
    console.allow(r"status of 401")  # /staff/me before the login
    log_in(
        page,
        server["url"],
        "rev.chen",
        server["reviewer"],
        "/staff/#/claims/" + claims["info"]["id"],
    )
    expect(page).to_have_url(re.compile("#/claims/" + claims["info"]["id"] + "$"))
    expect(by(page, "person-relation")).to_have_text("配偶")
    thumbnails_loaded(page)

    by(page, "action-start-review").click()
    expect(by(page, "claim-status")).to_have_text("审核中")
    by(page, "action-request-info").click()
    by(page, "ri-submit").click()  # nothing ticked
    expect(by(page, "ri-kinds-error")).to_be_visible()
    by(page, "ri-kind-invoice").check()
    by(page, "ri-kind-discharge_summary").check()
    by(page, "ri-note").fill("发票照片模糊，请重新拍摄。")
    by(page, "ri-submit").click()
    expect(by(page, "claim-status")).to_have_text("待补充材料")
    expect(by(page, "claim-info-request")).to_contain_text("医疗费用发票")
    expect(by(page, "claim-info-request")).to_contain_text("发票照片模糊")
    expect(by(page, "sla-decision")).to_contain_text("暂停")
    expect(by(page, "no-actions")).to_be_visible()
    shot(page, artifacts_dir, "staff-need-more-info")

    # reject: "other" needs a text
    page.goto(server["url"] + "/staff/#/claims/" + claims["reject"]["id"])
    thumbnails_loaded(page)
    by(page, "action-start-review").click()
    expect(by(page, "claim-status")).to_have_text("审核中")
    by(page, "action-reject").click()
    expect(by(page, "rj-reason").locator("option")).not_to_have_count(1)
    by(page, "rj-reason").select_option("other")
    by(page, "rj-submit").click()
    expect(by(page, "rj-detail")).to_have_attribute("aria-invalid", "true")
    by(page, "rj-detail").fill("住院期间未使用医保结算，且无法补办。")
    by(page, "rj-submit").click()
    expect(by(page, "claim-status")).to_have_text("已拒绝")
    expect(by(page, "claim-reject-reason")).to_contain_text("无法补办")
    expect(by(page, "timeline-entry").last).to_have_attribute("data-action", "reject")
    shot(page, artifacts_dir, "staff-rejected")
    assert console.unexpected() == []


def test_admin_marks_paid_and_reads_figures(
    desk: Any, console: Any, server: dict[str, Any], artifacts_dir: Path
) -> None:
    page = desk
    claims = server["claims"]
    console.allow(r"status of 401")  # /staff/me before the login
    log_in(page, server["url"], "adm.lin", server["admin"])

    # the approved claim (test 1) is the one to pay; run alone, approve it here first
    page.goto(server["url"] + "/staff/#/claims/" + claims["approve"]["id"])
    status = by(page, "claim-status")
    thumbnails_loaded(page)
    if status.get_attribute("data-status") == "submitted":
        by(page, "action-start-review").click()
        expect(status).to_have_text("审核中")
    if status.get_attribute("data-status") == "under_review":
        by(page, "action-approve").click()
        by(page, "ap-submit").click()
        expect(status).to_have_text("已通过")
    by(page, "action-mark-paid").click()
    by(page, "mp-reference").fill("x")
    by(page, "mp-submit").click()
    expect(by(page, "mp-error")).to_be_visible()  # the server's check: 4 characters at least
    console.allow(r"status of 422")
    by(page, "mp-reference").fill("CMB20230905-0001")
    by(page, "mp-submit").click()
    expect(status).to_have_text("已赔付")
    expect(by(page, "claim-bank-reference")).to_have_text("CMB20230905-0001")
    expect(by(page, "sla-payment")).to_have_text("已停止")

    # the figures
    by(page, "nav-figures").click()
    expect(page).to_have_url(re.compile(r"#/figures$"))
    plan = page.locator(f'[data-testid="figures-plan"][data-plan-code="{PLAN}"]')
    expect(plan).to_be_visible()
    expect(plan.get_by_test_id("figures-value-paid_fen")).to_have_text(re.compile(r"元$"))
    expect(plan.get_by_test_id("figures-value-policies_issued")).to_have_text("2")
    expect(by(page, "figures-csv")).to_have_attribute("href", "/api/v1/staff/figures.csv")
    shot(page, artifacts_dir, "staff-figures")
    by(page, "figures-plan-filter").select_option(PLAN)
    expect(page).to_have_url(re.compile(r"#/figures\?plan=xm-2023$"))
    expect(by(page, "figures-plan")).to_have_count(1)
    expect(by(page, "figures-csv")).to_have_attribute(
        "href", "/api/v1/staff/figures.csv?plan=xm-2023"
    )

    by(page, "logout").click()
    expect(by(page, "login-flash")).to_have_text("您已退出登录。")
    page.goto(server["url"] + "/staff/#/figures")
    expect(page).to_have_url(re.compile(r"#/login\?next=%2Ffigures$"))
    assert console.unexpected() == []


def test_queue_on_a_phone(
    page: Any, console: Any, server: dict[str, Any], artifacts_dir: Path
) -> None:
    """At 360 px the queue is a list of cards (number, status, person, SLA with its due
    date and days left, type, amount), the filters fold behind a button, nothing scrolls
    sideways; the desktop keeps the table."""
    claims = server["claims"]
    console.allow(r"status of 401")  # /staff/me before the login
    secret = create_staff(server["env"], "rev.phone", "reviewer", "手机审核")
    log_in(page, server["url"], "rev.phone", secret, "/staff/#/queue")
    expect(page).to_have_url(re.compile(r"#/queue$"))
    rows = by(page, "queue-row")
    expect(rows.first).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360

    # the filters are folded: the first claim is on the first screen
    expect(by(page, "queue-filters")).to_be_hidden()
    toggle = by(page, "filters-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    first_box = rows.first.bounding_box()
    assert first_box is not None and first_box["y"] + first_box["height"] <= 640, first_box

    assert rows.count() == 4
    for i in range(4):
        card = rows.nth(i)
        # the due date while the clock runs; paused for documents it is not known yet and
        # once decided it is past (the chip says which, and the days left)
        status = card.get_by_test_id("status").get_attribute("data-status")
        running = status in ("submitted", "under_review", "approved")
        shown = ("queue-open", "status", "queue-sla") + (("queue-sla-due",) if running else ())
        for testid in shown:
            element = card.get_by_test_id(testid)
            expect(element).to_be_visible()
            box = element.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, (
                testid,
                box,
            )
        # the whole badge shows (not cut off by its cell)
        badge = card.get_by_test_id("status")
        assert badge.evaluate("b => b.scrollWidth <= b.clientWidth + 1"), badge.inner_text()
        expect(card.locator(".person-name")).to_be_visible()
        if running:
            expect(card.get_by_test_id("queue-sla-due")).to_have_text(
                re.compile(r"^\d{4}-\d{2}-\d{2} 到期$")
            )
        else:
            expect(card.get_by_test_id("queue-sla-due")).to_have_count(0)
    assert by(page, "queue-sla-due").count() >= 1
    expect(row_of(page, claims["approve"]["number"])).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "staff-queue-phone.png"))

    # in English (longer status names): still whole, still no sideways scrolling
    by(page, "lang-toggle").click()
    expect(toggle).to_have_text("Filters")
    for i in range(4):
        badge = rows.nth(i).get_by_test_id("status")
        assert badge.evaluate("b => b.scrollWidth <= b.clientWidth + 1"), badge.inner_text()
        box = badge.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 360, box
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    page.screenshot(path=str(artifacts_dir / "staff-queue-phone-en.png"), full_page=True)
    by(page, "lang-toggle").click()
    toggle = by(page, "filters-toggle")

    # unfolded, the filters work as on the desktop
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(by(page, "queue-filters")).to_be_visible()
    by(page, "filter-duplicate").check()
    by(page, "filter-apply").click()
    expect(page).to_have_url(re.compile(r"duplicate=true"))
    expect(by(page, "queue-row")).to_have_count(2)
    expect(by(page, "queue-filters")).to_be_hidden()  # folded again: the claims found show
    expect(by(page, "filters-toggle")).to_contain_text("1")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    page.screenshot(path=str(artifacts_dir / "staff-queue-phone-filters.png"), full_page=True)

    # a tap anywhere on a card opens the claim
    card = by(page, "queue-row").first
    number = card.get_attribute("data-claim-number")
    person = card.locator(".q-person").bounding_box()
    assert person is not None
    page.mouse.click(person["x"] + person["width"] / 2, person["y"] + person["height"] / 2)
    expect(by(page, "claim-number")).to_have_text(number or "")

    # the desktop: the table with its header, the filters open, no fold button
    page.set_viewport_size({"width": 1366, "height": 900})
    by(page, "back-queue").click()
    expect(by(page, "queue-table").locator("thead")).to_be_visible()
    expect(by(page, "queue-filters")).to_be_visible()
    expect(by(page, "filters-toggle")).to_be_hidden()
    assert console.unexpected() == []


def submit_as_member(env: dict[str, str], member_id: str, claim_id: str) -> None:
    """The member files a draft (the member API, on the server's database, in 2023)."""
    from app.core import clock

    app = member_app(env)
    try:
        clock.set_clock(FILE_AT)
        member = Member(app)
        member.login(member_id)
        assert member.post(f"/api/v1/claims/{claim_id}/submit", {})["status"] == "submitted"
    finally:
        clock.set_clock(None)
        app.extensions["db"].engine.dispose()


def test_an_approval_that_pays_nothing_ends_there(
    desk: Any, console: Any, server: dict[str, Any], artifacts_dir: Path
) -> None:
    """A verified bill that pays nothing (1 fen at 80% floors to 0): approved, and there is
    nothing to mark paid: no payment clock, no button, a line that says so."""
    page = desk
    small = server["claims"]["small"]
    submit_as_member(server["env"], small["member"], small["id"])
    console.allow(r"status of 401")  # /staff/me before the login
    secret = create_staff(server["env"], "rev.zero", "reviewer", "零赔审核")
    log_in(page, server["url"], "rev.zero", secret, "/staff/#/claims/" + small["id"])
    status = by(page, "claim-status")
    expect(status).to_have_text("已提交")
    thumbnails_loaded(page)
    by(page, "action-start-review").click()
    expect(status).to_have_text("审核中")
    by(page, "action-approve").click()
    by(page, "ap-amount-0").fill("0.01")
    by(page, "ap-amount-1").fill("0")
    by(page, "ap-submit").click()
    expect(status).to_have_text("已通过")
    expect(by(page, "decision-total")).to_have_text("0.00 元")
    expect(by(page, "action-mark-paid")).to_have_count(0)
    expect(by(page, "no-actions")).to_contain_text("无需支付")
    expect(by(page, "sla-payment")).to_have_text("未开始")
    # decided in 2026 on a claim filed in 2023: the decision was late, and says so
    expect(by(page, "sla-decision")).to_have_text("已停止（逾期完成）")
    shot(page, artifacts_dir, "staff-nothing-to-pay")

    # in the queue its decision is what counts: no payment clock waiting
    by(page, "back-queue").click()
    row = row_of(page, small["number"])
    expect(row.get_by_test_id("status")).to_have_text("已通过")
    expect(row.get_by_test_id("queue-sla-due")).to_have_count(0)
    assert console.unexpected() == []
