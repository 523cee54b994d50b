"""A verified member with a family on the roster, and the demo plan open today."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from app.core import clock
from app.members.consent_texts import SENSITIVE_PI
from tests.conftest import make_id_number

FATHER = ("陈建国", make_id_number("35020319680315011"))
MOTHER = ("林秀英", make_id_number("35020319700822022"))
SON = ("陈思远", make_id_number("35020320100506031"))
GRANDMA = ("陈阿婆", make_id_number("35020319450101002"))


def baby_id(born: date) -> str:
    return make_id_number(f"350203{born:%Y%m%d}042")


class Family:
    def __init__(self, client: Any, csrf: str) -> None:
        self.client = client
        self.csrf = csrf

    def post(self, url: str, body: Any, **headers: str) -> Any:
        return self.client.post(url, json=body, headers={"X-CSRF-Token": self.csrf, **headers})

    def add(self, relation: str, person: tuple[str, str], guardian_consent: bool = False) -> Any:
        return self.post(
            "/api/v1/me/persons",
            {
                "relation": relation,
                "name": person[0],
                "id_number": person[1],
                "guardian_consent": guardian_consent,
            },
        )

    def self_id(self) -> str:
        persons = self.client.get("/api/v1/me/persons").get_json()
        return next(p["id"] for p in persons if p["relation"] == "self")

    def declare(self, person_id: str, plan: str = "demo", **yes: bool) -> Any:
        conditions = self.client.get(f"/api/v1/plans/{plan}").get_json()["pre_existing_conditions"]
        answers = {c["code"]: bool(yes.get(c["code"])) for c in conditions}
        return self.post(
            f"/api/v1/me/persons/{person_id}/declarations",
            {"plan_code": plan, "answers": answers, "health_consent": True},
        )

    def order(self, person_ids: list[str], plan: str = "demo", key: str | None = None) -> Any:
        headers = {"Idempotency-Key": key} if key else {}
        return self.post("/api/v1/orders", {"plan_code": plan, "persons": person_ids}, **headers)


@pytest.fixture
def family(client, member_login, roster_person, samples) -> Family:
    today = clock.today("Asia/Shanghai")
    roster_person(*FATHER)
    roster_person(*MOTHER, balance_fen=8650)
    roster_person(*SON, insurance_type="resident")
    roster_person(*GRANDMA, insurance_type="resident")
    roster_person("陈小满", baby_id(today - timedelta(days=180)), insurance_type="resident")
    _member, csrf = member_login(client, "陈爸爸")
    fam = Family(client, csrf)
    fam.post(
        "/api/v1/me/consents",
        {"kind": SENSITIVE_PI.kind, "terms_version": SENSITIVE_PI.version, "granted": True},
    )
    resp = fam.post("/api/v1/me/real-name", {"name": FATHER[0], "id_number": FATHER[1]})
    assert resp.status_code == 200, resp.get_json()
    return fam
