"""The city's basic medical insurance (BMI) roster, as delivered by the bureau."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime
from app.core.ids import new_id
from app.identity.types import Encrypted

INSURANCE_TYPES = ("employee", "resident")
ROSTER_STATUSES = ("normal", "suspended", "terminated")


class RosterEntry(Base):
    """One insured person. Name and ID number are encrypted; `id_index` (HMAC of the ID
    number) is how a person is found and what makes a re-import an update."""

    __tablename__ = "roster_entries"
    __table_args__ = (
        CheckConstraint("insurance_type IN ('employee', 'resident')", name="insurance_type"),
        CheckConstraint("status IN ('normal', 'suspended', 'terminated')", name="status"),
        CheckConstraint(
            "account_balance_fen IS NULL OR account_balance_fen >= 0", name="balance_non_negative"
        ),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    id_index: Mapped[str] = mapped_column(String(64), unique=True)
    name_index: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str] = mapped_column(Encrypted("roster_entries.id_number"))
    name: Mapped[str] = mapped_column(Encrypted("roster_entries.name"))
    insurance_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    city_code: Mapped[str] = mapped_column(String(6))
    # employees' personal-account balance (个人账户余额), fen; NULL for residents
    account_balance_fen: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
