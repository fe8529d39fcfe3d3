"""What several organisation services share: the employee lookup and the seat count (SPEC
TEN-17/18: enabled employees occupy a seat; a full enterprise refuses one more)."""

from django.utils.translation import gettext as _

from tidecrm.core import codes
from tidecrm.core.errors import BusinessError, NotFound
from tidecrm.core.models import Tenant

from ..models import Employee

Status = Employee.Status


SEAT_STATUSES = (Status.ACTIVE,)


def _employee_or_404(employee_id: int) -> Employee:
    employee = Employee.objects.filter(pk=employee_id, deleted_at__isnull=True).first()
    if employee is None:
        raise NotFound()
    return employee


def seats_used(tenant_id: int) -> int:
    """Return how many seats the enterprise's employees occupy (enabled, not deleted: TEN-17)."""
    return Employee.unscoped.filter(
        tenant_id=tenant_id, status__in=SEAT_STATUSES, deleted_at__isnull=True
    ).count()


def _check_seat_free(tenant_id: int) -> None:
    """Refuse when every seat is taken (TEN-17/18). Called under the tenant row lock."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant_id)
    if seats_used(tenant_id) >= tenant.seats_total:
        raise BusinessError(
            codes.SEATS_FULL, _("账号数已满，请先禁用或离职其他员工，或购买更多账号"), status=409
        )
