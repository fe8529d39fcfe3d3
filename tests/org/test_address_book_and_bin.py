"""通讯录 for everyone, 帐号回收站 for employee admins, and the navigation they appear in."""

from tests import factories
from tests.conftest import mark_sudo
from tests.org.test_import_views import logged_in
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services
from tidecrm.org.models import Employee


def test_address_book_lists_active_colleagues_for_everyone(enterprise):
    sales = factories.employee(enterprise, name="销售小李", title="销售代表", role_keys=("sales",))
    gone = factories.employee(enterprise, name="已离职老王")
    with tenant_context(enterprise.tenant):
        services.employee_resign(actor=enterprise, employee=gone)
    client = logged_in(sales)
    page = client.get("/org/contacts/").content.decode()
    assert "销售小李" in page and "销售代表" in page and "已离职老王" not in page
    found = client.get("/org/contacts/", {"q": "小李"}, HTTP_HX_REQUEST="true").content.decode()
    assert "销售小李" in found and enterprise.name not in found
    assert "没有找到同事" in client.get("/org/contacts/", {"q": "无此人"}).content.decode()


def test_navigation_hides_settings_without_org_permission(enterprise):
    sales = factories.employee(enterprise, role_keys=("sales",))
    page = logged_in(sales).get("/").content.decode()
    assert 'href="/org/contacts/"' in page and 'href="/org/"' not in page
    assert 'href="/org/"' in logged_in(enterprise).get("/").content.decode()


def test_recycle_bin_round_trip(enterprise, api):
    person = factories.employee(enterprise, name="删除再恢复")
    client = api(enterprise)
    assert client.delete(f"/employees/{person.pk}").status_code == 204
    assert client.get(f"/employees/{person.pk}").status_code == 404
    binned = client.get("/employees/recycle-bin").json()
    assert [e["id"] for e in binned["items"]] == [person.pk]
    assert "删除再恢复" in mark_sudo(logged_in(enterprise)).get("/org/recycle-bin/").content.decode()
    restored = client.post(f"/employees/{person.pk}/undelete")
    assert restored.status_code == 200 and restored.json()["status"] == "resigned"
    again = client.post(f"/employees/{person.pk}/undelete")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    with tenant_context(enterprise.tenant):
        assert Employee.objects.get(pk=person.pk).deleted_at is None


def test_recycle_bin_needs_employee_administration(enterprise, api):
    sales = factories.employee(enterprise, role_keys=("sales",))
    assert logged_in(sales).get("/org/recycle-bin/").status_code == 403
    response = api(sales).get("/employees/recycle-bin")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
