"""Test data builders that go through the real services (so rules hold in tests too)."""

import itertools

from tidecrm.accounts.models import Account
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services as org_services
from tidecrm.signin import services as account_services

PASSWORD = "Secret123"
_phones = itertools.count(13900000000)


def next_phone():
    return str(next(_phones))


def enterprise(name="测试科技有限公司", admin_name="管理员", phone=None, password=PASSWORD):
    """Register an enterprise and return its super admin employee."""
    result = account_services.enterprise_register(
        enterprise_name=name, admin_name=admin_name, phone=phone or next_phone(), password=password
    )
    return result.employee


def employee(owner, *, name="员工", phone=None, password=PASSWORD, role_keys=("sales",), **fields):
    """Create an active employee in the owner's enterprise with a login and return it."""
    phone = phone or next_phone()
    with tenant_context(owner.tenant):
        account, created = Account.objects.get_or_create(phone=phone)
        if created:
            account.set_password(password)
            account.save(update_fields=["password"])
        person = org_services.employee_create(
            actor=owner, account=account, name=name, phone=phone, role_keys=role_keys, **fields
        )
    person.tenant = owner.tenant
    return person


def token_for(employee):
    """Return a raw API token for ``employee``."""
    with tenant_context(employee.tenant):
        _token, raw = account_services.token_create(actor=employee, name="test")
    return raw
