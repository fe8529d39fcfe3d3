"""What the customer pages share: the htmx events an answer fires (the lists refresh, an open
detail reloads), toasts that fire them, the bulk summary line and the employee choices of the
pickers (SPEC CUST-02/03/05)."""

from django.utils.translation import gettext as _

from tidecrm.core.web import add_toast, bulk_summary, toast_response
from tidecrm.org.models import Employee

# Events an answer fires: the lists refresh on the first, an open detail on the second.
LIST_CHANGED = "customers-changed"
DETAIL_CHANGED = "customers-changed, customer-changed"


def _toast(text, level="success", *, close=None, trigger=LIST_CHANGED):
    """A toast that also refreshes the customer lists (and, when asked, closes a modal/drawer)."""
    return toast_response(text, level, trigger=trigger, close=close)


def _with_toast(response, request, text, level="success"):
    return add_toast(response, request, text, level, trigger=LIST_CHANGED)


def summary(result, done_format):
    return bulk_summary(result, done_format, _("，%(n)s 个未处理：%(why)s"))


def _employees():
    return Employee.objects.filter(status=Employee.Status.ACTIVE, deleted_at__isnull=True).order_by("name")
