"""Members: login identities, consents, real-name binding against the BMI roster."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core import clock
from app.core.errors import Conflict, DomainError, ValidationFailed
from app.identity import crypto
from app.identity.resident_id import InvalidResidentId, parse_resident_id
from app.members.consent_texts import TEXTS
from app.members.models import Consent, Member, MemberIdentity
from app.roster import service as roster


@dataclass(frozen=True)
class LoginIdentity:
    """What a provider told us about the person (see app.auth.providers.base)."""

    provider: str
    app_id: str
    subject: str
    user_id: str | None
    unionid: str | None
    nickname: str | None
    avatar_url: str | None


class IdentityTaken(Conflict):
    code = "identity_linked_elsewhere"
    message_en = "This login is already linked to another account."
    message_zh = "该登录方式已关联到另一个账户。"


class AlreadyBound(Conflict):
    code = "already_bound"
    message_en = "Your account is already verified with a real name."
    message_zh = "您的账户已完成实名认证。"


class IdBoundElsewhere(Conflict):
    code = "id_bound_to_other_account"
    message_en = (
        "This ID number is already verified on another account: one person, one account. "
        "Log in the way you used before, then link this login under “Me”."
    )
    message_zh = (
        "该身份证号已在另一个账户完成实名认证（一人一户）。"
        "请用原来的方式登录，再在“我的”中关联本登录方式。"
    )


class ConsentRequired(DomainError):
    http_status = 422
    code = "consent_required"
    message_en = "Please agree to the processing of sensitive personal information first."
    message_zh = "请先同意敏感个人信息处理。"


def _field_error(field: str, code: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed(en, zh, code=code, errors={"json": {field: [en]}})


# --- login ----------------------------------------------------------------------------


def _find_identity(db: Session, ident: LoginIdentity) -> MemberIdentity | None:
    found = db.scalar(
        select(MemberIdentity).where(
            MemberIdentity.provider == ident.provider,
            MemberIdentity.app_id == ident.app_id,
            MemberIdentity.subject == ident.subject,
        )
    )
    if found is None and ident.user_id:
        found = db.scalar(
            select(MemberIdentity).where(
                MemberIdentity.provider == ident.provider, MemberIdentity.user_id == ident.user_id
            )
        )
    return found


def login_with_identity(
    db: Session, ident: LoginIdentity, link_to_member_id: str | None = None
) -> Member:
    """The member for a provider identity: existing, linked to the logged-in member, or new."""
    now = clock.now()
    existing = _find_identity(db, ident)
    if existing is not None:
        if link_to_member_id and existing.member_id != link_to_member_id:
            raise IdentityTaken()
        existing.last_login_at = now
        if ident.nickname:
            existing.nickname = ident.nickname
        if ident.user_id and not existing.user_id:
            existing.user_id = ident.user_id
        if ident.unionid and not existing.unionid:
            existing.unionid = ident.unionid
        db.flush()
        return existing.member

    member: Member | None = None
    if link_to_member_id:
        member = db.get(Member, link_to_member_id)
    elif ident.unionid:  # the same WeChat person through another of our apps
        sibling = db.scalar(
            select(MemberIdentity).where(
                MemberIdentity.provider == ident.provider, MemberIdentity.unionid == ident.unionid
            )
        )
        member = sibling.member if sibling else None
    if member is None:
        member = Member(created_at=now, nickname=ident.nickname, avatar_url=ident.avatar_url)
        db.add(member)
        db.flush()
    elif ident.nickname and not member.nickname:
        member.nickname = ident.nickname
    db.add(
        MemberIdentity(
            member_id=member.id,
            provider=ident.provider,
            app_id=ident.app_id,
            subject=ident.subject,
            user_id=ident.user_id,
            unionid=ident.unionid,
            nickname=ident.nickname,
            created_at=now,
            last_login_at=now,
        )
    )
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:  # the same identity created by a racing request
        raise IdentityTaken() from exc
    return member


# --- consents ---------------------------------------------------------------------------


def record_consent(db: Session, member: Member, kind: str, version: str, granted: bool) -> Consent:
    text = TEXTS.get(kind)
    if text is None:
        raise _field_error("kind", "unknown_consent", "Unknown consent.", "未知的同意事项。")
    if version != text.version:
        raise _field_error(
            "terms_version",
            "consent_version_outdated",
            f"The consent text has changed (now {text.version}); read it again.",
            f"同意书已更新（现为 {text.version} 版），请重新阅读。",
        )
    row = Consent(
        member_id=member.id,
        kind=kind,
        terms_version=version,
        granted=granted,
        created_at=clock.now(),
    )
    db.add(row)
    db.flush()
    return row


def has_consent(db: Session, member: Member, kind: str) -> bool:
    latest = db.scalar(
        select(Consent)
        .where(Consent.member_id == member.id, Consent.kind == kind)
        .order_by(Consent.created_at.desc(), Consent.id.desc())
        .limit(1)
    )
    return bool(latest and latest.granted and latest.terms_version == TEXTS[kind].version)


# --- real-name binding -----------------------------------------------------------------


def bind_real_name(db: Session, member: Member, name: str, id_number: str) -> Member:
    """Check the ID (GB 11643), match name + ID against the roster, bind once."""
    if member.id_index is not None:
        raise AlreadyBound()
    if not has_consent(db, member, "sensitive_personal_information"):
        raise ConsentRequired()
    clean_name = crypto.normalise_name(name)
    if not clean_name:
        raise _field_error("name", "name_required", "Enter your name.", "请输入姓名。")
    try:
        rid = parse_resident_id(id_number, today=clock.today("Asia/Shanghai"))
    except InvalidResidentId as exc:
        raise _field_error("id_number", exc.code, exc.message_en, exc.message_zh) from exc

    entry = roster.find_by_id_number(db, rid.number)
    if entry is None or crypto.normalise_name(entry.name) != clean_name:
        raise _field_error(
            "id_number",
            "roster_mismatch",
            "No one with this name and ID number is on the city's basic medical insurance "
            "roster. Check both, or ask the medical insurance bureau.",
            "本市基本医保参保名单中没有该姓名和身份证号，请核对，或咨询医保经办机构。",
        )
    if entry.status != "normal":
        status_zh = {"suspended": "暂停", "terminated": "终止"}.get(entry.status, entry.status)
        raise _field_error(
            "id_number",
            "roster_status_not_normal",
            f"Your basic medical insurance status is {entry.status}, not normal; "
            "only people with normal status can enroll.",
            f"您的基本医保参保状态为“{status_zh}”，需为“正常”才能参保。",
        )
    index = crypto.id_index(rid.number)
    other = db.scalar(select(Member).where(Member.id_index == index, Member.id != member.id))
    if other is not None:
        raise IdBoundElsewhere()
    member.real_name = clean_name
    member.id_number = rid.number
    member.id_index = index
    member.birth_date = rid.birth_date
    member.sex = rid.sex
    member.id_kind = rid.kind
    member.roster_entry_id = entry.id
    member.bound_at = clock.now()
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:  # two accounts binding the same ID at once
        raise IdBoundElsewhere() from exc
    return member
