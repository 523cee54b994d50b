"""Publishing terms: versions, immutability, the demo plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.plans import service
from app.plans.models import Plan, PlanImmutable
from app.plans.terms_schema import TermsFileError, read_terms_file
from app.rules import calendar


def test_published_plan_cannot_be_changed(session, samples):
    plan = samples["xm-2023"]
    plan.name_en = "changed"
    with pytest.raises(PlanImmutable):
        session.flush()
    session.rollback()


def test_published_plan_cannot_be_deleted(session, samples):
    session.delete(samples["xm-2023"])
    with pytest.raises(PlanImmutable):
        session.flush()
    session.rollback()


def test_same_terms_twice_is_one_version(session):
    raw = read_terms_file(service.SAMPLE_FILE)
    first = service.publish(session, raw)
    second = service.publish(session, raw)
    assert first.created and not second.created
    assert first.plan.id == second.plan.id
    assert session.query(Plan).filter_by(code="xm-2023").count() == 1


def test_changed_terms_are_a_new_version(session):
    raw = read_terms_file(service.SAMPLE_FILE)
    v1 = service.publish(session, raw).plan
    raw["overall_cap_fen"] = 400_000_000
    v2 = service.publish(session, raw).plan
    assert (v1.version, v2.version) == (1, 2)
    assert v1.terms["overall_cap_fen"] == 450_000_000  # the old version is untouched
    assert service.get_plan(session, "xm-2023").id == v2.id


def test_invalid_terms_write_nothing(session):
    raw = read_terms_file(service.SAMPLE_FILE)
    raw["liabilities"][0]["deductible_group"] = "dental"
    with pytest.raises(TermsFileError) as info:
        service.publish(session, raw)
    assert "liabilities.0.deductible_group" in info.value.errors
    assert session.query(Plan).count() == 0


@pytest.mark.parametrize(
    "today",
    [date(2026, 11, 23), date(2027, 2, 28), date(2028, 2, 29), date(2030, 12, 31)],
)
def test_demo_plan_is_open_on_the_day_it_is_made(today):
    raw = read_terms_file(service.SAMPLE_FILE)
    doc = service.demo_document(service.validate_terms(raw), today)
    terms = service.terms_from_document(service.validate_terms(doc))
    noon_local = datetime(today.year, today.month, today.day, 4, 0, tzinfo=UTC)  # 12:00 +08
    assert calendar.window_state(terms, noon_local) == "open"
    assert terms.is_demo and "演示" in terms.name.zh and "Demo" in terms.name.en
    assert terms.coverage.start is not None and terms.coverage.start > today
    # the newborn cut-off moves with the window: still one year before cover starts
    newborn = terms.premium_rules[0]
    assert newborn.born_on_or_after is not None
    assert (terms.coverage.start - newborn.born_on_or_after).days == 365


def test_load_samples_is_idempotent_while_the_demo_is_open(session):
    first = service.publish_samples(session)
    again = service.publish_samples(session)
    assert [r.created for r in first] == [True, True]
    assert [r.created for r in again] == [False, False]


@pytest.mark.parametrize("today", [date(2026, 11, 23), date(2027, 3, 1), date(2031, 6, 15)])
def test_demo_cover_lasts_one_year(today):
    raw = read_terms_file(service.SAMPLE_FILE)
    doc = service.demo_document(service.validate_terms(raw), today)
    start = date.fromisoformat(doc["coverage"]["start"])
    end = date.fromisoformat(doc["coverage"]["end"])
    assert calendar.add_months(start, 12) - end == timedelta(days=1)
