"""Development stand-ins for WeChat and Alipay login: real protocol peers under /standins.

Mounted only with DEV_STANDINS=1. Paths are the real hosts' paths under a prefix:

    /standins/wechat/connect/oauth2/authorize      open.weixin.qq.com (the browser)
    /standins/wechat/sns/oauth2/access_token       api.weixin.qq.com  (the server)
    /standins/wechat/sns/userinfo
    /standins/alipay/oauth2/publicAppAuthorize.htm openauth.alipay.com (the browser)
    /standins/alipay/gateway.do                    openapi.alipay.com (the server)

They answer in the providers' wire formats, quirks included: WeChat's errors are HTTP 200
`{"errcode", "errmsg"}` bodies served as `text/plain`; Alipay verifies the request's RSA2
signature with the app's public key and signs every answer over the raw JSON text of its
`*_response` value. State lives in the stand-ins' own SQLite file (`STANDIN_DB`).
The pages are a fake third-party site: public, no CSRF, no inline script or style.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import escape
from werkzeug.wrappers import Response as BaseResponse

from app.auth.providers import alipay_sign
from app.core import clock
from app.core.security import public
from app.standins import registry
from app.standins.store import (
    ALIPAY_TOKEN_TTL_S,
    WECHAT_TOKEN_TTL_S,
    CodeProblem,
    Grant,
    StandinStore,
)

R = TypeVar("R", bound=BaseResponse)

standins_bp = Blueprint("standins", __name__, url_prefix="/standins", template_folder="templates")

BRANDS = {"wechat": {"zh": "微信", "en": "WeChat"}, "alipay": {"zh": "支付宝", "en": "Alipay"}}
WECHAT_SCOPES = ("snsapi_base", "snsapi_userinfo")
ALIPAY_SCOPES = ("auth_base", "auth_user")
SHANGHAI = ZoneInfo("Asia/Shanghai")
NICKNAME_MAX = 32


def _store() -> StandinStore:
    return StandinStore(current_app.extensions["settings"].standin_db)


def _base_url() -> str:
    return str(current_app.extensions["settings"].standin_base_url).rstrip("/")


def _avatar_url(person_id: str) -> str:
    return f"{_base_url()}/standins/avatar/{person_id}.svg"


class PageError(Exception):
    """An authorization page request the provider would refuse with its error page."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(code)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


def _error_page(provider: str, exc: PageError) -> Response:
    html = render_template(
        "standins/error.html",
        provider=provider,
        brand=BRANDS[provider],
        code=exc.code,
        message_zh=exc.message_zh,
        message_en=exc.message_en,
    )
    return _no_store(Response(html, status=400, mimetype="text/html"))


def _no_store(response: R) -> R:
    response.headers["Cache-Control"] = "no-store"
    return response


def _check_redirect_uri(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise PageError(
            "10003",
            "redirect_uri 参数错误：需要不含 # 片段的 http(s) 绝对地址。",
            "redirect_uri is not valid: an absolute http(s) URL without a fragment is needed.",
        )
    return value


def _check_state(value: str) -> str:
    if len(value.encode("utf-8")) > 128:
        raise PageError(
            "10020", "state 参数过长（最多 128 字节）。", "state is too long (128 bytes)."
        )
    return value


def _with_query(url: str, params: list[tuple[str, str]]) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


def _choose_person(form: Any) -> str | None:
    """The picked or newly created person's id; None when the member refused."""
    store = _store()
    if form.get("action") == "refuse":
        return None
    picked = form.get("pick", "")
    if picked:
        person = store.person(picked)
        if person is None:
            raise PageError("10404", "找不到该测试用户。", "No such test person.")
        return person.id
    if form.get("action") == "create":
        nickname = " ".join(form.get("nickname", "").split())[:NICKNAME_MAX]
        nickname = nickname or f"测试用户{len(store.persons()) + 1}"
        return store.create_person(nickname, with_unionid=form.get("with_unionid") == "1").id
    raise PageError("10400", "请选择或新建一个测试用户。", "Pick or create a test person.")


def _picker(
    provider: str, *, app_id: str, scope: str, redirect_uri: str, hidden: list[tuple[str, str]]
) -> Response:
    html = render_template(
        "standins/picker.html",
        provider=provider,
        brand=BRANDS[provider],
        app_id=app_id,
        scope=scope,
        redirect_host=urlsplit(redirect_uri).netloc,
        hidden=hidden,
        persons=_store().persons(),
        action=url_for(f"standins.{provider}_confirm"),
    )
    return _no_store(Response(html, mimetype="text/html"))


# --- WeChat: the browser side ------------------------------------------------------------


def _wechat_authorize_params(source: Any) -> dict[str, str]:
    appid = source.get("appid", "")
    if appid != registry.WECHAT_APP_ID:
        raise PageError("10016", "appid 参数错误。", "The appid is not valid.")
    if source.get("response_type", "") != "code":
        raise PageError("10004", "response_type 参数错误。", "response_type must be code.")
    scope = source.get("scope", "")
    if scope not in WECHAT_SCOPES:
        raise PageError("10005", "scope 参数错误或没有 scope 权限。", "The scope is not valid.")
    return {
        "appid": appid,
        "redirect_uri": _check_redirect_uri(source.get("redirect_uri", "")),
        "response_type": "code",
        "scope": scope,
        "state": _check_state(source.get("state", "")),
    }


@standins_bp.get("/wechat/connect/oauth2/authorize")
@public
def wechat_authorize() -> Response:
    try:
        params = _wechat_authorize_params(request.args)
    except PageError as exc:
        return _error_page("wechat", exc)
    return _picker(
        "wechat",
        app_id=params["appid"],
        scope=params["scope"],
        redirect_uri=params["redirect_uri"],
        hidden=list(params.items()),
    )


@standins_bp.post("/wechat/oauth2/confirm")
@public
def wechat_confirm() -> BaseResponse:
    try:
        params = _wechat_authorize_params(request.form)
        person_id = _choose_person(request.form)
    except PageError as exc:
        return _error_page("wechat", exc)
    if person_id is None:  # refused: WeChat comes back with the state only
        target = _with_query(params["redirect_uri"], [("state", params["state"])])
    else:
        code = _store().issue_code(
            "wechat",
            params["appid"],
            person_id,
            params["scope"],
            snapshot=request.form.get("snapshot") == "1",
        )
        target = _with_query(params["redirect_uri"], [("code", code), ("state", params["state"])])
    return _no_store(redirect(target, code=302))


# --- WeChat: the server side -------------------------------------------------------------


def _wechat_json(body: dict[str, Any]) -> Response:
    """WeChat's API answers: HTTP 200, JSON served as text/plain without a charset."""
    response = Response(json.dumps(body, ensure_ascii=False), status=200)
    response.headers["Content-Type"] = "text/plain"
    return _no_store(response)


def _wechat_error(errcode: int, errmsg: str) -> Response:
    rid = "-".join(secrets.token_hex(4) for _ in range(3))
    return _wechat_json({"errcode": errcode, "errmsg": f"{errmsg}, rid: {rid}"})


@standins_bp.get("/wechat/sns/oauth2/access_token")
@public
def wechat_access_token() -> Response:
    args = request.args
    if not args.get("appid"):
        return _wechat_error(41002, "appid missing")
    if args["appid"] != registry.WECHAT_APP_ID:
        return _wechat_error(40013, "invalid appid")
    if not args.get("secret"):
        return _wechat_error(41004, "appsecret missing")
    if not secrets.compare_digest(args["secret"], registry.WECHAT_APP_SECRET):
        return _wechat_error(40125, "invalid appsecret")
    if args.get("grant_type") != "authorization_code":
        return _wechat_error(40002, "invalid grant_type")
    if not args.get("code"):
        return _wechat_error(41008, "missing code")
    try:
        grant = _store().use_code("wechat", args["appid"], args["code"])
    except CodeProblem as exc:
        if exc.reason == "used":
            return _wechat_error(40163, "code been used")
        return _wechat_error(40029, "invalid code")  # unknown or expired (5 minutes)
    person = grant.person
    if grant.snapshot:
        # a moments snapshot-page visitor: a virtual openid, no unionid, base scope only
        openid, unionid, scope = "o" + secrets.token_urlsafe(20)[:27], None, "snsapi_base"
    else:
        openid, unionid, scope = person.wechat_openid, person.wechat_unionid, grant.scope
    store = _store()
    token_grant = Grant(person, grant.app_id, scope, grant.snapshot, False)
    body: dict[str, Any] = {
        "access_token": store.issue_token("wechat", token_grant, openid, WECHAT_TOKEN_TTL_S),
        "expires_in": WECHAT_TOKEN_TTL_S,
        "refresh_token": secrets.token_urlsafe(80),
        "openid": openid,
        "scope": scope,
    }
    if grant.snapshot:
        body["is_snapshotuser"] = 1
    if unionid:
        body["unionid"] = unionid
    return _wechat_json(body)


@standins_bp.get("/wechat/sns/userinfo")
@public
def wechat_userinfo() -> Response:
    token = request.args.get("access_token", "")
    if not token:
        return _wechat_error(41001, "access_token missing")
    grant = _store().token("wechat", token)
    if grant is None:
        return _wechat_error(40001, "invalid credential, access_token is invalid or not latest")
    if request.args.get("openid", "") != grant.subject:
        return _wechat_error(40003, "invalid openid")
    if grant.scope != "snsapi_userinfo":
        return _wechat_error(48001, "api unauthorized")
    person = grant.person
    body: dict[str, Any] = {
        "openid": grant.subject,
        "nickname": person.nickname,
        "sex": 0,  # since 2021 WeChat no longer discloses sex and region
        "province": "",
        "city": "",
        "country": "",
        "headimgurl": _avatar_url(person.id),
        "privilege": [],
    }
    if person.wechat_unionid:
        body["unionid"] = person.wechat_unionid
    return _wechat_json(body)


# --- Alipay: the browser side ------------------------------------------------------------


def _alipay_authorize_params(source: Any) -> dict[str, str]:
    app_id = source.get("app_id", "")
    if app_id != registry.ALIPAY_APP_ID:
        raise PageError("invalid-app-id", "app_id 无效。", "The app_id is not valid.")
    scope = source.get("scope", "")
    if not scope or any(s not in ALIPAY_SCOPES for s in scope.split(",")):
        raise PageError("invalid-scope", "scope 参数无效。", "The scope is not valid.")
    return {
        "app_id": app_id,
        "scope": scope,
        "redirect_uri": _check_redirect_uri(source.get("redirect_uri", "")),
        "state": _check_state(source.get("state", "")),
    }


@standins_bp.get("/alipay/oauth2/publicAppAuthorize.htm")
@public
def alipay_authorize() -> Response:
    try:
        params = _alipay_authorize_params(request.args)
    except PageError as exc:
        return _error_page("alipay", exc)
    return _picker(
        "alipay",
        app_id=params["app_id"],
        scope=params["scope"],
        redirect_uri=params["redirect_uri"],
        hidden=list(params.items()),
    )


@standins_bp.post("/alipay/oauth2/confirm")
@public
def alipay_confirm() -> BaseResponse:
    try:
        params = _alipay_authorize_params(request.form)
        person_id = _choose_person(request.form)
    except PageError as exc:
        return _error_page("alipay", exc)
    if person_id is None:
        target = _with_query(params["redirect_uri"], [("state", params["state"])])
    else:
        code = _store().issue_code(
            "alipay",
            params["app_id"],
            person_id,
            params["scope"],
            open_id_only=request.form.get("open_id_only") == "1",
        )
        target = _with_query(
            params["redirect_uri"],
            [
                ("auth_code", code),
                ("state", params["state"]),
                ("app_id", params["app_id"]),
                ("source", "alipay_wallet"),
                ("scope", params["scope"]),
            ],
        )
    return _no_store(redirect(target, code=302))


# --- Alipay: the gateway -----------------------------------------------------------------

MISSING = ("40001", "Missing Required Arguments")
INVALID = ("40002", "Invalid Arguments")


class GatewayError(Exception):
    def __init__(self, code: tuple[str, str], sub_code: str, sub_msg: str) -> None:
        super().__init__(sub_code)
        self.body = {"code": code[0], "msg": code[1], "sub_code": sub_code, "sub_msg": sub_msg}


def _gateway_response(response_key: str, value: dict[str, Any]) -> Response:
    """Signed the way the real gateway signs: over the raw JSON text of the value."""
    private_key = registry.read_key(registry.ALIPAY_PRIVATE_KEY_FILE)
    body = alipay_sign.signed_body(response_key, value, private_key)
    response = Response(body.encode("utf-8"), status=200)
    response.headers["Content-Type"] = "text/html;charset=utf-8"
    return _no_store(response)


def _check_common(params: dict[str, str]) -> None:
    if not params.get("method"):
        raise GatewayError(MISSING, "isv.missing-method", "缺少方法名参数")
    if not params.get("app_id"):
        raise GatewayError(MISSING, "isv.missing-app-id", "缺少AppID参数")
    if params["app_id"] != registry.ALIPAY_APP_ID:
        raise GatewayError(INVALID, "isv.invalid-app-id", "无效的AppID参数")
    if not params.get("sign"):
        raise GatewayError(MISSING, "isv.missing-signature", "缺少签名参数")
    if params.get("sign_type", "RSA") != "RSA2":
        raise GatewayError(INVALID, "isv.invalid-signature-type", "无效的签名类型")
    if not params.get("timestamp"):
        raise GatewayError(MISSING, "isv.missing-timestamp", "缺少时间戳参数")
    try:
        datetime.strptime(params["timestamp"], "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007 - a format check only
    except ValueError:
        raise GatewayError(INVALID, "isv.invalid-timestamp", "非法的时间戳参数") from None
    if params.get("format", "JSON").upper() != "JSON":
        raise GatewayError(INVALID, "isv.invalid-format", "无效的数据格式")
    app_public_key = registry.read_key(registry.APP_PUBLIC_KEY_FILE)
    if not alipay_sign.verify_params(params, app_public_key):
        raise GatewayError(
            INVALID,
            "isv.invalid-signature",
            "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为："
            + alipay_sign.signing_string(params),
        )


def _oauth_token(params: dict[str, str]) -> dict[str, Any]:
    if params.get("grant_type") != "authorization_code":
        raise GatewayError(INVALID, "isv.grant-type-invalid", "grant_type参数不正确")
    if not params.get("code"):
        raise GatewayError(MISSING, "isv.missing-code", "缺少授权码code参数")
    try:
        grant = _store().use_code("alipay", params["app_id"], params["code"])
    except CodeProblem:
        raise GatewayError(INVALID, "isv.code-invalid", "授权码code无效") from None
    person = grant.person
    token = _store().issue_token("alipay", grant, person.alipay_open_id, ALIPAY_TOKEN_TTL_S)
    value: dict[str, Any] = {}
    if not grant.open_id_only:
        value["user_id"] = person.alipay_user_id
    value.update(
        {
            "open_id": person.alipay_open_id,
            "access_token": token,
            "expires_in": ALIPAY_TOKEN_TTL_S,
            "refresh_token": "authusrB" + secrets.token_hex(20),
            "re_expires_in": ALIPAY_TOKEN_TTL_S * 2,
            "auth_start": clock.now().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
        }
    )
    return value


def _user_info_share(params: dict[str, str]) -> dict[str, Any]:
    if not params.get("auth_token"):
        raise GatewayError(MISSING, "isv.missing-auth-token", "缺少访问令牌参数")
    grant = _store().token("alipay", params["auth_token"])
    if grant is None or grant.app_id != params["app_id"]:
        raise GatewayError(
            ("20001", "Insufficient Token Permissions"), "aop.invalid-auth-token", "无效的访问令牌"
        )
    if "auth_user" not in grant.scope.split(","):
        raise GatewayError(
            ("40006", "Insufficient Permissions"),
            "isv.insufficient-user-permissions",
            "用户未授权获取会员信息",
        )
    person = grant.person
    value: dict[str, Any] = {"code": "10000", "msg": "Success"}
    if not grant.open_id_only:
        value["user_id"] = person.alipay_user_id
    value.update(
        {
            "open_id": person.alipay_open_id,
            "avatar": _avatar_url(person.id),
            "nick_name": person.nickname,
            "province": "福建省",
            "city": "厦门市",
        }
    )
    return value


GATEWAY_METHODS = {
    "alipay.system.oauth.token": _oauth_token,
    "alipay.user.info.share": _user_info_share,
}
# methods whose errors the gateway answers under "error_response" (the others under
# "<method>_response" with a non-10000 code)
ERROR_RESPONSE_METHODS = {"alipay.system.oauth.token"}


@standins_bp.route("/alipay/gateway.do", methods=["GET", "POST"])
@public
def alipay_gateway() -> Response:
    params = {**request.args.to_dict(), **request.form.to_dict()}
    from app.standins.alipay_pay import handle_gateway  # payments: wap.pay, query, refund

    if (paid := handle_gateway(params)) is not None:
        return paid
    method = params.get("method", "")
    handler = GATEWAY_METHODS.get(method)
    key = "error_response"
    if handler is not None and method not in ERROR_RESPONSE_METHODS:
        key = method.replace(".", "_") + "_response"
    try:
        _check_common(params)
        if handler is None:
            raise GatewayError(INVALID, "isv.invalid-method", "不存在的方法名")
        value = handler(params)
    except GatewayError as exc:
        return _gateway_response(key, exc.body)
    return _gateway_response(method.replace(".", "_") + "_response", value)


# --- avatars -----------------------------------------------------------------------------

AVATAR_COLORS = ("0a58b0", "067a3c", "8a4b00", "6b3fa0", "b42318", "0e7490")
_AVATAR = """<svg xmlns="http://www.w3.org/2000/svg" width="132" height="132" viewBox="0 0 132 132">
<rect width="132" height="132" fill="#{color}"/>
<text x="66" y="84" font-size="56" text-anchor="middle" fill="#fff"
 font-family="sans-serif">{initial}</text>
</svg>"""


@standins_bp.get("/avatar/<person_id>.svg")
@public
def avatar(person_id: str) -> Response:
    person = _store().person(person_id)
    if person is None:
        return Response("not found", status=404, mimetype="text/plain")
    color = AVATAR_COLORS[sum(map(ord, person.id)) % len(AVATAR_COLORS)]
    svg = _AVATAR.format(color=color, initial=escape(person.nickname[:1] or "?"))
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "max-age=3600"
    return response
