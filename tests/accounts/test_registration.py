"""TEN-01 enterprise self-registration, TEN-13 one account in several enterprises, TEN-02 codes."""

import pytest

from tests import factories
from tests.accounts.conftest import wrong_code
from tidecrm.accounts.models import Account, Membership, SecurityEvent, TrustedIP
from tidecrm.core.models import Tenant
from tidecrm.core.tenancy import tenant_context
from tidecrm.org.models import Employee, Role

PASSWORD = factories.PASSWORD
SYSTEM_ROLE_NAMES = {"管理员", "销售经理", "市场经理", "销售顾问", "普通员工"}


def _payload(**overrides):
    body = {
        "enterprise_name": "潮汐测试有限公司",
        "admin_name": "王总",
        "phone": factories.next_phone(),
        "password": PASSWORD,
    }
    body.update(overrides)
    return body


def _row_counts():
    return {
        "tenants": Tenant.objects.count(),
        "accounts": Account.objects.count(),
        "memberships": Membership.objects.count(),
        "employees": Employee.unscoped.count(),
        "roles": Role.unscoped.count(),
    }


def test_register_creates_enterprise_super_admin_and_roles(db, api, client_from):
    body = _payload()

    response = api().post("/auth/register", body)

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["enterprise"]["name"] == "潮汐测试有限公司"
    assert data["employee"]["name"] == "王总"
    assert data["employee"]["phone"] == body["phone"]
    assert data["employee"]["is_super_admin"] is True
    tenant = Tenant.objects.get(pk=data["enterprise"]["id"])
    assert tenant.owner_id == data["employee"]["id"]
    assert data["token"].startswith(f"{tenant.pk}.")
    with tenant_context(tenant):
        roles = list(Role.objects.all())
        assert {role.name for role in roles} == SYSTEM_ROLE_NAMES
        assert all(role.is_system for role in roles)
        employee = Employee.objects.get(pk=data["employee"]["id"])
        assert [role.name for role in employee.role_list] == ["管理员"]
    account = Account.objects.get(phone=body["phone"])
    assert account.check_password(PASSWORD)
    assert Membership.objects.filter(account=account, enterprise=tenant).count() == 1
    # Registration records the IP without a challenge (TEN-10) and logs the login.
    assert TrustedIP.objects.filter(account=account, ip="127.0.0.1").exists()
    with tenant_context(tenant):
        assert SecurityEvent.objects.filter(kind="login_success", employee_id=employee.pk).exists()

    me_response = client_from(token=data["token"]).get("/me")
    assert me_response.status_code == 200
    assert me_response.json()["employee"]["is_super_admin"] is True
    assert me_response.json()["roles"] == ["管理员"]


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"enterprise_name": ""}, "enterprise_name"),
        ({"enterprise_name": "   "}, "enterprise_name"),
        ({"admin_name": ""}, "admin_name"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "23800138000"}, "phone"),
        ({"password": "short1"}, "password"),
        ({"password": "onlyletters"}, "password"),
        ({"password": "1234567890"}, "password"),
    ],
)
def test_register_refuses_invalid_input_and_creates_nothing(db, api, overrides, field):
    before = _row_counts()

    response = api().post("/auth/register", _payload(**overrides))

    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["details"]["fields"]
    assert body["details"]["fields"][field]
    assert _row_counts() == before


def test_register_phone_formats_are_normalised(db, api):
    response = api().post("/auth/register", _payload(phone="+86 139-1234-5678"))

    assert response.status_code == 201, response.content
    assert Account.objects.filter(phone="13912345678").exists()


def test_existing_phone_with_wrong_password_is_refused(db, api):
    owner = factories.enterprise()
    before = _row_counts()

    response = api().post("/auth/register", _payload(phone=owner.phone, password="Other12345"))

    assert response.status_code == 409
    assert response.json()["code"] == "phone_registered"
    assert _row_counts() == before
    assert not Tenant.objects.filter(name="潮汐测试有限公司").exists()


def test_existing_phone_with_right_password_joins_the_same_account(db, api):
    owner = factories.enterprise(name="第一家公司")
    accounts_before = Account.objects.count()

    response = api().post("/auth/register", _payload(enterprise_name="第二家公司", phone=owner.phone))

    assert response.status_code == 201, response.content
    assert Account.objects.count() == accounts_before
    memberships = Membership.objects.filter(account_id=owner.account_id)
    assert memberships.count() == 2
    second = Tenant.objects.get(pk=response.json()["enterprise"]["id"])
    assert second.pk != owner.tenant_id
    assert {m.enterprise_id for m in memberships} == {owner.tenant_id, second.pk}
    with tenant_context(second):
        assert Employee.objects.get(pk=second.owner_id).account_id == owner.account_id
    assert response.json()["employee"]["is_super_admin"] is True


class TestRegistrationCode:
    """With ``REGISTRATION_REQUIRES_CODE`` (SaaS), registration needs a valid SMS code."""

    @pytest.fixture(autouse=True)
    def _requires_code(self, settings):
        settings.REGISTRATION_REQUIRES_CODE = True

    def test_missing_code_is_refused(self, db, api):
        before = _row_counts()

        response = api().post("/auth/register", _payload())

        assert response.status_code == 422
        assert response.json()["code"] == "invalid_code"
        assert _row_counts() == before

    def test_wrong_code_is_refused(self, api, outbox):
        body = _payload()
        with outbox.sending():
            assert (
                api().post("/auth/sms-code", {"phone": body["phone"], "purpose": "register"}).status_code
                == 202
            )
        before = _row_counts()

        response = api().post("/auth/register", {**body, "code": wrong_code(outbox.code(body["phone"]))})

        assert response.status_code == 422
        assert response.json()["code"] == "invalid_code"
        assert _row_counts() == before

    def test_valid_code_registers(self, api, outbox):
        body = _payload()
        with outbox.sending():
            response = api().post("/auth/sms-code", {"phone": body["phone"], "purpose": "register"})
        assert response.status_code == 202

        response = api().post("/auth/register", {**body, "code": outbox.code(body["phone"])})

        assert response.status_code == 201, response.content
        assert Account.objects.filter(phone=body["phone"]).exists()

    def test_code_is_not_required_by_default(self, db, api, settings):
        settings.REGISTRATION_REQUIRES_CODE = False

        assert api().post("/auth/register", _payload()).status_code == 201
