"""Page a queryset the way every list does (API.md "Lists", SPEC GEN-05).

Counting stops at :data:`COUNT_LIMIT` rows (a page deep beyond it counts a little further): an
exact COUNT(*) over a million customers costs more than the whole page. Past the limit
``total`` is that bound and ``total_capped`` says so (the pager shows "共 10000+ 条").

A list that is usually huge may ask for an estimate first (``estimate=True``, PostgreSQL only):
when the planner expects at least :data:`ESTIMATE_MARGIN` times the limit, the total is the
limit, capped, without counting. A capped count still reads every row up to the limit, and a
search through a GIN index (trigrams, name bigrams) builds the bitmap of all its matches before
the first is counted: 33,000 for a two-character city name, ~26 ms, where planning takes ~1 ms.
The margin keeps a wrong estimate from showing "1000+" for a list that is really shorter.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

PAGE_SIZES = (10, 20, 50, 99)
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000  # 100M rows deep: past any real list, and its OFFSET stays far below 2^63
COUNT_LIMIT = 10_000
DEEP_PAGE = 100  # from this offset on, a page selects its ids first (see paginate)
ESTIMATE_MARGIN = 5  # an estimate replaces the count when it is this many times the limit


def clamp_page(page: object, page_size: object) -> tuple[int, int]:
    """Return (page, page_size) made safe: 1 ≤ page ≤ MAX_PAGE, 1 ≤ page_size ≤ MAX_PAGE_SIZE.

    Anything that is not a whole number (``"²"``, ``"abc"``, ``"2.5"``) is the default; a number
    out of range is the nearest bound (``page=99999999999999999999`` is the last page, empty)."""
    return _bounded(page, 1, 1, MAX_PAGE), _bounded(page_size, DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)


def _bounded(value: Any, default: int, low: int, high: int) -> int:
    if isinstance(value, bool):
        return default
    try:
        number = int(value or default)
    except (TypeError, ValueError, OverflowError):
        return default
    return min(max(number, low), high)


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    page_size: int
    total_capped: bool = False  # more rows than ``total`` (counting stopped there)

    @property
    def page_count(self) -> int:
        return max((self.total + self.page_size - 1) // self.page_size, 1)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count or self.total_capped

    def as_dict(self, serialize: Callable[[Any], Any] | None = None) -> dict[str, Any]:
        items = [serialize(item) for item in self.items] if serialize else self.items
        return {
            "items": items,
            "total": self.total,
            "total_capped": self.total_capped,
            "page": self.page,
            "page_size": self.page_size,
        }


def paginate(
    queryset: QuerySet[Any],
    *,
    page: object = 1,
    page_size: object = DEFAULT_PAGE_SIZE,
    count_limit: int | None = COUNT_LIMIT,
    estimate: bool = False,
) -> Page:
    """Return a :class:`Page` of ``queryset`` (one COUNT and one SELECT).

    The COUNT stops after ``max(count_limit, the rows up to this page)`` rows; ``count_limit=None``
    counts everything. With ``estimate`` the planner's row estimate is asked first and, when it
    is far past the limit, stands in for the COUNT (see the module's docstring)."""
    page, page_size = clamp_page(page, page_size)
    start = (page - 1) * page_size
    if count_limit is None:
        total, capped = queryset.count(), False
    elif estimate and estimated_rows(queryset) >= ESTIMATE_MARGIN * max(count_limit, start + page_size):
        total, capped = max(count_limit, start + page_size), True
    else:
        limit = max(count_limit, start + page_size)
        total = queryset.order_by()[: limit + 1].count()
        total, capped = min(total, limit), total > limit
    if start < DEEP_PAGE or not _plain(queryset):
        items = list(queryset[start : start + page_size])
    else:  # a deep page: skip rows on the ids alone, then load (and join) just this page's rows
        ids = list(queryset.values_list("pk", flat=True)[start : start + page_size])
        rows = {row.pk: row for row in _rows_of(queryset, ids)}
        items = [rows[pk] for pk in ids if pk in rows]
    return Page(items=items, total=total, page=page, page_size=page_size, total_capped=capped)


def estimated_rows(queryset: QuerySet[Any]) -> float:
    """The planner's estimate of the rows ``queryset`` matches (PostgreSQL; 0 elsewhere, which
    makes :func:`paginate` count). Planning only, no row is read."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        (plan,) = cursor.fetchone()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return float(plan[0]["Plan"]["Plan Rows"])


def _rows_of(queryset: QuerySet[Any], ids: Iterable[Any]) -> QuerySet[Any]:
    """The rows of ``ids`` with ``queryset``'s joins, prefetches and deferred fields but not its
    filters, which chose the ids: testing a data scope of hundreds of owners again on 20 rows
    costs more than reading them. The model's default manager keeps the tenant filter."""
    rows = queryset.model._default_manager.filter(pk__in=ids)
    rows.query.select_related = queryset.query.select_related
    rows.query.deferred_loading = queryset.query.deferred_loading
    rows._prefetch_related_lookups = queryset._prefetch_related_lookups  # type: ignore[attr-defined]
    return rows


def _plain(queryset: QuerySet[Any]) -> bool:
    """A queryset whose rows are one per primary key (no grouping, distinct or annotations)."""
    query = queryset.query
    return not (query.group_by or query.distinct or query.annotations or query.combinator)
