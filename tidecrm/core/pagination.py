"""Page a queryset the way every list does (API.md "Lists", SPEC GEN-05)."""

from dataclasses import dataclass

PAGE_SIZES = (10, 20, 50, 99)
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def clamp_page(page, page_size):
    """Return (page, page_size) made safe: page ≥ 1, 1 ≤ page_size ≤ MAX_PAGE_SIZE."""
    try:
        page = max(int(page or 1), 1)
    except (TypeError, ValueError):
        page = 1
    try:
        page_size = int(page_size or DEFAULT_PAGE_SIZE)
    except (TypeError, ValueError):
        page_size = DEFAULT_PAGE_SIZE
    return page, min(max(page_size, 1), MAX_PAGE_SIZE)


@dataclass
class Page:
    items: list
    total: int
    page: int
    page_size: int

    @property
    def page_count(self):
        return max((self.total + self.page_size - 1) // self.page_size, 1)

    @property
    def has_previous(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.page_count

    def as_dict(self, serialize=None):
        items = [serialize(item) for item in self.items] if serialize else self.items
        return {"items": items, "total": self.total, "page": self.page, "page_size": self.page_size}


def paginate(queryset, *, page=1, page_size=DEFAULT_PAGE_SIZE):
    """Return a :class:`Page` of ``queryset`` (one COUNT and one SELECT)."""
    page, page_size = clamp_page(page, page_size)
    total = queryset.count()
    start = (page - 1) * page_size
    items = list(queryset[start : start + page_size])
    return Page(items=items, total=total, page=page, page_size=page_size)
