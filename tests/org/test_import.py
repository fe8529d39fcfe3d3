"""Employee import (ORG-05): exact counts, the failure file, seats, API and isolation."""

import pytest
from django.test import Client

from tests import factories
from tests.core.test_imports import xlsx
from tidecrm.core import imports
from tidecrm.core.models import ImportJob, Tenant
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services
from tidecrm.org.models import Employee

HEADERS = ["员工姓名", "手机", "职位", "部门", "角色", "初始密码"]


@pytest.fixture
def org(bound):
    centre = services.department_create(actor=bound, name="销售中心")
    services.department_create(actor=bound, name="销售一部", parent_id=centre.pk)
    services.department_create(actor=bound, name="销售一部")  # same name at the top: ambiguous
    return bound


def run(actor, rows, django_capture_on_commit_callbacks, headers=HEADERS):
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.import_start(
            actor=actor, kind="employee", file_name="员工.xlsx", content=xlsx([headers, *rows])
        )
    job.refresh_from_db()
    return job


def test_mixed_rows_give_exact_counts_and_a_failure_file(org, django_capture_on_commit_callbacks):
    rows = [
        ["张一", "138 0000 1001", "销售", "销售中心/销售一部", "销售顾问", "Start123"],
        ["张二", "13800001002", "", "销售中心", "", ""],
        ["", "13800001003", "", "", "", ""],
        ["张四", "12345", "", "", "", ""],
        ["张五", "13800001005", "", "不存在的部门", "", ""],
        ["张六", "13800001006", "", "销售一部", "", ""],
        ["张七", "13800001007", "", "", "神秘角色", ""],
        ["张八", "13800001001", "", "", "", ""],
    ]
    job = run(org, rows, django_capture_on_commit_callbacks)
    assert (job.status, job.total, job.succeeded, job.failed) == ("done", 8, 2, 6)
    headers, failed = imports.failure_rows(job)
    assert headers == [*HEADERS, "失败原因"]
    reasons = {row[1]: row[-1] for row in failed}
    assert reasons == {
        "13800001003": "请填写姓名",
        "12345": "请输入正确的11位手机号",
        "13800001005": "部门“不存在的部门”不存在",
        "13800001006": "部门“销售一部”有重名，请写完整路径，如 销售中心/销售一部",
        "13800001007": "角色“神秘角色”不存在",
        "13800001001": "该手机号已是本企业员工",
    }
    assert failed[0][:2] == ["", "13800001003"]  # the original row, as uploaded
    one = Employee.objects.get(phone="13800001001")
    assert (one.name, one.title, one.main_department.name, one.must_change_password) == (
        "张一",
        "销售",
        "销售一部",
        True,
    )
    assert [r.name for r in one.role_list] == ["销售顾问"]
    assert [r.name for r in Employee.objects.get(phone="13800001002").role_list] == ["普通员工"]


def test_rows_beyond_the_free_seats_fail(org, django_capture_on_commit_callbacks):
    Tenant.objects.filter(pk=org.tenant_id).update(seats_total=3)
    rows = [[f"员工{i}", f"1380000200{i}", "", "", "", ""] for i in range(4)]
    job = run(org, rows, django_capture_on_commit_callbacks)
    assert (job.succeeded, job.failed) == (2, 2)
    assert {row[-1] for row in imports.failure_rows(job)[1]} == {
        "账号数已满，请先禁用或离职其他员工，或购买更多账号"
    }
    assert Employee.objects.count() == 3


def test_a_crash_is_recorded_on_the_job(org, django_capture_on_commit_callbacks, monkeypatch):
    def explode(self, actor, rows, context):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(type(imports.IMPORTERS["employee"]), "import_rows", explode)
    job = run(org, [["甲", "13800003001", "", "", "", ""]], django_capture_on_commit_callbacks)
    assert job.status == "failed" and job.error == "导入中断，请重试或联系管理员"
    assert Employee.objects.filter(phone="13800003001").count() == 0


def test_import_needs_the_permission(enterprise):
    member = factories.employee(enterprise, role_keys=("sales",))
    with tenant_context(enterprise.tenant), pytest.raises(Exception) as caught:
        imports.import_start(
            actor=member, kind="employee", file_name="a.xlsx", content=xlsx([HEADERS, ["a"] * 6])
        )
    assert getattr(caught.value, "code", None) == "permission_denied"


def test_api_upload_poll_and_download(enterprise, other_enterprise, django_capture_on_commit_callbacks):
    from tests.conftest import ApiClient

    client = ApiClient(factories.token_for(enterprise)).client
    auth = {"HTTP_AUTHORIZATION": f"Bearer {factories.token_for(enterprise)}"}
    content = xlsx([HEADERS, ["王五", "13800004001", "", "", "", ""], ["", "13800004002", "", "", "", ""]])
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/employees/imports", {"file": SimpleUploadedFile("员工.xlsx", content)}, **auth
        )
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    status = client.get(f"/api/v1/imports/{job_id}", **auth).json()
    assert (status["status"], status["total"], status["succeeded"], status["failed"]) == ("done", 2, 1, 1)
    failures = client.get(f"/api/v1/imports/{job_id}/failures", **auth)
    assert failures.status_code == 200 and failures["Content-Type"].startswith("application/vnd.openxml")
    _headers, rows = imports.read_table(failures.content)
    assert rows == [["", "13800004002", "", "", "", "", "请填写姓名"]]
    template = client.get("/api/v1/imports/templates/employee", **auth)
    assert template.status_code == 200
    with pytest.raises(Exception) as empty:  # the template is the header row only
        imports.read_table(template.content)
    assert empty.value.code == "empty_file"
    # another enterprise cannot see the job
    foreign = {"HTTP_AUTHORIZATION": f"Bearer {factories.token_for(other_enterprise)}"}
    assert Client().get(f"/api/v1/imports/{job_id}", **foreign).status_code == 404
    bad = client.post(
        "/api/v1/employees/imports",
        {"file": SimpleUploadedFile("a.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")},
        **auth,
    )
    assert bad.status_code == 409 and bad.json()["code"] == "invalid_file"
    with tenant_context(enterprise.tenant):
        assert ImportJob.objects.count() == 1
