"""Paying an order, and the providers' payment notices (fixed addresses)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint as FlaskBlueprint
from flask import Response, jsonify, request
from flask.views import MethodView

from app.core import clock
from app.core.api import Blueprint
from app.core.db import get_session
from app.core.security import current_member, member_required, public
from app.enrollment.routes import payment_view
from app.enrollment.schemas import PayIn, PayOut
from app.payments import service
from app.payments.providers.base import NoticeRejected

log = logging.getLogger(__name__)

blp = Blueprint("pay", __name__, url_prefix="/api/v1", description="Paying orders.")
notices = FlaskBlueprint("payments", __name__, url_prefix="/api/v1/payments")


@blp.route("/orders/<string:order_id>/payments")
class Pay(MethodView):
    @blp.arguments(PayIn)
    @blp.response(201, PayOut)
    @member_required
    def post(self, body: dict[str, Any], order_id: str) -> dict[str, Any]:
        """Start paying an order with WeChat Pay or Alipay: where to send the browser."""
        started = service.start(
            get_session(),
            current_member(),
            order_id,
            body["provider"],
            body["channel"],
            client_ip=request.remote_addr or "127.0.0.1",
        )
        return {
            "payment": payment_view(started.payment),
            "pay_url": started.prepay.pay_url,
            "jsapi_params": started.prepay.jsapi_params,
        }


@notices.get("/return/<string:order_id>")
@public
def payment_return(order_id: str) -> Response:
    """Where a provider's page sends the browser after paying: back to the order's screen.
    (A plain URL for the providers, which may append their own query parameters.)"""
    from flask import redirect

    safe = order_id if order_id.isalnum() and len(order_id) <= 26 else ""
    return redirect(f"/#/orders/{safe}" if safe else "/#/policies")


@notices.post("/wechatpay/notify")
@public
def wechatpay_notify() -> Response:
    """WeChat Pay API v3 payment notice: 204 on success, {"code": "FAIL"} otherwise."""
    client = service.client_for("wechatpay")
    if client is None:
        return _wechat_fail(503, "not configured")
    try:
        notice = client.parse_notice(dict(request.headers), request.get_data(), clock.now())
    except NoticeRejected as exc:
        log.warning("rejected WeChat Pay notice: %s", exc.reason)
        service.log_event("wechatpay", "notice", f"rejected:{exc.reason}", separate=True)
        return _wechat_fail(
            401 if exc.reason in ("bad_signature", "unknown_serial") else 400, exc.reason
        )
    finally:
        client.http.close()
    applied = service.apply(get_session(), notice)
    if applied.ok:
        return Response(status=204)
    return _wechat_fail(400 if applied.outcome != "unknown_order" else 404, applied.outcome)


def _wechat_fail(status: int, message: str) -> Response:
    response = jsonify({"code": "FAIL", "message": message})
    response.status_code = status
    return response


@notices.post("/alipay/notify")
@public
def alipay_notify() -> Response:
    """Alipay async notice: reply exactly `success` once applied (or already applied)."""
    client = service.client_for("alipay")
    if client is None:
        return Response("failure", status=503, mimetype="text/plain")
    try:
        notice = client.parse_notice(request.form.to_dict())
    except NoticeRejected as exc:
        log.warning("rejected Alipay notice: %s", exc.reason)
        service.log_event("alipay", "notice", f"rejected:{exc.reason}", separate=True)
        return Response("failure", status=400, mimetype="text/plain")
    finally:
        client.http.close()
    applied = service.apply(get_session(), notice)
    if applied.ok:
        return Response("success", status=200, mimetype="text/plain")
    return Response("failure", status=400, mimetype="text/plain")
