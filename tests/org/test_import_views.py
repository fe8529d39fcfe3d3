"""Import pages: the modal refuses bad files in place, the records page is permission-gated."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests import factories
from tests.core.test_imports import xlsx
from tidecrm.core.models import ImportJob
from tidecrm.core.tenancy import tenant_context
from tidecrm.signin.sessions import session_login

HTMX = {"HTTP_HX_REQUEST": "true"}


def logged_in(employee):
    client = Client()
    request = type("R", (), {"session": client.session})()
    session_login(request, employee)
    request.session.save()
    client.cookies["sessionid"] = request.session.session_key
    return client


def test_modal_refuses_a_bad_file_in_place(enterprise):
    client = logged_in(enterprise)
    assert "下载模板" in client.get("/imports/employee/new/", **HTMX).content.decode()
    response = client.post(
        "/imports/employee/new/", {"file": SimpleUploadedFile("a.xlsx", b"\x89PNG\x00\xff")}, **HTMX
    )
    assert response.status_code == 422
    assert 'data-code="invalid_file"' in response.content.decode()
    response = client.post("/imports/employee/new/", {}, **HTMX)
    assert response.status_code == 422 and "请选择要导入的文件" in response.content.decode()
    with tenant_context(enterprise.tenant):
        assert not ImportJob.objects.exists()


def test_upload_shows_the_outcome(enterprise, django_capture_on_commit_callbacks):
    client = logged_in(enterprise)
    content = xlsx([["姓名", "手机号"], ["孙一", "13800006001"]])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/imports/employee/new/", {"file": SimpleUploadedFile("a.xlsx", content)}, **HTMX)
    with tenant_context(enterprise.tenant):
        job = ImportJob.objects.get()
    page = client.get(f"/imports/job/{job.pk}/", **HTMX).content.decode()
    assert 'data-status="done"' in page and "成功 1 行，失败 0 行" in page
    assert "a.xlsx" in client.get("/imports/employee/").content.decode()


def test_records_and_unknown_kinds(enterprise):
    sales = factories.employee(enterprise, role_keys=("sales",))
    assert logged_in(sales).get("/imports/employee/").status_code == 403
    assert logged_in(enterprise).get("/imports/nothing/").status_code == 404
    empty = logged_in(enterprise).get("/imports/employee/").content.decode()
    assert "还没有导入记录" in empty
