"""Money is integer fen; these helpers format and apportion it without floats."""

from __future__ import annotations


def yuan(fen: int) -> str:
    """Format fen as yuan: 12345 -> '123.45'."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def parse_yuan(text: str) -> int:
    """Parse '123.45' (or '123') into fen; raises ValueError on anything else."""
    text = text.strip()
    if not text or text.startswith(("+", "-")):
        raise ValueError("not an amount")
    whole, _, frac = text.partition(".")
    if not whole.isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
        raise ValueError("not an amount")
    return int(whole) * 100 + int((frac + "00")[:2])


def rate_of(amount: int, bps: int) -> int:
    """A basis-point share of an amount, rounded half up."""
    return (amount * bps + 5000) // 10000
