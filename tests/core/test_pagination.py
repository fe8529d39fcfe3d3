"""core.pagination: the capped count (共 N+ 条) and deep pages that select their ids first."""

from django.template.loader import render_to_string
from django.test import RequestFactory

from tidecrm.core import pagination
from tidecrm.core.models import TimelineEvent
from tidecrm.core.pagination import Page, paginate


def _events(tenant, n):
    TimelineEvent.objects.bulk_create(
        TimelineEvent(tenant=tenant, verb="test", object_type="test", object_id=i) for i in range(n)
    )
    return TimelineEvent.objects.filter(verb="test").order_by("object_id")


def test_count_is_exact_up_to_the_limit(bound):
    events = _events(bound.tenant, 12)

    page = paginate(events, page=1, page_size=5, count_limit=12)

    assert (page.total, page.total_capped, page.page_count) == (12, False, 3)
    assert page.as_dict()["total_capped"] is False


def test_count_stops_at_the_limit_and_says_so(bound):
    events = _events(bound.tenant, 12)

    page = paginate(events, page=1, page_size=5, count_limit=10)

    assert (page.total, page.total_capped) == (10, True)
    assert page.has_next
    assert [e.object_id for e in page.items] == [0, 1, 2, 3, 4]


def test_a_page_beyond_the_limit_still_counts_its_neighbours(bound):
    events = _events(bound.tenant, 12)

    page = paginate(events, page=2, page_size=5, count_limit=4)  # rows 5..9: counts up to 10 (+1)

    assert (page.total, page.total_capped, page.has_next) == (10, True, True)
    last = paginate(events, page=3, page_size=5, count_limit=4)
    assert (last.total, last.total_capped, last.has_next) == (12, False, False)
    assert [e.object_id for e in last.items] == [10, 11]


def test_no_limit_counts_everything(bound):
    events = _events(bound.tenant, 12)

    assert paginate(events, page_size=5, count_limit=None).total == 12


def test_deep_pages_select_ids_first_and_keep_the_order(bound, monkeypatch):
    events = _events(bound.tenant, 30).order_by("-object_id")
    monkeypatch.setattr(pagination, "DEEP_PAGE", 10)

    page = paginate(events, page=3, page_size=7)  # offset 14 >= 10: ids first

    assert [e.object_id for e in page.items] == [15, 14, 13, 12, 11, 10, 9]
    assert page.total == 30


def test_the_pager_shows_a_capped_total_with_a_plus():
    request = RequestFactory().get("/customers/")
    capped = Page(items=[], total=10000, page=1, page_size=20, total_capped=True)
    exact = Page(items=[], total=42, page=1, page_size=20)

    html = render_to_string("components/pagination.html", {"page": capped, "request": request})
    assert "共 10000+ 条" in html
    html = render_to_string("components/pagination.html", {"page": exact, "request": request})
    assert "共 42 条" in html


def test_a_deep_page_keeps_the_joins_prefetches_and_tenant(
    enterprise, monkeypatch, django_assert_num_queries
):
    from tests import factories
    from tidecrm.core.tenancy import tenant_context
    from tidecrm.org.models import Employee

    for i in range(6):
        factories.employee(enterprise, name=f"员工{i}")
    monkeypatch.setattr(pagination, "DEEP_PAGE", 2)
    with tenant_context(enterprise.tenant):
        people = (
            Employee.objects.filter(name__startswith="员工")
            .select_related("tenant")
            .prefetch_related("department_links")
            .order_by("name")
        )
        with django_assert_num_queries(4):  # count, ids, rows (joined), the prefetch
            page = paginate(people, page=2, page_size=3)
            names = [
                (person.name, person.tenant.name, list(person.department_links.all()))
                for person in page.items
            ]
    assert [name for name, _tenant, _departments in names] == ["员工3", "员工4", "员工5"]
    assert {tenant for _name, tenant, _departments in names} == {enterprise.tenant.name}


def test_page_and_page_size_are_clamped_and_garbage_is_the_default():
    from tidecrm.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, clamp_page

    assert clamp_page("3", "50") == (3, 50)
    assert clamp_page(None, None) == (1, DEFAULT_PAGE_SIZE)
    assert clamp_page("0", "0") == (1, 1)
    assert clamp_page("-4", "-1") == (1, 1)
    assert clamp_page("99999999999999999999", "99999999999999999999") == (MAX_PAGE, MAX_PAGE_SIZE)
    assert clamp_page(2**63, 10**30) == (MAX_PAGE, MAX_PAGE_SIZE)
    for garbage in ("²", "abc", "1.5", "1e9", "9" * 5000, float("inf"), True, [1]):
        assert clamp_page(garbage, garbage) == (1, DEFAULT_PAGE_SIZE), garbage
    assert clamp_page("٣", " 7 ") == (3, 7)  # Unicode decimal digits are digits to int()


def test_the_deepest_page_is_empty_not_an_overflow(bound):
    events = _events(bound.tenant, 3)

    page = paginate(events, page="99999999999999999999", page_size=100)

    assert (page.items, page.total, page.page) == ([], 3, pagination.MAX_PAGE)


def test_a_far_larger_estimate_stands_in_for_the_count(bound, monkeypatch, django_assert_num_queries):
    events = _events(bound.tenant, 12)
    monkeypatch.setattr(pagination, "estimated_rows", lambda queryset: 5 * 10)

    with django_assert_num_queries(1):  # the page only: no COUNT
        page = paginate(events, page=1, page_size=5, count_limit=10, estimate=True)

    assert (page.total, page.total_capped, len(page.items)) == (10, True, 5)


def test_an_estimate_near_the_limit_counts_exactly(bound, monkeypatch):
    events = _events(bound.tenant, 12)
    monkeypatch.setattr(pagination, "estimated_rows", lambda queryset: 5 * 10 - 1)

    page = paginate(events, page=1, page_size=5, count_limit=10, estimate=True)

    assert (page.total, page.total_capped) == (10, True)  # counted: 11 rows seen, capped at 10
    assert paginate(events, page=1, page_size=5, count_limit=20, estimate=True).total == 12


def test_estimated_rows_asks_the_planner(bound):
    from django.db import connection

    events = _events(bound.tenant, 12)
    estimate = pagination.estimated_rows(events)

    if connection.vendor == "postgresql":
        assert estimate >= 1  # the planner never estimates fewer than one row
    else:
        assert estimate == 0  # SQLite has no estimate: paginate counts
