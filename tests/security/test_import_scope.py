"""Import jobs within data scope (issue 11, finding 5).

A job -- its counts, its progress page, its failure file (the uploader's rows as uploaded) and
its line in 导入记录 -- is seen by its uploader, by those whose data scope for the kind's module
covers the uploader (the manager of the uploader's department, a whole-company scope) and by
super admins (core.imports.visible_jobs). Anyone else with the import permission gets 404, on
every path: the lead API, the shared /imports API, the pages and the downloads.
"""

import pytest

from tests import factories
from tests.conftest import ApiClient
from tests.core.test_imports import xlsx
from tests.org.test_import_views import logged_in
from tidecrm.core import imports
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(enterprise, django_capture_on_commit_callbacks):
    """一部 and 二部. The uploader (一部, imports with a 本人 scope) imports leads and customers,
    one row of each failing; 一部's and 二部's sales managers (本部门), a colleague of 一部 with the
    uploader's role, a whole-company importer and the super admin look at the jobs."""
    owner = enterprise
    with tenant_context(owner.tenant):
        one = services.department_create(actor=owner, name="一部")
        two = services.department_create(actor=owner, name="二部")
        importer = services.role_create(
            actor=owner,
            name="导入员",
            permissions=["lead.import", "customer.import"],
            data_scopes={"lead": "self", "customer": "self"},
        )
        company = services.role_create(
            actor=owner,
            name="全公司导入",
            permissions=["lead.import", "customer.import"],
            data_scopes={"lead": "company", "customer": "company"},
        )
    people = {
        "owner": owner,
        "uploader": factories.employee(
            owner, name="上传者", role_keys=(), roles=[importer], main_department=one
        ),
        "colleague": factories.employee(
            owner, name="同事", role_keys=(), roles=[importer], main_department=one
        ),
        "manager_one": factories.employee(
            owner, name="一部经理", role_keys=("sales_manager",), main_department=one
        ),
        "manager_two": factories.employee(
            owner, name="二部经理", role_keys=("sales_manager",), main_department=two
        ),
        "company": factories.employee(
            owner, name="全公司", role_keys=(), roles=[company], main_department=two
        ),
    }
    with tenant_context(owner.tenant), django_capture_on_commit_callbacks(execute=True):
        lead_job = imports.import_start(
            actor=people["uploader"],
            kind="lead",
            file_name="二部看不到的线索.xlsx",
            content=xlsx([["手机号", "姓名"], ["13811110001", "甲"], ["12345", "乙"]]),
        )
        customer_job = imports.import_start(
            actor=people["uploader"],
            kind="customer",
            file_name="二部看不到的客户.xlsx",
            content=xlsx(
                [["客户名称", "联系人", "手机"], ["甲公司", "甲", "13811110002"], ["", "乙", "12345"]]
            ),
        )
    with tenant_context(owner.tenant):
        for job in (lead_job, customer_job):
            job.refresh_from_db()
            assert job.status == "done" and job.failed == 1 and job.failure_path
    return people, {"lead": lead_job.pk, "customer": customer_job.pk}


def api_paths(kind, job_id):
    paths = [f"/imports/{job_id}", f"/imports/{job_id}/failures"]
    if kind == "lead":
        paths += [f"/leads/imports/{job_id}", f"/leads/imports/{job_id}/failures"]
    return paths


def page_paths(job_id):
    return [f"/imports/job/{job_id}/", f"/imports/job/{job_id}/failures/"]


@pytest.mark.parametrize("kind", ["lead", "customer"])
@pytest.mark.parametrize(
    ("viewer", "sees"),
    [
        ("uploader", True),
        ("manager_one", True),  # 本部门 covers the uploader's department
        ("company", True),
        ("owner", True),  # the super admin
        ("manager_two", False),  # another department's manager: the finding
        ("colleague", False),  # same department, 本人 scope
    ],
)
def test_a_job_is_seen_within_the_data_scope_only(world, kind, viewer, sees):
    people, jobs = world
    employee, job_id = people[viewer], jobs[kind]
    api = ApiClient(factories.token_for(employee))
    for path in api_paths(kind, job_id):
        answer = api.get(path)
        assert answer.status_code == (200 if sees else 404), (path, answer.content[:200])
        if not sees:
            assert answer.json()["code"] == "not_found"
    web = logged_in(employee)
    for path in page_paths(job_id):
        assert web.get(path, **HTMX).status_code == (200 if sees else 404), path
    records = web.get(f"/imports/{kind}/").content.decode()
    assert (f"二部看不到的{'线索' if kind == 'lead' else '客户'}.xlsx" in records) is sees


def test_the_failure_file_of_a_job_out_of_scope_is_not_served(world):
    """What leaked: the uploader's raw rows. In scope the file answers; out of scope, 404, no bytes."""
    people, jobs = world
    inside = ApiClient(factories.token_for(people["manager_one"])).get(
        f"/leads/imports/{jobs['lead']}/failures"
    )
    assert inside.status_code == 200 and inside["Content-Type"].startswith("application/vnd.openxml")
    outside = ApiClient(factories.token_for(people["manager_two"])).get(
        f"/leads/imports/{jobs['lead']}/failures"
    )
    assert outside.status_code == 404 and b"12345" not in outside.content


def test_the_selector_is_the_one_rule(world):
    people, jobs = world
    with tenant_context(people["owner"].tenant):
        for viewer, expected in (
            ("manager_two", set()),
            ("manager_one", {jobs["lead"]}),
            ("uploader", {jobs["lead"]}),
        ):
            visible = imports.visible_jobs(actor=people[viewer], kind="lead")
            assert set(visible.values_list("pk", flat=True)) == expected, viewer
