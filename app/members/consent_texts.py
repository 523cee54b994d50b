"""Consent texts, versioned. A new text is a new version; answers record the version."""

from __future__ import annotations

from dataclasses import dataclass

from app.rules.terms import Text


@dataclass(frozen=True)
class ConsentText:
    kind: str
    version: str
    title: Text
    body: Text


SENSITIVE_PI = ConsentText(
    kind="sensitive_personal_information",
    version="2026-11",
    title=Text("敏感个人信息处理同意书", "Consent to process sensitive personal information"),
    body=Text(
        "为核验您的身份并办理惠民保投保、理赔，我们需要处理您的姓名、身份证件号码，"
        "并与本市基本医疗保险参保名单比对；办理投保时还将处理您申报的健康信息。"
        "上述信息属于敏感个人信息，我们仅为上述目的使用，加密存储，"
        "不向其他会员展示；工作人员查看将被记录。您可以拒绝，但将无法完成实名认证和投保。"
        "依据《个人信息保护法》第二十九条，处理敏感个人信息需取得您的单独同意。",
        "To verify your identity and handle enrollment and claims, we process your name and "
        "ID number and match them against the city's basic medical insurance roster; "
        "enrollment will also process the health information you declare. This is sensitive "
        "personal information: we use it only for these purposes, store it encrypted, never "
        "show it to other members, and log every staff access. You may refuse, but then "
        "real-name verification and enrollment cannot be completed. Under article 29 of the "
        "Personal Information Protection Law this needs your separate consent.",
    ),
)

TEXTS = {SENSITIVE_PI.kind: SENSITIVE_PI}
