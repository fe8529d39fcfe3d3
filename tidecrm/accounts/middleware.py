"""Find who calls (Bearer token or session) and bind their enterprise for the whole request."""

from tidecrm.core.tenancy import reset_current_tenant, set_current_tenant
from tidecrm.org.models import Employee

from .services import token_authenticate
from .sessions import SESSION_AUTH_HASH, SESSION_EMPLOYEE, auth_hash


def client_ip(request):
    return request.META.get("REMOTE_ADDR") or None


def device_of(request):
    return request.META.get("HTTP_USER_AGENT", "")[:200]


class AuthenticationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.employee = request.tenant = request.account = None
        request.auth_method = None
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.startswith("Bearer "):
            employee = token_authenticate(header[7:].strip())
            if employee is not None:
                request.auth_method = "token"
                self._bind(request, employee)
            else:
                request.auth_method = "invalid_token"
        elif SESSION_EMPLOYEE in request.session:
            employee = (
                Employee.unscoped.select_related("tenant", "account")
                .filter(pk=request.session[SESSION_EMPLOYEE], deleted_at__isnull=True)
                .first()
            )
            if (
                employee is not None
                and employee.status == Employee.Status.ACTIVE
                and employee.tenant.status == "active"
                and request.session.get(SESSION_AUTH_HASH) == auth_hash(employee.account)
            ):
                request.auth_method = "session"
                self._bind(request, employee)
            else:
                request.session.flush()
        token = set_current_tenant(request.tenant)
        try:
            return self.get_response(request)
        finally:
            reset_current_tenant(token)

    @staticmethod
    def _bind(request, employee):
        request.employee = employee
        request.tenant = employee.tenant
        request.account = employee.account
