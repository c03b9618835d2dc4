"""Computes shop experience scores (店铺体验分) from a window of per-order facts, all shops at once.

The method, in the order it runs (every step is a whole-array numpy operation; nothing
loops over orders or shops):

1. Group orders by shop. A shop's orders in the window (unweighted count) decide whether
   it is scored: fewer than `min_orders` → band NEW, no score, not ranked.
2. Indicator value per shop = sum(w·x) / sum(w) over the shop's orders where the fact x
   applies (is not NaN), w = the order's recency weight (`ScoreSettings.day_weights`).
   For 0/1 facts that is a weighted rate, for hours a weighted mean. A shop with no
   applicable order for an indicator has no value for it.
3. Percentile per indicator among the scored shops of the same category that have a
   value: shops ordered from worst to best, ties (values equal to 9 decimals, so float
   noise cannot split them) share their midrank, percentile = (midrank - 1) / (n - 1),
   0 for the worst and 1 for the best; a shop alone in its ranking gets 0.5. With
   `perfect_is_top`, a shop at the indicator's ideal value gets 1.
4. Indicator score = score_min + (score_max - score_min) × percentile ** percentile_exponent
   (3.0–5.0; the default exponent 0.5 is the band mapping explained in `ScoreSettings`).
5. Dimension score = weighted mean of its indicators' scores (`indicator_weights`), over
   the indicators the shop has a value for: missing data neither helps nor hurts, and no
   invented number appears on the merchant page. A dimension with no data at all is
   left out of the total and the other dimensions' weights are renormalised. The product
   dimension always has data (quality returns apply to every order), so every scored
   shop has a total.
6. Total = weighted sum of dimension scores (`dimension_weights`). Kept at full
   precision; shown, and banded, rounded half up to 2 decimals (`display_score`).

Categories are independent: scoring one category's facts alone gives its shops exactly
the scores a full run gives them, which is how an on-demand recompute stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from laotie.trust.score.core.facts import OrderFacts
from laotie.trust.score.core.indicators import BY_NAME, DIMENSIONS, INDICATORS, Direction, Indicator
from laotie.trust.score.core.settings import BAND_CODES, DEFAULT_SETTINGS, Band, ScoreSettings

TIE_DECIMALS = 9
"""Indicator values are compared at this many decimals when ranking: far finer than one
order can move a rate or a mean, far coarser than summation noise."""

_CODE = {band: code for code, band in enumerate(BAND_CODES)}
_DIMENSION_OF = np.array([DIMENSIONS.index(i.dimension) for i in INDICATORS])
_MEMBER = (_DIMENSION_OF[None, :] == np.arange(len(DIMENSIONS))[:, None]).astype(np.float64)  # (D, K)


@dataclass(frozen=True)
class IndicatorScore:
    """One indicator of one shop, as the merchant page shows it.

    ``value``: the raw recency-weighted rate (0–1) or mean (hours); None if no order of
    the shop's window applies. ``orders_counted``: orders the value is based on.
    ``percentile`` (0–1, 1 = best in category) and ``score`` (3.0–5.0): None for a new
    shop or without a value. ``weight``: this indicator's share of the total for this
    shop (0 when it does not count), so the shortfalls (score_max - score) × weight add
    up to score_max - total. ``peers``: shops it was ranked among, itself included.
    """

    name: str
    dimension: str
    direction: Direction
    value: float | None
    orders_counted: int
    percentile: float | None
    score: float | None
    weight: float
    peers: int

    @property
    def indicator(self) -> Indicator:
        """The catalogue entry: labels, what it applies to, cause and advice texts."""
        return BY_NAME[self.name]


@dataclass(frozen=True)
class ShopScore:
    """One shop's score: total, band, dimensions and every indicator.

    ``total`` is exact; ``total_display`` is what pages show (2 decimals, half up) and
    what the band was judged on. For a new shop both are None and band is NEW;
    indicator values are still filled so the shop can see where it stands.
    """

    shop_id: int
    category_id: int
    orders_in_window: int
    total: float | None
    total_display: float | None
    band: Band
    dimensions: Mapping[str, float | None]
    indicators: tuple[IndicatorScore, ...]

    def indicator(self, name: str) -> IndicatorScore:
        for item in self.indicators:
            if item.name == name:
                return item
        raise KeyError(name)


FloatMatrix = npt.NDArray[np.float64]
IntMatrix = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class ScoreTable:
    """Every shop's score as columns, for the daily job (one row per shop, sorted by shop_id).

    Per-shop columns have shape (shops,), per-indicator ones (shops, len(INDICATORS)) in
    `INDICATORS` order, per-dimension ones (shops, len(DIMENSIONS)). NaN where
    `ShopScore` has None. `band_code` indexes `BAND_CODES` (0 new, 1 差, 2 良, 3 优).
    Use `shop(shop_id)` or `shops()` for `ShopScore` objects.
    """

    settings: ScoreSettings
    shop_id: npt.NDArray[np.int64]
    category_id: npt.NDArray[np.int64]
    orders: npt.NDArray[np.int64]
    scored: npt.NDArray[np.bool_]
    total: npt.NDArray[np.float64]
    total_display: npt.NDArray[np.float64]
    band_code: npt.NDArray[np.int8]
    dimension_score: FloatMatrix
    value: FloatMatrix
    orders_counted: IntMatrix
    percentile: FloatMatrix
    indicator_score: FloatMatrix
    weight: FloatMatrix
    peers: IntMatrix

    def __len__(self) -> int:
        return len(self.shop_id)

    def index_of(self, shop_id: int) -> int:
        """Row of a shop; KeyError if it had no order in the window."""
        i = int(np.searchsorted(self.shop_id, shop_id))
        if i == len(self.shop_id) or self.shop_id[i] != shop_id:
            raise KeyError(shop_id)
        return i

    def band(self, shop_id: int) -> Band:
        return BAND_CODES[int(self.band_code[self.index_of(shop_id)])]

    def shop(self, shop_id: int) -> ShopScore:
        """One shop's `ShopScore`; KeyError if it had no order in the window."""
        i = self.index_of(shop_id)
        return _build(0, _Lists.of(self, slice(i, i + 1)))

    def shops(self) -> Iterator[ShopScore]:
        """Every shop's `ShopScore`, in shop_id order (converts columns to lists once)."""
        lists = _Lists.of(self, slice(None))
        for j in range(len(self)):
            yield _build(j, lists)


def _build(j: int, c: _Lists) -> ShopScore:
    scored = c.scored[j]
    indicators = tuple(
        IndicatorScore(
            name=ind.name, dimension=ind.dimension, direction=ind.direction,
            value=_opt(c.value[j][k]), orders_counted=c.counted[j][k],
            percentile=_opt(c.percentile[j][k]), score=_opt(c.score[j][k]),
            weight=c.weight[j][k], peers=c.peers[j][k])
        for k, ind in enumerate(INDICATORS))
    return ShopScore(
        shop_id=c.shop_id[j], category_id=c.category_id[j], orders_in_window=c.orders[j],
        total=_opt(c.total[j]) if scored else None,
        total_display=_opt(c.total_display[j]) if scored else None,
        band=BAND_CODES[c.band_code[j]],
        dimensions={d: _opt(c.dimension[j][n]) for n, d in enumerate(DIMENSIONS)},
        indicators=indicators)


@dataclass
class _Lists:
    """Columns as Python lists: one bulk conversion instead of a numpy scalar per field."""

    shop_id: list[int]
    category_id: list[int]
    orders: list[int]
    scored: list[bool]
    total: list[float]
    total_display: list[float]
    band_code: list[int]
    dimension: list[list[float]]
    value: list[list[float]]
    counted: list[list[int]]
    percentile: list[list[float]]
    score: list[list[float]]
    weight: list[list[float]]
    peers: list[list[int]]

    @classmethod
    def of(cls, t: ScoreTable, sel: slice) -> _Lists:
        return cls(
            shop_id=t.shop_id[sel].tolist(), category_id=t.category_id[sel].tolist(),
            orders=t.orders[sel].tolist(), scored=t.scored[sel].tolist(), total=t.total[sel].tolist(),
            total_display=t.total_display[sel].tolist(), band_code=t.band_code[sel].tolist(),
            dimension=t.dimension_score[sel].tolist(), value=t.value[sel].tolist(),
            counted=t.orders_counted[sel].tolist(), percentile=t.percentile[sel].tolist(),
            score=t.indicator_score[sel].tolist(), weight=t.weight[sel].tolist(), peers=t.peers[sel].tolist())


def compute_scores(facts: OrderFacts, settings: ScoreSettings = DEFAULT_SETTINGS) -> ScoreTable:
    """Score every shop that has an order in `facts` (see the module docstring for the method).

    Raises ValueError if an order is older than the window or a shop appears under two
    categories: both mean the SQL gathering the facts is wrong, and scoring anyway would
    publish wrong scores.
    """
    if len(facts) and int(facts.day_age.max()) >= settings.window_days:
        last = settings.window_days - 1
        raise ValueError(f"day_age: orders must be within the {settings.window_days}-day window (0..{last})")
    shop_id, first, inverse = np.unique(facts.shop_id, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)  # numpy 2 keeps the input's shape; make sure it is flat
    category_id = facts.category_id[first]
    mismatch = np.flatnonzero(facts.category_id != category_id[inverse])
    if mismatch.size:
        row = int(mismatch[0])
        raise ValueError(f"category_id: shop {int(facts.shop_id[row])} appears under categories "
                         f"{int(category_id[inverse[row]])} and {int(facts.category_id[row])}")
    n, k_count = len(shop_id), len(INDICATORS)
    orders = np.bincount(inverse, minlength=n).astype(np.int64)
    scored = orders >= settings.min_orders
    w = settings.day_weights()[facts.day_age]

    value = np.full((n, k_count), np.nan)
    counted = np.zeros((n, k_count), dtype=np.int64)
    percentile = np.full((n, k_count), np.nan)
    peers = np.zeros((n, k_count), dtype=np.int64)
    for k, ind in enumerate(INDICATORS):  # ten indicators; each step below is vectorised
        x = getattr(facts, ind.column)
        applies = ~np.isnan(x)
        den = np.bincount(inverse, weights=np.where(applies, w, 0.0), minlength=n)
        num = np.bincount(inverse, weights=w * np.where(applies, x, 0.0), minlength=n)
        counted[:, k] = np.bincount(inverse[applies], minlength=n)
        has_value = counted[:, k] > 0
        value[has_value, k] = num[has_value] / den[has_value]
        key = np.round(value[:, k], TIE_DECIMALS)
        ranked = scored & has_value
        percentile[:, k], peers[:, k] = _category_percentiles(
            category_id, key if ind.direction is Direction.HIGHER_IS_BETTER else -key, ranked)
        if settings.perfect_is_top and ind.ideal is not None:
            percentile[ranked & (key == ind.ideal), k] = 1.0

    span = settings.score_max - settings.score_min
    indicator_score = settings.score_min + span * np.power(percentile, settings.percentile_exponent)  # NaN stays NaN
    has = ~np.isnan(indicator_score)
    iw = np.array([settings.indicator_weights[i.name] for i in INDICATORS])
    wk = has * iw  # (n, K): weight of each indicator that counts for the shop
    dim_den = wk @ _MEMBER.T  # (n, D)
    dim_num = (np.where(has, indicator_score, 0.0) * iw) @ _MEMBER.T
    dim_has = dim_den > 0
    dimension_score = np.full_like(dim_den, np.nan)
    dimension_score[dim_has] = dim_num[dim_has] / dim_den[dim_has]

    dw = np.array([settings.dimension_weights[d] for d in DIMENSIONS])
    tw = dim_has * dw  # (n, D)
    tot_den = tw.sum(axis=1)
    total = np.full(n, np.nan)
    ok = tot_den > 0
    total[ok] = (np.where(dim_has, dimension_score, 0.0) * dw).sum(axis=1)[ok] / tot_den[ok]
    dim_share = np.divide(tw, tot_den[:, None], out=np.zeros_like(tw), where=ok[:, None])
    ind_share = np.divide(wk, dim_den[:, _DIMENSION_OF], out=np.zeros_like(wk), where=dim_has[:, _DIMENSION_OF])
    weight = dim_share[:, _DIMENSION_OF] * ind_share

    total_display = np.floor(total * 100 + 0.5 + 1e-9) / 100  # same arithmetic as display_score
    band_code = np.select(
        [~scored, total_display >= settings.excellent_from, total_display >= settings.good_from],
        [_CODE[Band.NEW], _CODE[Band.EXCELLENT], _CODE[Band.GOOD]], _CODE[Band.POOR]).astype(np.int8)
    return ScoreTable(
        settings=settings, shop_id=shop_id.astype(np.int64), category_id=category_id, orders=orders,
        scored=scored, total=total, total_display=total_display, band_code=band_code,
        dimension_score=dimension_score, value=value, orders_counted=counted, percentile=percentile,
        indicator_score=indicator_score, weight=weight, peers=peers)


def _category_percentiles(
    category_id: npt.NDArray[np.int64], better: npt.NDArray[np.float64], ranked: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Midrank percentile of `better` (higher = better) within each category, over `ranked` shops.

    One lexsort by (category, value) puts every category's shops in worst-to-best order;
    run boundaries then give each shop its position in its category and each run of
    equal values its first and last position, whose mean is the midrank.
    """
    n = len(category_id)
    percentile = np.full(n, np.nan)
    peers = np.zeros(n, dtype=np.int64)
    idx = np.flatnonzero(ranked)
    m = idx.size
    if m == 0:
        return percentile, peers
    c, x = category_id[idx], better[idx]
    order = np.lexsort((x, c))
    cs, xs = c[order], x[order]
    new_cat = np.ones(m, dtype=bool)
    new_cat[1:] = cs[1:] != cs[:-1]
    new_run = new_cat.copy()
    new_run[1:] |= xs[1:] != xs[:-1]
    cat_start = np.flatnonzero(new_cat)
    cat_size = np.diff(np.append(cat_start, m))
    cat_of = np.cumsum(new_cat) - 1
    pos = np.arange(m) - cat_start[cat_of]
    run_start = np.flatnonzero(new_run)
    run_end = np.append(run_start[1:], m) - 1
    run_of = np.cumsum(new_run) - 1
    midrank = (pos[run_start] + pos[run_end])[run_of] / 2.0  # 0-based
    size = cat_size[cat_of]
    p = np.where(size > 1, midrank / np.maximum(size - 1, 1), 0.5)
    percentile[idx[order]] = p
    peers[idx[order]] = size
    return percentile, peers


def _opt(x: float) -> float | None:
    return None if x != x else x  # NaN is the only value unequal to itself
