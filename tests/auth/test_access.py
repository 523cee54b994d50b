"""Deny by default: every route has an explicit access decision."""

from __future__ import annotations

from app.core.security import FRAMEWORK_PUBLIC, access_of

# the routes anybody may call, by endpoint prefix or name (health, plans and estimates,
# login and callbacks, consent texts, stand-ins, payment notices, static, docs)
PUBLIC_ALLOWED = (
    "web.",
    "plans.",
    "auth.",
    "me.ConsentTextView",
    "staff.StaffSession:POST",
    "standins.",
    "standins_wechatpay.",
    "standins_alipay_pay.",
    "standins_wechat_messages.",
    "payments.wechatpay_notify",
    "payments.alipay_notify",
    "payments.payment_return",
    "staff_console.",  # the console's page; its data is behind the staff API
)


def _allowed_public(endpoint: str, method: str) -> bool:
    return any(
        endpoint.startswith(p) or f"{endpoint}:{method}" == p or endpoint == p
        for p in PUBLIC_ALLOWED
    )


def test_every_route_has_an_access_decision(app):
    missing, unexpected_public = [], []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in FRAMEWORK_PUBLIC:
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            access = access_of(view, method)
            if access is None:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
            elif access.kind == "public" and not _allowed_public(rule.endpoint, method):
                unexpected_public.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert missing == [], "routes without an access decision"
    assert unexpected_public == [], "public routes not on the allow-list"


def test_member_routes_refuse_anonymous(client):
    resp = client.get("/api/v1/me")
    assert resp.status_code == 401
    assert resp.get_json()["error"] == "login_required"


def test_staff_routes_refuse_members(client, member_login):
    member_login(client)
    resp = client.get("/api/v1/staff/me")
    assert resp.status_code == 401
    assert resp.get_json()["error"] == "staff_login_required"


def test_a_route_without_a_decision_is_refused():
    from flask import Blueprint

    from app import create_app

    bp = Blueprint("probe", __name__)

    @bp.get("/probe-undecided")
    def undecided():
        return "should not run"

    probe_app = create_app({"DATABASE_URL": "sqlite://"})
    probe_app.register_blueprint(bp)
    resp = probe_app.test_client().get("/probe-undecided")
    assert resp.status_code == 403
    assert resp.get_json()["error"] == "no_access_rule"
