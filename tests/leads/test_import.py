"""Lead import (LEAD-04): a 10,000-row file with mixed bad rows gives exact counts and reasons."""

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from tests.conftest import ApiClient
from tests.core.test_imports import xlsx
from tidecrm.core import imports
from tidecrm.core.errors import ValidationFailed
from tidecrm.core.models import ImportJob, TimelineEvent
from tidecrm.core.tenancy import tenant_context
from tidecrm.leads import imports as lead_imports
from tidecrm.leads import services
from tidecrm.leads.models import Lead, LeadFlow
from tidecrm.rules import holding

HEADERS = ["手机", "联系人", "公司名称", "来源"]


def run(actor, rows, capture, options=None, headers=HEADERS, content=None):
    with capture(execute=True):
        job = imports.import_start(
            actor=actor,
            kind="lead",
            file_name="线索.xlsx",
            content=content or xlsx([headers, *rows]),
            options=options,
        )
    job.refresh_from_db()
    return job


def test_ten_thousand_rows_with_mixed_bad_rows(bound, django_capture_on_commit_callbacks):
    owner = bound
    services.lead_create(actor=owner, phone="13000000007", company_name="已存在公司")
    rows = []
    reasons = {}
    for i in range(10_000):
        phone = f"130{i:08d}"
        company = f"公司{i}"
        if i % 10 == 1:
            phone = ""
            reasons[i] = "手机号为空"
        elif i % 25 == 2:
            phone = "12345"
            reasons[i] = "手机号格式错误"
        elif i % 100 == 3:
            phone = f"130{i - 3:08d}"  # the phone of row i-3 (a valid row): the file repeats itself
            reasons[i] = f"文件内重复（与第 {i - 3 + 2} 行）"
        elif i == 7:
            reasons[i] = "重复线索（待分配线索）"
        elif i == 8:
            company = "已存在公司有限公司"
            reasons[i] = "重复线索（待分配线索）"
        rows.append([phone, f"联系人{i}", company, "展会"])
    job = run(owner, rows, django_capture_on_commit_callbacks)
    assert (job.status, job.total, job.failed, job.succeeded) == (
        "done",
        10_000,
        len(reasons),
        10_000 - len(reasons),
    )
    headers, failed = imports.failure_rows(job)
    assert headers == [*HEADERS, "失败原因"]
    assert len(failed) == len(reasons)
    by_name = {row[1]: row[-1] for row in failed}
    assert {i: by_name[f"联系人{i}"] for i in reasons} == reasons
    assert Lead.objects.filter(state="unallocated").count() == 10_000 - len(reasons) + 1
    assert LeadFlow.objects.filter(kind="create").count() == 10_000 - len(reasons) + 1
    # One timeline event summarises the import (each lead's creation is its LeadFlow row).
    event = TimelineEvent.objects.get(verb="lead.import")
    assert (event.object_type, event.object_id, event.data) == (
        "import_job",
        job.pk,
        {"total": 10_000, "succeeded": 10_000 - len(reasons), "failed": len(reasons)},
    )
    assert TimelineEvent.objects.filter(object_type="lead").count() == 1  # the lead_create above
    # The parsed copy of the table goes when the job ends; the uploaded file stays.
    assert not imports._parsed_path(job.file_path).exists()
    assert Path(job.file_path).exists()


def test_repeats_across_chunks_name_the_first_row(bound, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(lead_imports.LEAD_IMPORTER, "chunk_rows", 2)
    rows = [
        ["13600000001", "甲", "甲公司", ""],
        ["13600000002", "乙", "", ""],
        ["13600000003", "丙", "甲公司有限公司", ""],  # the company of row 2, in the next chunk
        ["136 0000 0002", "丁", "", ""],  # the phone of row 3
        ["13600000005", "戊", "戊公司", ""],
    ]
    job = run(bound, rows, django_capture_on_commit_callbacks)
    assert (job.succeeded, job.failed) == (3, 2)
    assert [row[-1] for row in imports.failure_rows(job)[1]] == [
        "文件内重复（与第 2 行）",
        "文件内重复（与第 3 行）",
    ]
    assert sorted(Lead.objects.values_list("phone", flat=True)) == [
        "13600000001",
        "13600000002",
        "13600000005",
    ]
    assert LeadFlow.objects.filter(kind="create", operator=bound).count() == 3


def test_the_unique_constraints_have_the_last_word(bound, django_capture_on_commit_callbacks, monkeypatch):
    """A lead created after the duplicate check (a race) is still refused, by the constraint."""
    services.lead_create(actor=bound, phone="13700000002", company_name="先到公司")
    monkeypatch.setattr(lead_imports, "_existing", lambda *args: ({}, {}, {}))
    rows = [
        ["13700000001", "甲", "", ""],
        ["13700000002", "乙", "", ""],
        ["13700000003", "丙", "先到公司", ""],
        ["13700000004", "丁", "丁公司", ""],
    ]
    job = run(bound, rows, django_capture_on_commit_callbacks)
    assert (job.succeeded, job.failed) == (2, 2)
    assert [row[-1] for row in imports.failure_rows(job)[1]] == ["重复线索", "重复线索"]
    assert Lead.objects.count() == 3 and LeadFlow.objects.filter(kind="create").count() == 3


def test_owners_round_robin_skipping_full_ones(bound, django_capture_on_commit_callbacks):
    owner = bound
    a = factories.employee(owner, name="甲")
    b = factories.employee(owner, name="乙")
    holding.settings_put(
        actor=owner,
        data={
            "lead": {
                "default_limit": None,
                "rules": [{"name": "甲的上限", "limit": 1, "employee_ids": [a.pk]}],
            }
        },
    )
    rows = [[f"1310000000{i}", f"人{i}", "", ""] for i in range(4)]
    job = run(owner, rows, django_capture_on_commit_callbacks, options={"owner_ids": [a.pk, b.pk]})
    assert (job.succeeded, job.failed) == (4, 0)
    assert Lead.objects.filter(owner=a).count() == 1 and Lead.objects.filter(owner=b).count() == 3
    assert set(Lead.objects.values_list("state", "status")) == {("owned", "pending")}
    assert not Lead.objects.filter(allocated_at__isnull=True).exists()
    assert sorted(LeadFlow.objects.values_list("to_owner_id", flat=True)) == sorted([a.pk, b.pk, b.pk, b.pk])


def test_rows_nobody_can_take_fail_with_the_limit(bound, django_capture_on_commit_callbacks):
    owner = bound
    a = factories.employee(owner, name="甲")
    holding.settings_put(actor=owner, data={"lead": {"default_limit": 2, "rules": []}})
    rows = [[f"1320000000{i}", "", "", ""] for i in range(3)]
    job = run(owner, rows, django_capture_on_commit_callbacks, options={"owner_ids": [a.pk]})
    assert (job.succeeded, job.failed) == (2, 1)
    assert imports.failure_rows(job)[1][0][-1] == "超过员工线索保有量上限"


def test_inactive_owner_refuses_the_job(bound, django_capture_on_commit_callbacks):
    from tidecrm.org import services as org_services

    a = factories.employee(bound, name="离职者")
    org_services.employee_resign(actor=bound, employee=a)
    with pytest.raises(ValidationFailed) as caught:
        run(
            bound,
            [["13300000001", "", "", ""]],
            django_capture_on_commit_callbacks,
            options={"owner_ids": [a.pk]},
        )
    assert caught.value.code == "validation_error"
    assert caught.value.fields == {"owner_ids": ["跟进员工已离职或被禁用：离职者"]}
    assert not Lead.objects.exists() and not ImportJob.objects.exists()


def test_gbk_csv_with_synonym_headers(bound, django_capture_on_commit_callbacks):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(
        [["联系电话", "联系人姓名", "企业名称"], ["133 0000 0001", "赵六", "赵氏有限公司"]]
    )
    job = run(bound, [], django_capture_on_commit_callbacks, content=buffer.getvalue().encode("gb18030"))
    assert (job.succeeded, job.failed) == (1, 0)
    lead = Lead.objects.get()
    assert (lead.phone, lead.name, lead.company_name, lead.company_key) == (
        "13300000001",
        "赵六",
        "赵氏有限公司",
        "赵氏",
    )


def test_api_import_with_owner(enterprise, django_capture_on_commit_callbacks):
    rep = factories.employee(enterprise, name="销售")
    client = ApiClient(factories.token_for(enterprise))
    content = xlsx([HEADERS, ["13400000001", "甲", "", ""], ["", "乙", "", ""]])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.client.post(
            "/api/v1/leads/imports",
            {"file": SimpleUploadedFile("线索.xlsx", content), "owner_id": rep.pk},
            HTTP_AUTHORIZATION=f"Bearer {client.token}",
        )
    assert response.status_code == 202, response.content
    job = client.get(f"/leads/imports/{response.json()['id']}").json()
    assert (job["status"], job["succeeded"], job["failed"]) == ("done", 1, 1)
    assert client.get(f"/leads/imports/{job['id']}/failures").status_code == 200
    with tenant_context(enterprise.tenant):
        assert Lead.objects.get().owner_id == rep.pk
    sales = ApiClient(factories.token_for(rep))
    refused = sales.client.post(
        "/api/v1/leads/imports",
        {"file": SimpleUploadedFile("a.xlsx", content)},
        HTTP_AUTHORIZATION=f"Bearer {sales.token}",
    )
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"


def test_a_customer_contacts_phone_fails_the_row(bound, django_capture_on_commit_callbacks):
    rep = factories.employee(bound, name="老李")
    lead = services.lead_create(actor=rep, phone="13500000001", name="甲", company_name="甲公司")
    services.lead_convert(actor=rep, lead_id=lead.pk)
    services.lead_delete(actor=bound, lead_id=lead.pk)  # the lead is gone; the customer's contact remains
    job = run(bound, [["13500000001", "", "", ""]], django_capture_on_commit_callbacks)
    assert imports.failure_rows(job)[1][0][-1] == "重复线索（已是客户联系人，跟进人：老李）"


def test_tags_chosen_at_import_land_on_every_lead_and_bad_tags_refuse_the_job(
    bound, django_capture_on_commit_callbacks
):
    from tidecrm.core import imports as core_imports
    from tidecrm.core.errors import ValidationFailed
    from tidecrm.customers import config as customer_config
    from tidecrm.leads.models import Lead as LeadModel

    owner = bound
    group = customer_config.tag_group_create(actor=owner, name="意向", multiple=False, tags=["高", "低"])
    high, low = [t.pk for t in group.tags.order_by("position")]
    content = "手机号,姓名\n13912340001,甲\n13912340002,乙\n".encode()
    with pytest.raises(ValidationFailed):  # two tags of a single-select group
        core_imports.import_start(
            actor=owner, kind="lead", file_name="a.csv", content=content, options={"tag_ids": [high, low]}
        )
    with django_capture_on_commit_callbacks(execute=True):
        job = core_imports.import_start(
            actor=owner, kind="lead", file_name="a.csv", content=content, options={"tag_ids": [high]}
        )
    job.refresh_from_db()
    assert (job.status, job.succeeded, job.error) == ("done", 2, ""), job.__dict__
    assert list(LeadModel.objects.values_list("tag_ids", flat=True)) == [[high], [high]]


def test_the_import_form_offers_owners_and_tags(enterprise):
    from tests.org.test_import_views import logged_in
    from tidecrm.customers import config as customer_config

    with tenant_context(enterprise.tenant):
        customer_config.tag_group_create(actor=enterprise, name="来源渠道", tags=["展会线索"])
    page = logged_in(enterprise).get("/imports/lead/new/", HTTP_HX_REQUEST="true").content.decode()
    assert "跟进员工（选填）" in page and "展会线索" in page
