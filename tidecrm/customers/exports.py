"""Customer export (CUST-20, GEN-06): the xlsx of one customer view, as the caller sees it.

The rows are exactly :func:`selectors.customer_list` (same view, filters, visibility and order);
the contact fields go through :func:`selectors.masker` / :func:`selectors.shown_contact`, so the
pool, the recycle bin and everything of an employee under data protection (CUST-15) are masked
in the file as on the screen. Follow-up records are not exported (CUST-20 "不包含跟进记录").

Primary contacts and tags are read per chunk of 2,000 customers (two queries each), never per
row: an export costs the same handful of queries for 3 customers or 30,000.
"""

from itertools import islice

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidecrm.core import exports
from tidecrm.core.permissions import check

from . import selectors
from .models import Contact, Customer, CustomerTag

State = Customer.State
# The file (and sheet) name of each view's export.
NAMES = {
    "mine": gettext_lazy("我的客户"),
    "collaborating": gettext_lazy("我参与的客户"),
    "team": gettext_lazy("团队客户"),
    "all": gettext_lazy("全部客户"),
    "pool": gettext_lazy("公海客户"),
    "bin": gettext_lazy("客户回收站"),
}


def _shown(field):
    return lambda customer: customer.primary_shown.get(field, "")


COLUMNS = [
    (gettext_lazy("客户名称"), "name"),
    (gettext_lazy("客户类型"), lambda customer: customer.get_kind_display()),
    (gettext_lazy("首要联系人"), lambda customer: customer.primary.name if customer.primary else ""),
    (gettext_lazy("手机号"), _shown("mobile")),
    (gettext_lazy("邮箱"), _shown("email")),
    ("QQ", _shown("qq")),
    (gettext_lazy("微信"), _shown("wechat")),
    (
        gettext_lazy("跟进人"),
        lambda customer: customer.owner.name if customer.state == State.OWNED and customer.owner_id else "",
    ),
    (gettext_lazy("客户进展"), "stage.name"),
    (gettext_lazy("客户状态"), lambda customer: customer.get_deal_status_display()),
    (gettext_lazy("标签"), "tag_names"),
    (gettext_lazy("来源"), "source"),
    (
        gettext_lazy("获得时间"),
        lambda customer: customer.acquired_at if customer.state == State.OWNED else None,
    ),
    (gettext_lazy("最后跟进时间"), "last_followup_at"),
    (gettext_lazy("新建时间"), "created_at"),
    (gettext_lazy("原跟进人"), "previous_owner.name"),
    (
        gettext_lazy("移入公海时间"),
        lambda customer: customer.released_at if customer.state != State.OWNED else None,
    ),
]


class DecoratedRows:
    """The customers of a queryset, read in chunks, each chunk given its primary contact
    (masked as the caller may see it) and tag names with two queries. Sized (one count), so
    ``exports.write_xlsx`` refuses an export over the cap before writing anything."""

    def __init__(self, customers, actor, *, chunk_size=exports.CHUNK_SIZE):
        self.customers = customers
        self.masked = selectors.masker(actor)
        self.chunk_size = chunk_size
        self.total = None

    def __len__(self):
        if self.total is None:
            self.total = self.customers.count()
        return self.total

    def __iter__(self):
        rows = self.customers.iterator(chunk_size=self.chunk_size)
        while chunk := list(islice(rows, self.chunk_size)):
            yield from self.decorate(chunk)

    def decorate(self, customers):
        ids = [customer.pk for customer in customers]
        primaries = {
            contact.customer_id: contact
            for contact in Contact.objects.filter(customer_id__in=ids, is_primary=True)
        }
        tags = {}
        for customer_id, name in (
            CustomerTag.objects.filter(customer_id__in=ids)
            .order_by("tag__group__position", "tag__group_id", "tag__position", "tag_id")
            .values_list("customer_id", "tag__name")
        ):
            tags.setdefault(customer_id, []).append(name)
        for customer in customers:
            customer.primary = primaries.get(customer.pk)
            masked = self.masked(customer)
            customer.primary_shown = (
                selectors.shown_contact(customer.primary, masked) if customer.primary else {}
            )
            customer.tag_names = tags.get(customer.pk, [])
        return customers


def customer_export(*, actor, view="mine", **filters):
    """Return the xlsx download of one customer view filtered like ``selectors.customer_list``.

    Needs ``customer.export`` (the recycle bin also ``customer.delete``, as its list does); more
    than ``exports.MAX_ROWS`` customers is refused with 409 ``export_too_large``.
    """
    check(actor, "customer.export")
    filters = {key: value for key, value in filters.items() if value not in (None, "")}
    customers = selectors.customer_list(actor=actor, view=view, **filters)
    label = str(NAMES.get(view, _("客户")))
    return exports.export_response(
        exports.stamped_name(label), COLUMNS, DecoratedRows(customers, actor), sheet_name=label
    )
