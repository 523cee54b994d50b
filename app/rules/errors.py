"""Errors the engine raises for input it cannot judge (mapped to 422 at the edge)."""

from __future__ import annotations


class RuleInputError(ValueError):
    """`field` names the bad input (e.g. "expenses.2.liability")."""

    def __init__(self, field: str, code: str, message_en: str, message_zh: str) -> None:
        self.field = field
        self.code = code
        self.message_en = message_en
        self.message_zh = message_zh
        super().__init__(f"{field}: {message_en}")
