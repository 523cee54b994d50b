"""Money is integer fen; ratios are integer basis points (1 bp = 0.01 %).

THE rounding rule of the service lives here and only here: applying a ratio to
an amount rounds DOWN to the whole fen (floor). A member is never shown a
figure that the scheme would not pay to the fen.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100
BP_PER_UNIT = 10_000


class MoneyError(ValueError):
    """A value that is not a valid amount of money."""


def apply_ratio(amount_fen: int, ratio_bp: int) -> int:
    """floor(amount × ratio) in fen. Both arguments are non-negative integers."""
    if amount_fen < 0 or ratio_bp < 0:
        raise MoneyError("amount and ratio must be non-negative")
    return (amount_fen * ratio_bp) // BP_PER_UNIT


def yuan_to_fen(value: str | int | Decimal) -> int:
    """Parse a yuan amount written with at most two decimals ("129", "99.00")."""
    if isinstance(value, bool):
        raise MoneyError(f"not an amount: {value!r}")
    try:
        dec = Decimal(str(value))
    except InvalidOperation as exc:
        raise MoneyError(f"not an amount: {value!r}") from exc
    if not dec.is_finite():
        raise MoneyError(f"not an amount: {value!r}")
    fen = dec * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise MoneyError(f"more than two decimals: {value!r}")
    return int(fen)


def fen_to_yuan_str(fen: int, *, always_decimals: bool = False) -> str:
    """12000_00 -> "12,000"; 12000_50 -> "12,000.50" (two decimals when needed)."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), FEN_PER_YUAN)
    text = f"{whole:,}"
    if part or always_decimals:
        text += f".{part:02d}"
    return sign + text


def ratio_to_percent_str(ratio_bp: int) -> str:
    """8000 -> "80%"; 8050 -> "80.5%"."""
    pct = (Decimal(ratio_bp) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    return f"{pct:f}%"
