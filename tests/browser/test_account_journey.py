"""A member's account on a phone: login, real-name verification, linking, logout.

Debian's Chromium at 360×640 against the real server with the login stand-ins
(DEV_STANDINS=1) and the fake roster, whose demo person 陈建国 is bound here:
home → WeChat login (stand-in: a new test person) → "Me", not verified → consent →
his name with a wrong check character (the server's error next to the ID field) →
fixed → "Me" with the masked ID only → Alipay linked to the same account → logout.
A second member refuses the consent: the explanation, and no verification is sent.
A third test binds 林秀英 on one account and tries her again on another (one person,
one account), starting logged out on the verification page and with a stale CSRF token.
Console and page errors fail the tests, except the HTTP errors they provoke on purpose.
Screenshots go to tests/artifacts/ (account-*.png).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from app.roster.fake import DEMO_PEOPLE

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="playwright is not installed: pip install -e '.[test]' (no browser download needed)",
)
expect = sync_api.expect

pytestmark = pytest.mark.browser

CHEN = DEMO_PEOPLE[0]  # 陈建国, born 1968-03-15, male, on the roster with normal status
REAL_NAME = "/api/v1/me/real-name"
CONSENTS = "/api/v1/me/consents"


def by(page: Any, testid: str) -> Any:
    return page.get_by_test_id(testid)


def shot(page: Any, artifacts: Path, name: str, element: Any = None) -> None:
    """What the phone shows (the element scrolled to the top, else the page top),
    and the whole page as `<name>-full.png`."""
    if element is None:
        page.evaluate("window.scrollTo(0, 0)")
    else:
        element.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(artifacts / f"{name}.png"))
    page.screenshot(path=str(artifacts / f"{name}-full.png"), full_page=True)


def masked(number: str) -> str:
    return number[:4] + "*" * 10 + number[-4:]


# The stand-in pages (they play WeChat's and Alipay's sites) link no icon: Chromium asks
# for /favicon.ico, which the app does not serve.
STANDIN_FAVICON = r"status of 404 .*'url': 'http://[^']+/favicon\.ico'"


def log_in_on_standin(page: Any, provider: str, nickname: str, back_to: str = "/#/me") -> None:
    """On the provider's stand-in page: create a new test person and authorise."""
    picker = by(page, "standin-picker")
    expect(picker).to_be_visible()
    expect(picker).to_have_attribute("data-provider", provider)
    page.locator("#standin-nickname").fill(nickname)
    by(page, "create").click()
    expect(page).to_have_url(re.compile(re.escape(back_to) + "$"))


def test_login_verify_link_logout(
    page: Any, console: Any, live_server: str, artifacts_dir: Path
) -> None:
    console.allow(r"status of 422")  # the wrong check character, provoked below
    console.allow(STANDIN_FAVICON)
    real_name_posts: list[str] = []
    page.on(
        "request",
        lambda r: real_name_posts.append(r.method) if r.url.endswith(REAL_NAME) else None,
    )

    # Home, logged out: the two login buttons (plain links back to "Me"), and "Me" in the nav.
    page.goto(live_server + "/")
    expect(by(page, "plan-name")).to_be_visible()
    home_login = by(page, "home-login")
    expect(home_login).to_be_visible()
    wechat = home_login.get_by_test_id("login-wechat")
    expect(wechat).to_have_text("微信登录")
    expect(wechat).to_have_attribute("href", "/auth/wechat/login?next=%2F%23%2Fme")
    expect(home_login.get_by_test_id("login-alipay")).to_have_text("支付宝登录")
    expect(by(page, "nav-me")).to_have_text("我的")
    shot(page, artifacts_dir, "account-01-home-logged-out", home_login)
    by(page, "lang-toggle").click()
    expect(wechat).to_have_text("Log in with WeChat")
    expect(home_login.get_by_test_id("login-alipay")).to_have_text("Log in with Alipay")
    expect(by(page, "nav-me")).to_have_text("Me")
    by(page, "lang-toggle").click()
    expect(wechat).to_have_text("微信登录")

    # WeChat login through the stand-in: a new person, back on "Me", not verified yet.
    wechat.click()
    log_in_on_standin(page, "wechat", "小陈")
    expect(by(page, "me-nickname")).to_have_text("小陈")
    expect(by(page, "me-verified")).to_have_attribute("data-verified", "false")
    expect(by(page, "me-verified")).to_have_text("未实名认证")
    expect(by(page, "identity-wechat")).to_contain_text("微信")
    expect(by(page, "link-alipay")).to_have_text("关联支付宝")
    expect(by(page, "link-wechat")).to_have_count(0)
    expect(by(page, "nav-me")).to_have_attribute("aria-current", "page")
    shot(page, artifacts_dir, "account-02-me-not-verified")

    # Real-name verification: the consent first (in the current language).
    by(page, "me-verify-cta").click()
    expect(page).to_have_url(re.compile(r"#/verify$"))
    expect(by(page, "consent-title")).to_have_text("敏感个人信息处理同意书")
    expect(by(page, "consent-body")).to_contain_text("个人信息保护法")
    expect(by(page, "verify-form")).to_have_count(0)
    by(page, "consent-agree").click()  # not ticked yet: told to tick, nothing sent
    expect(by(page, "consent-error")).to_contain_text("我已阅读并同意")
    shot(page, artifacts_dir, "account-03-consent")
    with page.expect_request(lambda r: r.url.endswith(CONSENTS)) as consent_request:
        by(page, "consent-check").check()
        by(page, "consent-agree").click()
    sent = consent_request.value.post_data_json
    assert sent["kind"] == "sensitive_personal_information" and sent["granted"] is True, sent
    assert consent_request.value.headers.get("x-csrf-token"), "a write without its CSRF token"

    # The form: name and ID number; a wrong check character is caught by the server.
    form = by(page, "verify-form")
    expect(form).to_be_visible()
    name = by(page, "verify-name")
    id_number = by(page, "verify-id-number")
    expect(name).to_be_focused()
    expect(id_number).to_have_attribute("maxlength", "18")
    expect(id_number).to_have_attribute("autocapitalize", "characters")
    expect(id_number).to_have_attribute("inputmode", "text")
    assert CHEN.name == "陈建国"
    wrong = CHEN.id_number[:17] + ("0" if CHEN.id_number[17] != "0" else "1")
    name.fill(CHEN.name)
    id_number.fill(wrong)
    by(page, "verify-submit").click()
    error = by(page, "error-id_number")
    expect(error).to_be_visible()
    expect(error).to_contain_text("校验")
    expect(id_number).to_have_attribute("aria-invalid", "true")
    expect(id_number).to_be_focused()
    expect(by(page, "error-name")).to_be_hidden()
    expect(name).not_to_have_attribute("aria-invalid", "true")
    expect(by(page, "form-error")).to_be_hidden()
    assert real_name_posts == ["POST"]
    shot(page, artifacts_dir, "account-04-verify-error", form)

    # The same error in English; what was typed stays.
    by(page, "lang-toggle").click()
    expect(by(page, "error-id_number")).to_contain_text("check character")
    expect(by(page, "verify-id-number")).to_have_value(wrong)
    expect(by(page, "verify-name")).to_have_value(CHEN.name)
    by(page, "lang-toggle").click()
    expect(by(page, "error-id_number")).to_contain_text("校验")

    # Fixed: the error goes as the member types; then "Me" shows the masked ID only.
    by(page, "verify-id-number").fill(CHEN.id_number)
    expect(by(page, "error-id_number")).to_be_hidden()
    by(page, "verify-submit").click()
    expect(page).to_have_url(re.compile(r"#/me$"))
    expect(by(page, "me-notice")).to_have_text("实名认证成功。")
    expect(by(page, "me-verified")).to_have_attribute("data-verified", "true")
    expect(by(page, "me-verified")).to_have_text("已实名认证")
    expect(by(page, "me-id-number")).to_have_text(masked(CHEN.id_number))
    expect(by(page, "me-real-name")).to_have_text("陈**")
    expect(by(page, "me-birth-date")).to_have_text("1968年3月15日")
    expect(by(page, "me-sex")).to_have_text("男")
    expect(by(page, "me-verify-cta")).to_have_count(0)
    assert CHEN.id_number not in page.locator("body").inner_text()
    assert CHEN.id_number not in page.content()
    assert real_name_posts == ["POST", "POST"]
    shot(page, artifacts_dir, "account-05-me-verified")

    # Link Alipay to the same account: the stand-in again, then both logins are listed.
    by(page, "link-alipay").click()
    log_in_on_standin(page, "alipay", "小陈的支付宝")
    expect(by(page, "identity-wechat")).to_contain_text("微信")
    expect(by(page, "identity-alipay")).to_contain_text("支付宝")
    expect(by(page, "identity-alipay")).to_contain_text("关联")
    expect(by(page, "link-alipay")).to_have_count(0)
    expect(by(page, "link-wechat")).to_have_count(0)
    expect(by(page, "me-id-number")).to_have_text(masked(CHEN.id_number))
    me = page.request.get(live_server + "/api/v1/me").json()
    assert sorted(i["provider"] for i in me["identities"]) == ["alipay", "wechat"]
    assert me["verified"] is True and me["id_number_masked"] == masked(CHEN.id_number)
    shot(page, artifacts_dir, "account-06-me-linked", by(page, "me-identities"))

    # Home greets the member by nickname and leads to "Me".
    by(page, "nav-home").click()
    expect(by(page, "home-nickname")).to_have_text("您好，小陈")
    expect(by(page, "home-login")).to_have_count(0)
    shot(page, artifacts_dir, "account-07-home-logged-in", by(page, "home-greeting"))
    by(page, "home-me").click()
    expect(page).to_have_url(re.compile(r"#/me$"))

    # Log out: the logged-out state with the login buttons; the session is gone.
    by(page, "logout").click()
    expect(by(page, "me-logged-out")).to_be_visible()
    expect(by(page, "me-notice")).to_have_text("您已退出登录。")
    expect(by(page, "login-wechat")).to_be_visible()
    expect(by(page, "login-alipay")).to_be_visible()
    expect(by(page, "login-wechat")).to_have_attribute(
        "href", "/auth/wechat/login?next=%2F%23%2Fme"
    )
    shot(page, artifacts_dir, "account-08-logged-out")
    answer = page.request.get(live_server + "/api/v1/me")
    assert answer.status == 401
    assert answer.json()["error"] == "login_required"
    page.goto(live_server + "/")
    expect(by(page, "home-login")).to_be_visible()
    expect(by(page, "home-greeting")).to_have_count(0)

    assert console.unexpected() == []


def test_refusing_consent_means_no_verification(
    page: Any, console: Any, live_server: str, artifacts_dir: Path
) -> None:
    console.allow(STANDIN_FAVICON)
    real_name_requests: list[str] = []
    page.on(
        "request",
        lambda r: real_name_requests.append(r.method) if r.url.endswith(REAL_NAME) else None,
    )
    page.goto(live_server + "/")
    by(page, "home-login").get_by_test_id("login-alipay").click()
    log_in_on_standin(page, "alipay", "不同意的人")
    expect(by(page, "me-nickname")).to_have_text("不同意的人")
    by(page, "me-verify-cta").click()

    # The consent text follows the language; elder mode makes it larger.
    expect(by(page, "consent-title")).to_have_text("敏感个人信息处理同意书")
    by(page, "lang-toggle").click()
    expect(by(page, "consent-title")).to_have_text(
        "Consent to process sensitive personal information"
    )
    expect(by(page, "consent-refuse")).to_have_text("Refuse")
    by(page, "lang-toggle").click()
    expect(by(page, "consent-title")).to_have_text("敏感个人信息处理同意书")
    by(page, "elder-toggle").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    shot(page, artifacts_dir, "account-09-consent-elder", by(page, "consent"))

    # Refused: the refusal is recorded, the member is told why nothing more can happen.
    with page.expect_request(lambda r: r.url.endswith(CONSENTS)) as consent_request:
        by(page, "consent-refuse").click()
    sent = consent_request.value.post_data_json
    assert sent["granted"] is False, sent
    refused = by(page, "consent-refused")
    expect(refused).to_be_visible()
    expect(refused).to_contain_text("无法进行实名认证")
    expect(by(page, "verify-form")).to_have_count(0)
    expect(by(page, "verify-id-number")).to_have_count(0)
    shot(page, artifacts_dir, "account-10-consent-refused")
    me = page.request.get(live_server + "/api/v1/me").json()
    assert me["consent_granted"] is False and me["verified"] is False

    # Reading it again brings the consent back, still not the form.
    by(page, "consent-again").click()
    expect(by(page, "consent")).to_be_visible()
    expect(by(page, "verify-form")).to_have_count(0)
    by(page, "nav-me").click()
    expect(by(page, "me-verified")).to_have_attribute("data-verified", "false")

    assert real_name_requests == []
    assert console.unexpected() == []


def test_one_person_one_account(
    page: Any, console: Any, live_server: str, artifacts_dir: Path
) -> None:
    lin = DEMO_PEOPLE[1]  # 林秀英, on the roster with normal status
    assert lin.name == "林秀英"
    console.allow(r"status of 401")  # "who is logged in?" asked while nobody is
    console.allow(r"status of 403")  # the stale CSRF token, provoked below
    console.allow(r"status of 409")  # her ID number on a second account
    console.allow(STANDIN_FAVICON)

    # Logged out on the verification page: log in from there, and come back there.
    page.goto(live_server + "/#/verify")
    login = by(page, "verify-login")
    expect(login).to_be_visible()
    expect(login).to_contain_text("请先登录")
    wechat = login.get_by_test_id("login-wechat")
    expect(wechat).to_have_attribute("href", "/auth/wechat/login?next=%2F%23%2Fverify")
    wechat.click()
    log_in_on_standin(page, "wechat", "林家一号", back_to="/#/verify")
    by(page, "consent-check").check()
    by(page, "consent-agree").click()
    by(page, "verify-name").fill(lin.name)
    by(page, "verify-id-number").fill(lin.id_number.lower())  # a lower-case x is fine too
    by(page, "verify-submit").click()
    expect(page).to_have_url(re.compile(r"#/me$"))
    expect(by(page, "me-id-number")).to_have_text(masked(lin.id_number))
    by(page, "logout").click()
    expect(by(page, "me-logged-out")).to_be_visible()

    # A second account (another login) for the same person.
    by(page, "login-alipay").click()
    log_in_on_standin(page, "alipay", "林家二号")
    expect(by(page, "me-verified")).to_have_attribute("data-verified", "false")
    by(page, "me-verify-cta").click()

    # The first CSRF token the page gets is stale: the write is refused (403), the page
    # fetches a fresh token and sends the write again, once.
    page.route(
        "**/api/v1/me/csrf",
        lambda route: route.fulfill(json={"csrf_token": "stale", "header": "X-CSRF-Token"}),
        times=1,
    )
    consent_answers: list[int] = []
    page.on(
        "response",
        lambda r: consent_answers.append(r.status) if r.url.endswith(CONSENTS) else None,
    )
    by(page, "consent-check").check()
    by(page, "consent-agree").click()
    expect(by(page, "verify-form")).to_be_visible()
    assert consent_answers == [403, 201]

    # Her ID number is bound to the first account: a form-level message, not a field's.
    by(page, "verify-name").fill(lin.name)
    by(page, "verify-id-number").fill(lin.id_number)
    by(page, "verify-submit").click()
    problem = by(page, "form-error")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("一人一户")
    expect(by(page, "error-id_number")).to_be_hidden()
    expect(by(page, "error-name")).to_be_hidden()
    expect(page).to_have_url(re.compile(r"#/verify$"))
    shot(page, artifacts_dir, "account-11-one-person-one-account", by(page, "verify-form"))
    by(page, "lang-toggle").click()
    expect(by(page, "form-error")).to_contain_text("one person, one account")
    by(page, "nav-me").click()
    expect(by(page, "me-verified")).to_have_attribute("data-verified", "false")

    assert console.unexpected() == []
