"""Customer import (CUST-20) and pool import (POOL-06): exact counts, failure reasons naming the
holder, the library's duplicate rule (file and database), tags, holding limits dealt round-robin,
permissions, and customers identical to those customer_create makes."""

import csv
import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from python_calamine import CalamineWorkbook

from tests import factories
from tests.conftest import ApiClient
from tests.core.test_imports import xlsx
from tests.org.test_import_views import logged_in
from tidecrm.core import imports as framework
from tidecrm.core.models import TimelineEvent
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import config, services
from tidecrm.customers import imports as customer_imports
from tidecrm.customers.models import Contact, Customer, CustomerFlow, CustomerTag, Library
from tidecrm.org import services as org_services
from tidecrm.rules import holding

HEADERS = ["客户名称*", "联系人", "手机", "性别", "职务", "邮箱", "QQ", "微信", "来源", "描述", "标签"]


def row(
    name, contact, mobile, *, gender="", title="", email="", qq="", wechat="", source="", remark="", tags=""
):
    return [name, contact, mobile, gender, title, email, qq, wechat, source, remark, tags]


def run(actor, rows, capture, *, kind="customer", options=None, headers=HEADERS, content=None):
    with capture(execute=True):
        job = framework.import_start(
            actor=actor,
            kind=kind,
            file_name="客户.xlsx",
            content=content or xlsx([headers, *rows]),
            options=options,
        )
    job.refresh_from_db()
    return job


def reasons(job):
    """{customer name or contact name: 失败原因} of the failure file."""
    headers, failed = framework.failure_rows(job)
    assert headers[-1] == "失败原因"
    return {(r[0] or r[1]): r[-1] for r in failed}


def create(actor, name, mobile, contact="联系人", **values):
    return services.customer_create(
        actor=actor, name=name, contacts=[{"name": contact, "mobile": mobile}], **values
    )


def limit_customers(actor, default=None, **per_employee):
    holding.settings_put(
        actor=actor,
        data={
            "customer": {
                "default_limit": default,
                "rules": [
                    {"name": f"上限{i}", "limit": limit, "employee_ids": [employee.pk]}
                    for i, (employee, limit) in enumerate(per_employee.values())
                ],
            }
        },
    )


@pytest.fixture
def tags(bound):
    intent = config.tag_group_create(actor=bound, name="意向", multiple=False, tags=("高", "低"))
    trade = config.tag_group_create(actor=bound, name="行业", tags=("制造", "零售"))
    config.tag_group_create(actor=bound, name="地区", tags=("华东", "制造"))  # 制造 twice: ambiguous
    found = {(t.group.name, t.name): t.pk for t in intent.tags.select_related("group")}
    found.update({(t.group.name, t.name): t.pk for t in trade.tags.select_related("group")})
    return found


def test_mixed_rows_exact_counts_and_reasons(bound, tags, django_capture_on_commit_callbacks):
    admin = bound
    zhang = factories.employee(admin, name="张三")
    create(zhang, "已存在科技有限公司", "13800000001")
    pooled = create(zhang, "公海公司", "13800000002")
    services.customer_release(actor=zhang, customer_id=pooled.pk)
    rows = [
        row(
            "甲公司",
            "王一",
            "13811110000",
            gender="男",
            title="经理",
            email="a@x.com",
            qq="12345",
            wechat="wx1",
            source="展会",
            remark="描述甲",
            tags="高、行业/制造",
        ),
        row("", "缺客户名", "13811110001"),
        row("缺联系人公司", "", "13811110002"),
        row("坏手机公司", "赵四", "12345"),
        row("空手机公司", "钱五", ""),
        row("已存在科技（有限公司）", "孙六", "13811110005"),
        row("手机在公海公司", "周七", "138 0000 0002"),
        row("未知标签公司", "郑九", "13811110008", tags="高,不存在"),
        row("甲公司有限公司", "王十", "13811110009"),
        row("同手机公司", "冯一", "+86 138-1111-0000"),
        row("单选两个公司", "陈二", "13811110011", tags="高，低"),
        row("坏邮箱公司", "褚三", "13811110012", email="abc"),
        row("坏性别公司", "卫四", "13811110013", gender="男女"),
        row("重名标签公司", "蒋五", "13811110014", tags="制造"),
        row("", "多错", "999", wechat="w" * 41),
        row("乙公司", "李二", "+86 138-2222-0000", source="转介绍", tags="行业/零售；行业/制造"),
    ]
    job = run(admin, rows, django_capture_on_commit_callbacks)
    assert (job.status, job.total, job.succeeded, job.failed) == ("done", 16, 2, 14)
    assert framework.failure_rows(job)[0] == [*HEADERS, "失败原因"]
    assert reasons(job) == {
        "缺客户名": "请填写客户名称",
        "缺联系人公司": "请填写联系人姓名",
        "坏手机公司": "手机号格式错误",
        "空手机公司": "请填写手机号",
        "已存在科技（有限公司）": "客户已存在（跟进人：张三）",
        "手机在公海公司": "客户已存在于公海",
        "未知标签公司": "标签“不存在”不存在",
        "甲公司有限公司": "文件内重复（与第 2 行）",
        "同手机公司": "文件内重复（与第 2 行）",
        "单选两个公司": "标签组“意向”只能选一个标签",
        "坏邮箱公司": "邮箱格式错误",
        "坏性别公司": "性别只能填 男、女 或 未知",
        "重名标签公司": "标签“制造”在多个标签组中重名，请写成 标签组/标签",
        "多错": "请填写客户名称；手机号格式错误；微信不能超过40个字",
    }
    # The failed rows are written back exactly as uploaded.
    failed = {r[1]: r for r in framework.failure_rows(job)[1]}
    assert failed["周七"][:-1] == row("手机在公海公司", "周七", "138 0000 0002")
    jia = Customer.objects.get(name="甲公司")
    contact = Contact.objects.get(customer=jia)
    assert (
        contact.name,
        contact.mobile,
        contact.gender,
        contact.title,
        contact.email,
        contact.qq,
        contact.wechat,
    ) == ("王一", "13811110000", "male", "经理", "a@x.com", "12345", "wx1")
    assert (jia.source, jia.remark, jia.owner_id, jia.state) == ("展会", "描述甲", admin.pk, "owned")
    assert set(CustomerTag.objects.filter(customer=jia).values_list("tag_id", flat=True)) == {
        tags[("意向", "高")],
        tags[("行业", "制造")],
    }
    yi = Customer.objects.get(name="乙公司")
    assert Contact.objects.get(customer=yi).mobile == "13822220000"
    assert set(CustomerTag.objects.filter(customer=yi).values_list("tag_id", flat=True)) == {
        tags[("行业", "零售")],
        tags[("行业", "制造")],
    }


def _shape(customer):
    """What makes a customer what it is, without its identity, name and times."""
    values = model_to_dict(
        customer, exclude=["id", "name", "name_key", "created_at", "updated_at", "acquired_at", "released_at"]
    )
    contacts = [
        model_to_dict(c, exclude=["id", "customer", "created_at", "name", "name_key", "mobile"])
        for c in Contact.objects.filter(customer=customer)
    ]
    flows = [
        (f.kind, f.from_owner_id, f.to_owner_id, f.operator_id)
        for f in CustomerFlow.objects.filter(customer=customer)
    ]
    events = [
        (e.verb, e.actor_id, e.object_label == customer.name, e.changes)
        for e in TimelineEvent.objects.filter(object_type="customer", object_id=customer.pk)
    ]
    return {
        "customer": values,
        "times": (customer.acquired_at is not None, customer.released_at is not None),
        "contacts": contacts,
        "tags": sorted(CustomerTag.objects.filter(customer=customer).values_list("tag_id", flat=True)),
        "flows": flows,
        "events": events,
    }


@pytest.mark.parametrize("to_pool", [False, True])
def test_an_imported_customer_is_what_customer_create_makes(
    bound, tags, to_pool, django_capture_on_commit_callbacks
):
    admin = bound
    rep = factories.employee(admin, name="销售甲")
    made = services.customer_create(
        actor=admin,
        name="手工公司",
        owner=None if to_pool else rep,
        to_pool=to_pool,
        source="展会",
        remark="说明",
        tag_ids=[tags[("意向", "高")]],
        contacts=[
            {
                "name": "王",
                "mobile": "13900000001",
                "gender": "female",
                "title": "总监",
                "email": "w@x.cn",
                "qq": "888",
                "wechat": "wx",
            }
        ],
    )
    job = run(
        admin,
        [
            row(
                "导入公司",
                "李",
                "13900000002",
                gender="女",
                title="总监",
                email="w@x.cn",
                qq="888",
                wechat="wx",
                source="展会",
                remark="说明",
                tags="高",
            )
        ],
        django_capture_on_commit_callbacks,
        kind="customer_pool" if to_pool else "customer",
        options={} if to_pool else {"owner_ids": [rep.pk]},
    )
    assert (job.succeeded, job.failed) == (1, 0)
    imported = Customer.objects.get(name="导入公司")
    expected = _shape(made)
    expected["flows"] = [("import", None, None if to_pool else rep.pk, admin.pk)]
    expected["events"] = [("customer.import", *expected["events"][0][1:])]
    assert _shape(imported) == expected
    assert imported.stage_id == config.first_stage().pk
    assert imported.library_id == config.default_library().pk


def test_round_robin_skips_owners_at_their_limit_mid_file(
    bound, django_capture_on_commit_callbacks, monkeypatch
):
    admin = bound
    a = factories.employee(admin, name="甲")
    b = factories.employee(admin, name="乙")
    c = factories.employee(admin, name="丙")
    create(a, "甲已有公司", "13700000000")
    limit_customers(admin, a=(a, 2), b=(b, 3), c=(c, 1))  # capacity left: a 1, b 3, c 1
    monkeypatch.setattr(framework, "CHUNK_ROWS", 3)  # several chunks: turn and duplicates carry over
    rows = [
        row("公司0", "人0", "13700000010"),  # a (a full now)
        row("公司1", "人1", "13700000011"),  # b
        row("甲已有公司", "人2", "13700000012"),  # duplicate: nobody's turn is spent
        row("公司3", "人3", "13700000013"),  # c (c full now)
        row("公司4", "人4", "13700000014"),  # b (a skipped)
        row("公司1", "人5", "13700000015"),  # repeats row 3 of the file, in the next chunk
        row("公司6", "人6", "13700000016"),  # b (b full now)
        row("公司7", "人7", "13700000017"),  # nobody left
        row("公司8", "人8", "13700000018"),  # nobody left
    ]
    job = run(admin, rows, django_capture_on_commit_callbacks, options={"owner_ids": [a.pk, b.pk, c.pk]})
    assert (job.total, job.succeeded, job.failed) == (9, 5, 4)
    assert reasons(job) == {
        "甲已有公司": "客户已存在（跟进人：甲）",
        "公司1": "文件内重复（与第 3 行）",
        "公司7": "超过客户保有量上限",
        "公司8": "超过客户保有量上限",
    }
    owners = dict(Customer.objects.filter(name__startswith="公司").values_list("name", "owner__name"))
    assert owners == {"公司0": "甲", "公司1": "乙", "公司3": "丙", "公司4": "乙", "公司6": "乙"}
    assert {e.pk: holding.usage(e, "customer")[0] for e in (a, b, c)} == {a.pk: 2, b.pk: 3, c.pk: 1}


def test_importer_owns_by_default_and_a_full_importer_fails_rows(bound, django_capture_on_commit_callbacks):
    admin = bound
    limit_customers(admin, default=1)
    job = run(
        admin,
        [row("一号", "甲", "13600000001"), row("二号", "乙", "13600000002")],
        django_capture_on_commit_callbacks,
    )
    assert (job.succeeded, job.failed) == (1, 1)
    assert reasons(job) == {"二号": "超过客户保有量上限"}
    assert Customer.objects.get().owner_id == admin.pk


def test_pool_import_lands_in_the_chosen_librarys_pool(bound, django_capture_on_commit_callbacks):
    admin = bound
    rep = factories.employee(admin, name="老王")
    department = org_services.department_create(actor=admin, name="二部")
    second = config.library_create(actor=admin, name="二库", department_ids=[department.pk])
    create(rep, "默认库公司", "13500000001")
    rows = [
        row("默认库公司", "新人", "13500000009"),  # refused: cross-library twins are not allowed
        row("新公司", "赵", "13500000002"),
        row("另一家", "钱", "135 0000 0001"),  # rep's contact mobile
    ]
    job = run(
        admin,
        rows,
        django_capture_on_commit_callbacks,
        kind="customer_pool",
        options={"library_id": second.pk},
    )
    assert (job.succeeded, job.failed) == (1, 2)
    assert reasons(job) == {
        "默认库公司": "客户已存在（跟进人：老王）",
        "另一家": "客户已存在（跟进人：老王）",
    }
    pooled = Customer.objects.get(name="新公司")
    assert (pooled.state, pooled.owner_id, pooled.library_id, pooled.acquired_at) == (
        "pool",
        None,
        second.pk,
        None,
    )
    assert pooled.released_at is not None
    assert list(CustomerFlow.objects.filter(customer=pooled).values_list("kind", "to_owner_id")) == [
        ("import", None)
    ]

    config.settings_update(actor=admin, cross_library_duplicates=True)  # each library checks itself only
    job = run(
        admin,
        [rows[0], rows[2]],
        django_capture_on_commit_callbacks,
        kind="customer_pool",
        options={"library_id": second.pk},
    )
    assert (job.succeeded, job.failed) == (2, 0)
    assert set(Customer.objects.filter(library=second).values_list("name", flat=True)) == {
        "新公司",
        "默认库公司",
        "另一家",
    }

    # Default library: the caller's; the twin in its own pool now names 公海.
    job = run(
        admin, [row("新公司", "孙", "13500000003")], django_capture_on_commit_callbacks, kind="customer_pool"
    )
    assert (job.succeeded, job.failed) == (1, 0)
    job = run(
        admin, [row("新公司", "孙", "13500000003")], django_capture_on_commit_callbacks, kind="customer_pool"
    )
    assert reasons(job) == {"新公司": "客户已存在于公海"}

    # The target library's rule decides: matching on contact mobile only lets a name twin in.
    config.library_update(actor=admin, library_id=second.pk, duplicate_fields=["contact_mobile"])
    job = run(
        admin,
        [row("新公司", "周", "13500000004"), row("新公司", "吴", "13500000002")],
        django_capture_on_commit_callbacks,
        kind="customer_pool",
        options={"library_id": second.pk},
    )
    assert (job.succeeded, job.failed) == (1, 1)
    assert framework.failure_rows(job)[1][0][-1] == "客户已存在于公海"


def test_owned_import_follows_each_owners_library(bound, django_capture_on_commit_callbacks):
    admin = bound
    department = org_services.department_create(actor=admin, name="二部")
    second = config.library_create(actor=admin, name="二库", department_ids=[department.pk])
    other = factories.employee(admin, name="二部员工", departments=[department], main_department=department)
    job = run(
        admin,
        [row("二部的客户", "甲", "13400000001")],
        django_capture_on_commit_callbacks,
        options={"owner_ids": [other.pk]},
    )
    assert job.succeeded == 1
    assert Customer.objects.get().library_id == second.pk


def test_pool_import_refused_for_an_unknown_library(bound, django_capture_on_commit_callbacks):
    with pytest.raises(Exception) as caught:
        run(
            bound,
            [row("甲", "乙", "13400000002")],
            django_capture_on_commit_callbacks,
            kind="customer_pool",
            options={"library_id": 999999},
        )
    assert getattr(caught.value, "code", "") == "validation_error"
    assert not Customer.objects.exists()


def test_inactive_or_unknown_owner_refuses_the_job(bound, django_capture_on_commit_callbacks):
    gone = factories.employee(bound, name="离职者")
    org_services.employee_resign(actor=bound, employee=gone)
    for owner_ids in ([gone.pk], [999999]):
        with pytest.raises(Exception) as caught:
            run(
                bound,
                [row("甲", "乙", "13400000003")],
                django_capture_on_commit_callbacks,
                options={"owner_ids": owner_ids},
            )
        assert getattr(caught.value, "code", "") == "validation_error"
    assert not Customer.objects.exists()


def test_gbk_csv_with_synonym_headers(bound, django_capture_on_commit_callbacks):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(
        [
            ["企业名称", "联系人姓名", "联系电话", "备注", "客户类型"],
            ["赵氏有限公司", "赵六", "133 0000 0001", "老客户介绍", "个人客户"],
        ]
    )
    job = run(bound, [], django_capture_on_commit_callbacks, content=buffer.getvalue().encode("gb18030"))
    assert (job.succeeded, job.failed) == (1, 0)
    customer = Customer.objects.get()
    assert (customer.name, customer.name_key, customer.remark, customer.kind) == (
        "赵氏有限公司",
        "赵氏",
        "老客户介绍",
        "personal",
    )
    assert Contact.objects.get().mobile == "13300000001"


def test_a_file_without_the_required_columns_is_refused(bound, django_capture_on_commit_callbacks):
    with pytest.raises(Exception) as caught:
        run(bound, [["甲公司", "13300000002"]], django_capture_on_commit_callbacks, headers=["客户", "手机"])
    assert caught.value.code == "missing_columns" and caught.value.details["missing"] == ["联系人"]


# ---------------------------------------------------------------- the rule in memory = the rule in the database


def test_in_memory_duplicate_rule_matches_find_duplicate(bound):
    """Every rule (keys × any/all) and probe gives the same holder as services.find_duplicate."""
    admin = bound
    rep = factories.employee(admin, name="甲")
    create(rep, "阿尔法有限公司", "13200000001", contact="张伟")
    create(rep, "贝塔", "13200000002", contact="李娜")
    pooled = create(admin, "伽马", "13200000003", contact="张伟")
    services.customer_release(actor=admin, customer_id=pooled.pk)
    binned = create(admin, "德尔塔", "13200000004", contact="王芳")
    services.customer_delete(actor=admin, customer_id=binned.pk)
    library = config.default_library()
    probes = list(
        itertools.product(
            ("阿尔法", "伽马", "德尔塔", "新名"),
            ("张伟", "李娜", "王芳", "新人"),
            ("13200000001", "13200000003", "13200000004", "13299999999"),
        )
    )
    fields_options = [
        ["customer_name"],
        ["contact_name"],
        ["contact_mobile"],
        ["customer_name", "contact_name"],
        ["customer_name", "contact_mobile"],
        ["contact_name", "contact_mobile"],
        ["customer_name", "contact_name", "contact_mobile"],
    ]
    for fields, match, cross in itertools.product(fields_options, ("any", "all"), (False, True)):
        config.settings_update(actor=admin, cross_library_duplicates=cross)
        Library.objects.filter(pk=library.pk).update(duplicate_fields=fields, duplicate_match=match)
        library.refresh_from_db()
        rows = [
            {"keys": {"customer_name": name, "contact_name": contact, "contact_mobile": mobile}}
            for name, contact, mobile in probes
        ]
        index = customer_imports._existing_index(rows, [library], per_library=cross)
        for probe in rows:
            keys = probe["keys"]
            found = services.find_duplicate(
                library,
                name_key=keys["customer_name"],
                contact_names=[keys["contact_name"]],
                mobiles=[keys["contact_mobile"]],
            )
            ref = index.match(library, keys, per_library=cross)
            assert (ref[0][1] if ref else None) == (found[0].pk if found else None), (fields, match, keys)


# ---------------------------------------------------------------- API, pages, permissions


def _post(client, path, content, **data):
    return client.client.post(
        f"/api/v1{path}",
        {"file": SimpleUploadedFile("客户.xlsx", content), **data},
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )


def test_api_imports_and_permissions(enterprise, django_capture_on_commit_callbacks):
    admin = enterprise
    rep = factories.employee(admin, name="销售")
    with tenant_context(admin.tenant):
        importer_role = org_services.role_create(
            actor=admin, name="导入员", permissions=["customer.create", "customer.import"]
        )
    importer = factories.employee(admin, name="导入员", role_keys=(), roles=[importer_role])
    content = xlsx([HEADERS, row("接口公司", "甲", "13100000001"), row("", "乙", "13100000002")])
    client = ApiClient(factories.token_for(admin))
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, "/customers/imports", content, owner_ids=[rep.pk])
    assert response.status_code == 202, response.content
    job = client.get(f"/imports/{response.json()['id']}").json()
    assert (job["kind"], job["status"], job["succeeded"], job["failed"]) == ("customer", "done", 1, 1)
    failures = client.get(f"/imports/{job['id']}/failures")
    assert failures.status_code == 200 and failures["Content-Type"].startswith("application/vnd.openxml")
    with django_capture_on_commit_callbacks(execute=True):
        pooled = _post(
            client, "/customers/pool-imports", xlsx([HEADERS, row("公海接口公司", "丙", "13100000003")])
        )
    assert pooled.status_code == 202, pooled.content
    assert client.get(f"/imports/{pooled.json()['id']}").json()["succeeded"] == 1
    with tenant_context(admin.tenant):
        assert Customer.objects.get(name="接口公司").owner_id == rep.pk
        assert Customer.objects.get(name="公海接口公司").state == "pool"

    def refused(employee, path, **data):
        api = ApiClient(factories.token_for(employee))
        answer = _post(api, path, content, **data)
        return answer.status_code, answer.json()["code"]

    assert refused(rep, "/customers/imports") == (403, "permission_denied")  # no customer.import
    assert refused(importer, "/customers/pool-imports") == (403, "permission_denied")  # no customer.assign
    assert refused(importer, "/customers/imports", owner_ids=[rep.pk]) == (
        403,
        "permission_denied",
    )  # no transfer
    with django_capture_on_commit_callbacks(execute=True):
        mine = _post(ApiClient(factories.token_for(importer)), "/customers/imports", content)
    assert mine.status_code == 202
    with tenant_context(admin.tenant):
        assert Customer.objects.filter(owner=importer).count() == 0  # "接口公司" already exists
        assert (
            ApiClient(factories.token_for(importer)).get(f"/imports/{mine.json()['id']}").json()["failed"]
            == 2
        )


def test_import_pages_show_the_options_and_the_template(enterprise):
    htmx = {"HTTP_HX_REQUEST": "true"}
    client = logged_in(enterprise)
    page = client.get("/imports/customer/new/", **htmx).content.decode()
    assert 'name="owner_ids"' in page and "轮流分配" in page
    pool_page = client.get("/imports/customer_pool/new/", **htmx).content.decode()
    assert 'name="library_id"' in pool_page and "默认客户库" in pool_page
    template = client.get("/imports/customer/template/")
    assert template.status_code == 200
    first = CalamineWorkbook.from_filelike(io.BytesIO(template.content)).get_sheet_by_index(0).to_python()[0]
    assert first[:3] == ["客户名称*", "联系人*", "手机号*"]
    assert client.get("/imports/customer_pool/").status_code == 200
