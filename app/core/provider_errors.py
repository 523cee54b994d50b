"""The shape of a failed call to a third party (login and payment providers).

Subclasses name their providers and their kinds of failure with member-readable
messages in English and Chinese (`{en}`/`{zh}` stand for the provider's name).
`provider_code` is the provider's own code for logs and tests; `detail` a short
technical note for logs (never a secret, a token, a signature or a full body).
"""

from __future__ import annotations

from typing import ClassVar


class ProviderFailure(Exception):
    PROVIDER_NAMES: ClassVar[dict[str, tuple[str, str]]] = {}  # provider -> (en, zh)
    MESSAGES: ClassVar[dict[str, tuple[str, str]]] = {}  # kind -> (en, zh)
    WHAT: ClassVar[str] = "provider"

    def __init__(
        self,
        provider: str,
        kind: str,
        provider_code: str | None = None,
        *,
        detail: str = "",
    ) -> None:
        if provider not in self.PROVIDER_NAMES:
            raise ValueError(f"unknown {self.WHAT} {provider!r}")
        if kind not in self.MESSAGES:
            raise ValueError(f"unknown {self.WHAT} error kind {kind!r}")
        self.provider = provider
        self.kind = kind
        self.provider_code = provider_code
        self.detail = detail
        en_name, zh_name = self.PROVIDER_NAMES[provider]
        en, zh = self.MESSAGES[kind]
        self.message_en = en.format(en=en_name, zh=zh_name)
        self.message_zh = zh.format(en=en_name, zh=zh_name)
        text = f"{provider} {kind}"
        if provider_code:
            text += f" ({provider_code})"
        if detail:
            text += f": {detail}"
        super().__init__(text)
