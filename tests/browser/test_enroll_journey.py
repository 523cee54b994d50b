"""A family enrolls on a phone: family members, health declaration, quote, order, payment.

Debian's Chromium at 360×640 against a server of this module's own (`own_server`: the
demo people are bound to nobody yet) with the login and payment stand-ins and the fake
roster. WeChat login (a new stand-in person) → verified as 陈建国 → family: his wife
林秀英, a baby who is not on the BMI roster yet (told to register her first), then the
demo baby 陈小满 (the guardian's consent asked for before anything is sent) → enroll
the three: the declaration (nothing for two, diabetes for the wife: her pre-existing
tier and its reasons before paying) → the quote (129.00 ×2, 99.00 newborn, 357.00) →
the order (Idempotency-Key; his personal account offered too) → a second order for him
while the first is unpaid is refused (already enrolled) → WeChat Pay cancelled on its
cashier (back on the order, still unpaid: "pay again") → Alipay paid on its cashier →
the order paid → three policies. Afterwards he cannot be chosen again, and the API
refuses another order. A second test: an employee from the fake roster pays for
himself and a parent from his medical insurance personal account (家庭共济), which
needs his word that the parent agrees.
Console and page errors fail the test, except the HTTP errors it provokes on purpose.
Screenshots go to tests/artifacts/ (enroll-*.png).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.identity.resident_id import check_character
from app.roster.fake import DEMO_PEOPLE, FakePerson, demo_people, generate

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="playwright is not installed: pip install -e '.[test]' (no browser download needed)",
)
expect = sync_api.expect

pytestmark = pytest.mark.browser

CHEN = DEMO_PEOPLE[0]  # 陈建国, born 1968-03-15
LIN = DEMO_PEOPLE[1]  # 林秀英, born 1970-08-22
ORDERS = "/api/v1/orders"
# The stand-in pages link no icon: Chromium asks for /favicon.ico, which the app lacks.
STANDIN_FAVICON = r"status of 404 .*'url': 'http://[^']+/favicon\.ico'"
ORDER_URL = re.compile(r"#/orders/([0-9A-Za-z]+)$")
POLICY_NUMBER = re.compile(r"^HMB\d{4}\d{10}$")


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


def shanghai_today() -> Any:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def unregistered_baby_id() -> str:
    """A valid ID number of a girl born a month ago whom the fake roster does not hold."""
    born = shanghai_today() - timedelta(days=30)
    first17 = f"350203{born:%Y%m%d}998"
    return first17 + check_character(first17)


def log_in_on_standin(page: Any, nickname: str, back_to: str) -> None:
    picker = by(page, "standin-picker")
    expect(picker).to_be_visible()
    page.locator("#standin-nickname").fill(nickname)
    by(page, "create").click()
    expect(page).to_have_url(re.compile(re.escape(back_to) + "$"))


def add_person(page: Any, relation: str, name: str, id_number: str) -> None:
    by(page, f"relation-{relation}").check()
    by(page, "person-name-input").fill(name)
    by(page, "person-id-input").fill(id_number)


def persons_by_relation(page: Any, base: str) -> dict[str, dict[str, Any]]:
    answer = page.request.get(base + "/api/v1/me/persons")
    assert answer.status == 200, answer.text()
    return {p["relation"]: p for p in answer.json()}


def test_family_enrolls_and_pays(
    page: Any, console: Any, own_server: str, artifacts_dir: Path
) -> None:
    base = own_server
    console.allow(STANDIN_FAVICON)
    console.allow(r"status of 422")  # the baby not on the roster yet, provoked below
    console.allow(r"status of 409")  # the second order for an enrolled person, provoked below
    console.allow(r"net::ERR_FAILED")  # the order's answer lost on the way, provoked below
    baby = next(p for p in demo_people(shanghai_today()) if p.name == "陈小满")
    person_posts: list[str] = []
    page.on(
        "request",
        lambda r: (
            person_posts.append(r.method)
            if r.url.endswith("/api/v1/me/persons") and r.method == "POST"
            else None
        ),
    )

    # Log in with WeChat (the stand-in) and verify as 陈建国.
    page.goto(base + "/")
    by(page, "home-login").get_by_test_id("login-wechat").click()
    log_in_on_standin(page, "陈先生", "/#/me")
    expect(by(page, "me-enroll")).to_have_count(0)  # not verified yet: no enrollment links
    by(page, "me-verify-cta").click()
    by(page, "consent-check").check()
    by(page, "consent-agree").click()
    by(page, "verify-name").fill(CHEN.name)
    by(page, "verify-id-number").fill(CHEN.id_number)
    by(page, "verify-submit").click()
    expect(page).to_have_url(re.compile(r"#/me$"))
    expect(by(page, "me-verified")).to_have_attribute("data-verified", "true")
    expect(by(page, "me-enroll")).to_be_visible()
    expect(page.locator("#nav a")).to_have_count(4)
    expect(by(page, "nav-enroll")).to_have_text("投保")

    # Home offers "enroll now" to a verified member while the window is open.
    by(page, "nav-home").click()
    expect(by(page, "home-enroll")).to_have_text("立即投保")
    expect(by(page, "home-enroll")).to_have_attribute("href", "#/enroll")

    # Family: only him so far, masked, with the roster check.
    by(page, "nav-me").click()
    by(page, "me-family").click()
    expect(page).to_have_url(re.compile(r"#/family$"))
    family = by(page, "family-list")
    expect(family.locator("li")).to_have_count(1)
    me_row = family.locator('li[data-relation="self"]')
    expect(me_row.get_by_test_id("person-name")).to_have_text("陈**")
    expect(me_row.get_by_test_id("person-id")).to_have_text(
        CHEN.id_number[:4] + "*" * 10 + CHEN.id_number[-4:]
    )
    expect(me_row.get_by_test_id("roster-check")).to_have_text("医保参保状态正常")
    expect(by(page, "nav-me")).to_have_attribute("aria-current", "page")

    # His wife: checked against the roster and added.
    add_person(page, "spouse", LIN.name, LIN.id_number)
    expect(by(page, "guardian-consent")).to_be_hidden()  # only asked for a child
    by(page, "add-person-submit").click()
    expect(by(page, "family-notice")).to_have_text("已添加：林**（配偶）。")
    expect(family.locator("li")).to_have_count(2)
    expect(family.locator('li[data-relation="spouse"]')).to_contain_text("林**")

    # A baby not on the roster yet: told to register her for basic medical insurance first.
    add_person(page, "child", "陈小小", unregistered_baby_id())
    expect(by(page, "guardian-consent")).to_be_visible()
    expect(by(page, "field-guardian_consent")).to_contain_text(
        "我是其监护人，同意为其投保并处理其个人信息"
    )
    posts_before = len(person_posts)
    by(page, "add-person-submit").click()  # a child under 14: the consent is asked for first
    expect(by(page, "error-guardian_consent")).to_contain_text("监护人")
    expect(by(page, "guardian-consent")).to_be_focused()
    assert len(person_posts) == posts_before, "sent without the guardian's consent"
    by(page, "guardian-consent").check()
    by(page, "add-person-submit").click()
    notice = by(page, "newborn-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("宝宝需先办理基本医保参保登记")
    expect(notice).to_contain_text("90 天内")
    expect(notice).to_be_focused()
    expect(family.locator("li")).to_have_count(2)
    shot(page, artifacts_dir, "enroll-01-newborn-not-registered", by(page, "add-person-form"))

    # The demo baby, with her guardian's consent (still ticked).
    by(page, "person-name-input").fill(baby.name)
    by(page, "person-id-input").fill(baby.id_number)
    expect(notice).to_be_hidden()
    with page.expect_request(
        lambda r: r.url.endswith("/api/v1/me/persons") and r.method == "POST"
    ) as add_request:
        by(page, "add-person-submit").click()
    sent = add_request.value.post_data_json
    assert sent == {
        "relation": "child",
        "name": baby.name,
        "id_number": baby.id_number,
        "guardian_consent": True,
    }, sent
    assert add_request.value.headers.get("x-csrf-token"), "a write without its CSRF token"
    expect(by(page, "family-notice")).to_have_text("已添加：陈**（子女）。")
    expect(family.locator("li")).to_have_count(3)
    baby_row = family.locator('li[data-relation="child"]')
    expect(baby_row.get_by_test_id("guardian")).to_have_text("已获监护人同意")
    assert baby.id_number not in page.content()
    shot(page, artifacts_dir, "enroll-02-family", family)
    persons = persons_by_relation(page, base)
    me_id, parent_id, baby_id = (
        persons["self"]["id"],
        persons["spouse"]["id"],
        persons["child"]["id"],
    )

    # Step 1: the three of them.
    by(page, "nav-enroll").click()
    expect(page).to_have_url(re.compile(r"#/enroll$"))
    expect(by(page, "step-label")).to_have_text("第 1 步，共 3 步")
    expect(by(page, "enroll-plan")).to_contain_text("演示")
    by(page, "to-declare").click()  # nobody chosen yet
    expect(by(page, "error-persons")).to_have_text("请至少选择一位被保险人。")
    for person_id in (me_id, parent_id, baby_id):
        by(page, f"choose-input-{person_id}").check()
    shot(page, artifacts_dir, "enroll-03-choose")
    by(page, "to-declare").click()

    # Step 2: the declaration, yes or no for every condition, and the consent.
    expect(by(page, "step-label")).to_have_text("第 2 步，共 3 步")
    expect(by(page, "step-title")).to_be_focused()
    me_card, wife_card, baby_card = (
        by(page, f"decl-{me_id}"),
        by(page, f"decl-{parent_id}"),
        by(page, f"decl-{baby_id}"),
    )
    expect(wife_card.get_by_test_id("cond-diabetes")).to_contain_text("糖尿病")
    me_card.get_by_test_id("all-no").click()
    by(page, "submit-declarations").click()  # the wife and the baby not answered, no consent
    expect(wife_card.get_by_test_id("decl-error")).to_have_text("还有 12 项未回答。")
    expect(baby_card.get_by_test_id("decl-error")).to_be_visible()
    expect(me_card.get_by_test_id("decl-error")).to_be_hidden()
    expect(by(page, "error-health-consent")).to_contain_text("同意处理健康信息")
    wife_card.get_by_test_id("all-no").click()
    wife_card.get_by_test_id("cond-diabetes-yes").check()
    baby_card.get_by_test_id("all-no").click()
    expect(wife_card.get_by_test_id("decl-error")).to_be_hidden()
    by(page, "health-consent").check()
    declarations: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: (
            declarations.append(r.post_data_json)
            if r.url.endswith("/declarations") and r.method == "POST"
            else None
        ),
    )
    by(page, "submit-declarations").click()
    expect(wife_card.get_by_test_id("decl-tier")).to_have_attribute("data-tier", "pre_existing")
    expect(wife_card.get_by_test_id("decl-tier")).to_have_text("保障人群：特定既往症人群")
    expect(wife_card.get_by_test_id("decl-reasons")).to_contain_text("糖尿病")
    expect(me_card.get_by_test_id("decl-tier")).to_have_text("保障人群：标准人群")
    expect(baby_card.get_by_test_id("decl-tier")).to_have_attribute("data-tier", "standard")
    assert len(declarations) == 3
    wife_answers = next(d for d in declarations if d["answers"]["diabetes"])
    assert wife_answers["health_consent"] is True and wife_answers["plan_code"] == "demo"
    assert sum(wife_answers["answers"].values()) == 1 and len(wife_answers["answers"]) == 12
    shot(page, artifacts_dir, "enroll-04-declared", wife_card)

    # The same in English, then large text.
    by(page, "lang-toggle").click()
    expect(wife_card.get_by_test_id("decl-tier")).to_have_text("Tier: pre-existing condition tier")
    expect(by(page, "to-quote")).to_have_text("Next: premium")
    by(page, "lang-toggle").click()
    by(page, "elder-toggle").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    shot(page, artifacts_dir, "enroll-05-declaration-elder", wife_card)
    by(page, "elder-toggle").click()

    # Step 3: the premiums from the server, the newborn's rule, the total, the countdown.
    by(page, "to-quote").click()
    expect(by(page, "step-label")).to_have_text("第 3 步，共 3 步")
    quote = by(page, "quote")
    expect(quote.get_by_test_id("quote-total")).to_have_text("357.00 元")
    expect(by(page, f"quote-{me_id}").get_by_test_id("quote-premium")).to_have_text("129.00 元")
    expect(by(page, f"quote-{parent_id}").get_by_test_id("quote-premium")).to_have_text("129.00 元")
    expect(by(page, f"quote-{parent_id}").get_by_test_id("quote-tier")).to_contain_text(
        "特定既往症人群"
    )
    expect(by(page, f"quote-{baby_id}").get_by_test_id("quote-premium")).to_have_text("99.00 元")
    expect(by(page, f"quote-{baby_id}").get_by_test_id("quote-rule")).to_have_text("新生儿保费")
    expect(by(page, "enroll-countdown")).to_have_text(re.compile(r"^\d+天 \d\d:\d\d:\d\d$"))
    expect(by(page, "place-order")).to_have_text("去支付 357.00 元")
    shot(page, artifacts_dir, "enroll-06-quote")

    # The order, with an Idempotency-Key. The first answer is lost on the way back (the
    # server made the order): "pay" again sends the same key and gets the same order.
    server_answers: list[Any] = []

    def lose_answer(route: Any) -> None:
        server_answers.append(route.fetch())
        route.abort()

    page.route(base + ORDERS, lose_answer, times=1)
    with page.expect_request(lambda r: r.url.endswith(ORDERS) and r.method == "POST") as placed:
        by(page, "place-order").click()
    expect(by(page, "form-error")).to_contain_text("网络连接不稳定")
    expect(page).to_have_url(re.compile(r"#/enroll$"))
    sent = placed.value.post_data_json
    assert sent == {"plan_code": "demo", "persons": [me_id, parent_id, baby_id]}, sent
    key = placed.value.headers.get("idempotency-key") or ""
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", key)
    assert len(server_answers) == 1 and server_answers[0].status == 201
    with page.expect_response(lambda r: r.url.endswith(ORDERS)) as retried:
        by(page, "place-order").click()
    assert retried.value.request.headers.get("idempotency-key") == key
    assert retried.value.status == 201
    assert retried.value.headers.get("idempotent-replayed") == "true"
    assert retried.value.json()["id"] == server_answers[0].json()["id"]
    expect(page).to_have_url(ORDER_URL)
    order_match = ORDER_URL.search(page.url)
    assert order_match is not None
    order_id = order_match.group(1)
    expect(by(page, "order-status")).to_have_attribute("data-status", "pending")
    expect(by(page, "order-status")).to_have_text("待支付")
    expect(by(page, "order-total")).to_have_text("357.00 元")
    expect(by(page, f"order-line-{baby_id}").get_by_test_id("line-premium")).to_have_text(
        "99.00 元"
    )
    expect(by(page, f"order-line-{parent_id}").get_by_test_id("line-tier")).to_contain_text(
        "特定既往症人群"
    )
    expect(by(page, "order-countdown")).to_have_text(re.compile(r"^00:[0-2]\d:\d\d$"))
    expect(by(page, "pay-method-wechatpay")).to_be_visible()
    expect(by(page, "pay-method-alipay")).to_be_visible()
    # he is an employee: his personal account (3,000.00) is offered for the family too
    expect(by(page, "pay-method-personal_account")).to_be_enabled()
    expect(by(page, "acct-note")).to_have_text("余额 3,000.00 元")
    expect(by(page, "nav-enroll")).to_have_attribute("aria-current", "page")
    shot(page, artifacts_dir, "enroll-07-order")

    # A second order for him while the first is unpaid: refused, and said why.
    by(page, "nav-enroll").click()
    expect(by(page, f"choose-input-{me_id}")).to_be_enabled()
    by(page, f"choose-input-{me_id}").check()
    by(page, "to-declare").click()
    by(page, f"decl-{me_id}").get_by_test_id("all-no").click()
    by(page, "health-consent").check()
    by(page, "submit-declarations").click()
    by(page, "to-quote").click()
    expect(by(page, "quote-total")).to_have_text("129.00 元")
    with page.expect_response(lambda r: r.url.endswith(ORDERS)) as refused:
        by(page, "place-order").click()
    assert refused.value.status == 409
    assert refused.value.json()["error"] == "already_enrolled"
    second_key = refused.value.request.headers.get("idempotency-key")
    assert second_key and second_key != key, "a different order needs a key of its own"
    problem = by(page, "form-error")
    expect(problem).to_contain_text("此人在本保障年度已有保单或待支付订单")
    expect(problem).to_be_focused()
    shot(page, artifacts_dir, "enroll-08-already-enrolled", problem)
    problem.get_by_role("link", name="查看待支付订单").click()
    expect(page).to_have_url(re.compile(r"#/orders/" + order_id + "$"))

    # Had the time to pay run out, the order would say so and offer to start again.
    order_url = base + ORDERS + "/" + order_id

    def expired(route: Any) -> None:
        answer = route.fetch()
        route.fulfill(response=answer, json={**answer.json(), "status": "expired"})

    # every read of the order says so until unrouted (a single answer could be taken by a
    # read the screen made before the reload, e.g. its status poll on a slow machine)
    page.route(order_url, expired)
    page.reload()
    expect(by(page, "order-expired")).to_contain_text("不会扣款")
    expect(by(page, "start-again")).to_have_attribute("href", "#/enroll")
    expect(by(page, "pay-methods")).to_have_count(0)
    page.unroute(order_url)
    page.reload()
    expect(by(page, "order-status")).to_have_attribute("data-status", "pending")

    # WeChat Pay, cancelled on its cashier: back on the order, still unpaid, pay again.
    by(page, "pay-submit").click()  # no method chosen yet
    expect(by(page, "error-method")).to_have_text("请选择支付方式。")
    by(page, "pay-method-wechatpay").check()
    by(page, "pay-submit").click()
    cashier = by(page, "wechatpay-cashier")
    expect(cashier).to_be_visible()
    expect(cashier.get_by_test_id("amount")).to_have_text("¥357.00")
    cashier.get_by_test_id("cancel").click()
    expect(page).to_have_url(re.compile(r"#/orders/" + order_id + "$"))
    expect(by(page, "confirming")).to_be_visible()  # asks the server a few times
    expect(by(page, "not-confirmed")).to_be_visible(timeout=20_000)
    expect(by(page, "order-status")).to_have_attribute("data-status", "pending")
    expect(by(page, "pay-submit")).to_have_text("重新支付 357.00 元")
    shot(page, artifacts_dir, "enroll-09-not-paid-yet")

    # Alipay, paid on its cashier; back on the order, paid.
    by(page, "pay-method-alipay").check()
    by(page, "pay-submit").click()
    alipay = by(page, "standin-cashier")
    expect(alipay).to_be_visible()
    expect(alipay.get_by_test_id("amount")).to_have_text("¥357.00")
    assert (alipay.get_attribute("data-out-trade-no") or "").startswith("P")
    alipay.get_by_test_id("pay").click()
    # the stand-in delivers the signed notice, then sends the browser to our return
    # address, which lands on the order's screen
    expect(page).to_have_url(re.compile(r"#/orders/" + order_id))
    status = by(page, "order-status")
    expect(status).to_have_attribute("data-status", "paid")
    expect(status).to_have_text("已支付")
    expect(by(page, "order-result")).to_contain_text("支付成功")
    expect(by(page, "pay-methods")).to_have_count(0)
    expect(by(page, "order-countdown")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"#/orders/" + order_id + "$"))  # no return params
    shot(page, artifacts_dir, "enroll-10-paid")

    # My policies: three, one per person, not started yet (cover starts on a fixed day).
    by(page, "to-policies").click()
    expect(page).to_have_url(re.compile(r"#/policies$"))
    policies = by(page, "policy-list").locator("> li")
    expect(policies).to_have_count(3)
    for number in by(page, "policy-number").all_inner_texts():
        assert POLICY_NUMBER.match(number), number
    wife_policy = page.locator('li[data-relation="spouse"]')
    expect(wife_policy.get_by_test_id("policy-person")).to_have_text("林**（配偶）")
    expect(wife_policy.get_by_test_id("policy-tier")).to_have_text("特定既往症人群")
    expect(wife_policy.get_by_test_id("policy-premium")).to_have_text("129.00 元")
    baby_policy = page.locator('li[data-relation="child"]')
    expect(baby_policy.get_by_test_id("policy-premium")).to_have_text("99.00 元")
    expect(baby_policy.get_by_test_id("policy-status")).to_have_text("待生效")
    expect(baby_policy.get_by_test_id("policy-plan")).to_contain_text("演示")
    # the e-policy link only when the server gives one (on this site)
    for policy in page.request.get(base + "/api/v1/me/policies").json():
        link = by(page, f"policy-{policy['id']}").get_by_test_id("policy-certificate")
        if "certificate_url" in policy:
            expect(link).to_have_text("查看电子保单")
            expect(link).to_have_attribute("href", f"/policies/{policy['id']}/certificate")
        else:
            expect(link).to_have_count(0)
    shot(page, artifacts_dir, "enroll-11-policies")
    by(page, "lang-toggle").click()
    expect(page.locator("h1")).to_have_text("My policies")
    expect(baby_policy.get_by_test_id("policy-status")).to_have_text("Not started yet")
    expect(baby_policy.get_by_test_id("policy-premium")).to_have_text("¥99.00")
    expect(wife_policy.get_by_test_id("policy-person")).to_have_text("林** (spouse)")
    by(page, "lang-toggle").click()

    # Covered now: he cannot be chosen again, and the server refuses another order.
    by(page, "nav-enroll").click()
    expect(by(page, f"choose-input-{me_id}")).to_be_disabled()
    expect(by(page, f"choose-{me_id}")).to_contain_text("本年度已参保")
    csrf = page.request.get(base + "/api/v1/me/csrf").json()["csrf_token"]
    again = page.request.post(
        base + ORDERS,
        data={"plan_code": "demo", "persons": [me_id]},
        headers={"X-CSRF-Token": csrf, "Idempotency-Key": "after-paying"},
    )
    assert again.status == 409 and again.json()["error"] == "already_enrolled", again.text()

    assert console.unexpected() == []


def roster_payer_and_parent() -> tuple[FakePerson, FakePerson]:
    """From the fake roster the server imported (seed 1, 50 people, today): an employee
    whose personal account covers two standard premiums, and an older person as a parent."""
    today = shanghai_today()
    demo = {p.name for p in demo_people(today)}
    people = [p for p in generate(50, seed=1, today=today) if p.name not in demo]

    def adult(p: FakePerson) -> bool:
        return (today - p.birth_date).days > 20 * 366 and p.id_number.startswith("35")

    def parents_of(payer: FakePerson) -> list[FakePerson]:
        return [
            p
            for p in people
            if p is not payer
            and p.status == "normal"
            and (payer.birth_date - p.birth_date).days > 18 * 366
        ]

    payer = next(
        p
        for p in people
        if p.insurance_type == "employee"
        and p.status == "normal"
        and (p.account_balance_fen or 0) >= 2 * 129_00
        and adult(p)
        and parents_of(p)
    )
    return payer, parents_of(payer)[0]


def test_paying_from_the_personal_account(
    page: Any, console: Any, own_server: str, artifacts_dir: Path
) -> None:
    base = own_server
    console.allow(STANDIN_FAVICON)
    console.allow(r"status of 401 .*/api/v1/me'")  # "who is logged in?" asked while nobody is
    payer, parent = roster_payer_and_parent()
    balance = payer.account_balance_fen or 0

    page.goto(base + "/#/enroll")
    login = by(page, "gate-login")
    expect(login).to_contain_text("登录后才能管理家庭成员")
    login.get_by_test_id("login-alipay").click()
    log_in_on_standin(page, "家庭共济", "/#/enroll")
    expect(by(page, "gate-verify")).to_contain_text("实名认证")
    by(page, "gate-verify-cta").click()
    by(page, "consent-check").check()
    by(page, "consent-agree").click()
    by(page, "verify-name").fill(payer.name)
    by(page, "verify-id-number").fill(payer.id_number)
    by(page, "verify-submit").click()
    expect(by(page, "me-verified")).to_have_attribute("data-verified", "true")

    by(page, "me-family").click()
    add_person(page, "parent", parent.name, parent.id_number)
    by(page, "add-person-submit").click()
    expect(by(page, "family-list").locator("li")).to_have_count(2)
    persons = persons_by_relation(page, base)
    me_id, parent_id = persons["self"]["id"], persons["parent"]["id"]

    by(page, "family-enroll").click()
    by(page, f"choose-input-{me_id}").check()
    by(page, f"choose-input-{parent_id}").check()
    by(page, "to-declare").click()
    by(page, f"decl-{me_id}").get_by_test_id("all-no").click()
    by(page, f"decl-{parent_id}").get_by_test_id("all-no").click()
    by(page, "health-consent").check()
    by(page, "submit-declarations").click()
    by(page, "to-quote").click()
    expect(by(page, "quote-total")).to_have_text("258.00 元")
    by(page, "place-order").click()
    expect(page).to_have_url(ORDER_URL)

    # The personal account: his balance, both persons ticked (it covers them both).
    account = by(page, "pay-method-personal_account")
    expect(account).to_be_enabled()
    yuan = f"{balance // 100:,}.{balance % 100:02d}"
    expect(by(page, "acct-note")).to_have_text(f"余额 {yuan} 元")
    account.check()
    panel = by(page, "acct-panel")
    expect(panel.get_by_test_id(f"acct-person-{me_id}")).to_be_checked()
    expect(panel.get_by_test_id(f"acct-person-{parent_id}")).to_be_checked()
    expect(by(page, "acct-partial")).to_have_count(0)
    expect(by(page, "pay-submit")).to_have_text("用个人账户支付 258.00 元")
    payments: list[Any] = []
    page.on(
        "request",
        lambda r: payments.append(r) if r.url.endswith("/personal-account-payments") else None,
    )
    by(page, "pay-submit").click()  # paying for his parent needs his word that the parent agrees
    expect(by(page, "error-acct-consent")).to_have_text("请先确认家庭成员已同意。")
    expect(by(page, "acct-consent")).to_be_focused()
    assert payments == []
    shot(page, artifacts_dir, "enroll-12-personal-account", by(page, "pay-methods"))
    by(page, "acct-consent").check()
    by(page, "pay-submit").click()
    expect(by(page, "order-status")).to_have_attribute("data-status", "paid")
    expect(by(page, "order-result")).to_contain_text("支付成功")
    assert len(payments) == 1
    assert payments[0].post_data_json == {
        "persons": [me_id, parent_id],
        "relatives_consent": True,
    }, payments[0].post_data_json
    assert payments[0].headers.get("idempotency-key")
    shot(page, artifacts_dir, "enroll-13-paid-from-account")

    by(page, "to-policies").click()
    expect(by(page, "policy-list").locator("> li")).to_have_count(2)
    assert console.unexpected() == []
