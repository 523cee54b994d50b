"""Development stand-in for the medical insurance bureau's personal-account deduction
(个人账户家庭共济扣款), implementing `app.payments.personal_account.BureauClient`.

The roster is the bureau's own data here, so the stand-in deducts from the roster's
`account_balance_fen` with the caller's session: the deduction commits or rolls back
with the payment and the policies written in the same transaction. It keeps the rules
of a real peer:

- the payer's roster row is locked (`SELECT … FOR UPDATE`) before the balance is read,
  so concurrent deductions queue and can never overdraw (and the CHECK
  `account_balance_fen >= 0` on roster_entries backs this up);
- each deduction is recorded as a PaymentEvent (provider `bureau`, source `standin`,
  out_trade_no = request_no, event_id = deduction_no) with a fingerprint of the body;
  the same request_no with the same body returns the recorded result without deducting
  again, with another body it is refused (`request_mismatch`). The record is looked up
  after the lock, so a concurrent retry of the same request waits and then replays;
- a refund puts money back on the account once per refund_no (event `credited`,
  event_id = refund_no), never more in all than the deduction;
- no ID number or name is written to the record (the payer as a roster id, the
  beneficiaries as a hash).

No public views: the member's own balance is shown by the payment API.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import clock
from app.core.ids import new_id
from app.identity import crypto
from app.payments.models import PaymentEvent
from app.payments.personal_account import BureauError, DeductResult, RefundResult
from app.roster import service as roster
from app.roster.models import RosterEntry

EVENT_PROVIDER = "bureau"
EVENT_SOURCE = "standin"
DEDUCTED = "deducted"
CREDITED = "credited"


def fingerprint(payer_entry_id: str, amount_fen: int, beneficiaries: list[str]) -> str:
    indexes = sorted(crypto.id_index(number) for number in beneficiaries)
    text = json.dumps([payer_entry_id, amount_fen, indexes], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class BureauStandin:
    """The bureau, played by the roster table in the caller's transaction."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def _account(self, payer_id_number: str, lock: bool) -> RosterEntry:
        entry = roster.find_by_id_number(self.db, payer_id_number)
        if entry is None:
            raise BureauError("payer_not_found")
        if lock:
            locked = self.db.scalar(
                select(RosterEntry)
                .where(RosterEntry.id == entry.id)
                .with_for_update()
                .execution_options(populate_existing=True)  # the balance as committed now
            )
            assert locked is not None
            entry = locked
        return entry

    @staticmethod
    def _check_open(entry: RosterEntry) -> int:
        if (
            entry.insurance_type != "employee"
            or entry.status != "normal"
            or entry.account_balance_fen is None
        ):
            raise BureauError("account_not_available")
        return entry.account_balance_fen

    def balance(self, payer_id_number: str) -> int:
        return self._check_open(self._account(payer_id_number, lock=False))

    def deduct(
        self, request_no: str, payer_id_number: str, amount_fen: int, beneficiaries: list[str]
    ) -> DeductResult:
        entry = self._account(payer_id_number, lock=True)
        digest = fingerprint(entry.id, amount_fen, beneficiaries)
        done = self._record(DEDUCTED, out_trade_no=request_no)
        if done is not None:
            record = json.loads(done.detail)
            if record["fp"] != digest:
                raise BureauError("request_mismatch", f"request_no {request_no}")
            return DeductResult(request_no, record["deduction_no"], record["balance_after_fen"])
        balance = self._check_open(entry)
        if amount_fen <= 0:
            raise BureauError("invalid_amount")
        if not beneficiaries:
            raise BureauError("beneficiary_not_found", "no beneficiary")
        for number in beneficiaries:
            if roster.find_by_id_number(self.db, number) is None:
                raise BureauError("beneficiary_not_found")
        if balance < amount_fen:
            raise BureauError("insufficient_balance", balance_fen=balance)
        entry.account_balance_fen = balance - amount_fen
        entry.updated_at = clock.now()
        deduction_no = "D" + new_id()
        record = {
            "fp": digest,
            "payer": entry.id,
            "amount_fen": amount_fen,
            "deduction_no": deduction_no,
            "balance_after_fen": entry.account_balance_fen,
        }
        self.db.add(
            PaymentEvent(
                provider=EVENT_PROVIDER,
                source=EVENT_SOURCE,
                event_id=deduction_no,
                out_trade_no=request_no,
                outcome=DEDUCTED,
                detail=json.dumps(record, separators=(",", ":")),
                received_at=clock.now(),
            )
        )
        self.db.flush()
        return DeductResult(request_no, deduction_no, entry.account_balance_fen)

    def refund(self, request_no: str, refund_no: str, amount_fen: int) -> RefundResult:
        deducted = self._record(DEDUCTED, out_trade_no=request_no)
        if deducted is None:
            raise BureauError("deduction_not_found", f"request_no {request_no}")
        original = json.loads(deducted.detail)
        entry = self.db.scalar(
            select(RosterEntry)
            .where(RosterEntry.id == original["payer"])
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if entry is None or entry.account_balance_fen is None:
            raise BureauError("account_not_available")
        done = self._record(CREDITED, event_id=refund_no)
        if done is not None:
            record = json.loads(done.detail)
            if (done.out_trade_no, record["amount_fen"]) != (request_no, amount_fen):
                raise BureauError("request_mismatch", f"refund_no {refund_no}")
            return RefundResult(refund_no, record["balance_after_fen"])
        if amount_fen <= 0:
            raise BureauError("invalid_amount")
        credited = sum(
            json.loads(row.detail)["amount_fen"]
            for row in self.db.scalars(
                select(PaymentEvent).where(
                    PaymentEvent.provider == EVENT_PROVIDER,
                    PaymentEvent.outcome == CREDITED,
                    PaymentEvent.out_trade_no == request_no,
                )
            )
        )
        if credited + amount_fen > original["amount_fen"]:
            raise BureauError("refund_exceeds_deduction")
        entry.account_balance_fen += amount_fen
        entry.updated_at = clock.now()
        record = {"amount_fen": amount_fen, "balance_after_fen": entry.account_balance_fen}
        self.db.add(
            PaymentEvent(
                provider=EVENT_PROVIDER,
                source=EVENT_SOURCE,
                event_id=refund_no,
                out_trade_no=request_no,
                outcome=CREDITED,
                detail=json.dumps(record, separators=(",", ":")),
                received_at=clock.now(),
            )
        )
        self.db.flush()
        return RefundResult(refund_no, entry.account_balance_fen)

    def _record(
        self, outcome: str, out_trade_no: str | None = None, event_id: str | None = None
    ) -> PaymentEvent | None:
        query = select(PaymentEvent).where(
            PaymentEvent.provider == EVENT_PROVIDER, PaymentEvent.outcome == outcome
        )
        if out_trade_no is not None:
            query = query.where(PaymentEvent.out_trade_no == out_trade_no)
        if event_id is not None:
            query = query.where(PaymentEvent.event_id == event_id)
        return self.db.scalar(query)
