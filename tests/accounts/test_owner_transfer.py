"""TEN-15 / TEN-16: the one super admin and its transfer (confirmed by an SMS code)."""

import pytest

from tests import factories
from tests.accounts.conftest import wrong_code
from tidecrm.accounts.models import SecurityEvent
from tidecrm.core.models import Tenant, TimelineEvent
from tidecrm.core.tenancy import tenant_context
from tidecrm.org.models import Employee


def _owner_id(employee):
    return Tenant.objects.get(pk=employee.tenant_id).owner_id


def _transfer_code(client, owner, outbox):
    with outbox.sending():
        response = client.post("/enterprise/transfer/code")
    assert response.status_code == 202, response.content
    return outbox.code(owner.phone)


@pytest.fixture
def colleague(enterprise):
    return factories.employee(enterprise, name="接班人")


def test_transfer_makes_the_target_super_admin(enterprise, colleague, api, outbox):
    owner_client = api(enterprise)
    code = _transfer_code(owner_client, enterprise, outbox)

    response = owner_client.post("/enterprise/transfer", {"to_employee_id": colleague.pk, "code": code})

    assert response.status_code == 200, response.content
    assert response.json()["employee"]["id"] == enterprise.pk
    assert response.json()["employee"]["is_super_admin"] is False
    assert _owner_id(enterprise) == colleague.pk

    new_me = api(colleague).get("/me").json()
    assert new_me["employee"]["is_super_admin"] is True
    assert "settings.transfer_owner" in new_me["permissions"]

    former_me = api(enterprise).get("/me").json()
    assert former_me["employee"]["is_super_admin"] is False
    assert former_me["roles"] == ["管理员"]
    assert "settings.transfer_owner" not in former_me["permissions"]
    assert "settings.security_log" in former_me["permissions"]

    with tenant_context(enterprise.tenant):
        assert SecurityEvent.objects.filter(kind="owner_transfer", employee_id=enterprise.pk).count() == 1
        assert TimelineEvent.objects.filter(verb="enterprise.owner_transferred").count() == 1


def test_former_owner_can_no_longer_transfer(enterprise, colleague, api, outbox):
    code = _transfer_code(api(enterprise), enterprise, outbox)
    assert (
        api(enterprise)
        .post("/enterprise/transfer", {"to_employee_id": colleague.pk, "code": code})
        .status_code
        == 200
    )

    response = api(enterprise).post("/enterprise/transfer/code")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("role_keys", [("sales",), ("admin",)])
def test_only_the_super_admin_may_transfer(enterprise, colleague, api, outbox, role_keys):
    other = factories.employee(enterprise, name="别人", role_keys=role_keys)
    client = api(other)

    with outbox.sending():
        code_response = client.post("/enterprise/transfer/code")
    assert code_response.status_code == 403
    assert code_response.json()["code"] == "permission_denied"
    assert outbox.count(other.phone) == 0

    response = client.post("/enterprise/transfer", {"to_employee_id": other.pk, "code": "123456"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert _owner_id(enterprise) == enterprise.pk


@pytest.mark.parametrize(
    "status", [Employee.Status.RESIGNED, Employee.Status.DISABLED, Employee.Status.INACTIVE]
)
def test_target_must_be_active(enterprise, colleague, api, outbox, status):
    with tenant_context(enterprise.tenant):
        Employee.objects.filter(pk=colleague.pk).update(status=status)
    code = _transfer_code(api(enterprise), enterprise, outbox)

    response = api(enterprise).post("/enterprise/transfer", {"to_employee_id": colleague.pk, "code": code})

    assert response.status_code == 409
    assert response.json()["code"] == "employee_not_active"
    assert _owner_id(enterprise) == enterprise.pk


def test_target_of_another_enterprise_is_not_found(enterprise, other_enterprise, api, outbox):
    code = _transfer_code(api(enterprise), enterprise, outbox)

    response = api(enterprise).post(
        "/enterprise/transfer", {"to_employee_id": other_enterprise.pk, "code": code}
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert _owner_id(enterprise) == enterprise.pk
    assert _owner_id(other_enterprise) == other_enterprise.pk


def test_transfer_to_oneself_is_refused(enterprise, api, outbox):
    code = _transfer_code(api(enterprise), enterprise, outbox)

    response = api(enterprise).post("/enterprise/transfer", {"to_employee_id": enterprise.pk, "code": code})

    assert response.status_code == 422
    assert _owner_id(enterprise) == enterprise.pk


def test_wrong_code_changes_nothing(enterprise, colleague, api, outbox):
    code = _transfer_code(api(enterprise), enterprise, outbox)

    response = api(enterprise).post(
        "/enterprise/transfer", {"to_employee_id": colleague.pk, "code": wrong_code(code)}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_code"
    assert _owner_id(enterprise) == enterprise.pk
    with tenant_context(enterprise.tenant):
        assert [role.name for role in Employee.objects.get(pk=colleague.pk).role_list] == ["销售顾问"]


def test_transfer_code_dies_after_five_wrong_tries(enterprise, colleague, api, outbox):
    code = _transfer_code(api(enterprise), enterprise, outbox)
    for _attempt in range(5):
        response = api(enterprise).post(
            "/enterprise/transfer", {"to_employee_id": colleague.pk, "code": wrong_code(code)}
        )
        assert response.status_code == 422

    response = api(enterprise).post("/enterprise/transfer", {"to_employee_id": colleague.pk, "code": code})

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_code"
    assert _owner_id(enterprise) == enterprise.pk
