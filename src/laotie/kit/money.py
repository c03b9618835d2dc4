"""Money is integer fen; these helpers format and apportion it without floats."""

from __future__ import annotations

from collections.abc import Sequence


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


def split_exact(amount: int, weights: Sequence[int]) -> list[int]:
    """Split `amount` fen over parts in proportion to `weights`, exactly: the parts add up to `amount`.

    Largest remainder: each part gets the floor of its exact share, and the fen left over go one
    each to the parts with the largest remainders, ties to the earlier part. The one helper for
    every split of money — a discount over lines, a commission over parties, a refund over
    funders. Weights are ≥ 0 with a positive sum; `amount` may be negative (a reversal), in
    which case the split is the negation of splitting its absolute value, so a reversal undoes
    its original to the fen.
    """
    if amount < 0:
        return [-x for x in split_exact(-amount, weights)]
    whole = sum(weights)
    if whole <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative with a positive sum")
    shares = [amount * w // whole for w in weights]
    left = amount - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % whole), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares
