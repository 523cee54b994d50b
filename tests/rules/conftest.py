"""Fixtures for the pure rules engine: the sample xm-2023 terms and variants of it.

Variants are built with `dataclasses.replace` so that a case can use small,
hand-checkable figures (e.g. a liability cap of 10,000 yuan) without a new file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import pytest

from app.plans.terms_schema import load_terms_file
from app.rules.terms import Liability, Terms, Tier

REPO_ROOT = Path(__file__).resolve().parents[2]
XM_2023_PATH = REPO_ROOT / "app" / "plans" / "terms" / "xm-2023.yaml"


class TermsVariants:
    """Builds variants of a base `Terms` (the base is never changed: it is frozen)."""

    def __init__(self, base: Terms) -> None:
        self.base = base

    def replace(self, terms: Terms | None = None, **changes: object) -> Terms:
        """Top-level fields, e.g. `replace(overall_cap_fen=30_000_00)`."""
        return dataclasses.replace(terms or self.base, **changes)

    def liability(self, code: str, terms: Terms | None = None, **changes: object) -> Terms:
        """One liability changed, e.g. `liability("in_catalog", annual_cap_fen=10_000_00)`."""
        source = terms or self.base
        assert source.liability(code) is not None, code
        liabilities: tuple[Liability, ...] = tuple(
            dataclasses.replace(item, **changes) if item.code == code else item
            for item in source.liabilities
        )
        return dataclasses.replace(source, liabilities=liabilities)

    def deductible(
        self, code: str, amounts: Mapping[Tier, int], terms: Terms | None = None
    ) -> Terms:
        """One deductible group with other per-tier amounts."""
        source = terms or self.base
        assert source.deductible_group(code) is not None, code
        groups = tuple(
            dataclasses.replace(group, amount_fen=dict(amounts)) if group.code == code else group
            for group in source.deductible_groups
        )
        return dataclasses.replace(source, deductible_groups=groups)


@pytest.fixture(scope="session")
def terms_document_and_terms() -> tuple[dict, Terms]:
    return load_terms_file(XM_2023_PATH)


@pytest.fixture(scope="session")
def terms(terms_document_and_terms: tuple[dict, Terms]) -> Terms:
    """The xm-2023 sample terms, loaded (and validated) once per session."""
    return terms_document_and_terms[1]


@pytest.fixture(scope="session")
def variants(terms: Terms) -> TermsVariants:
    return TermsVariants(terms)
