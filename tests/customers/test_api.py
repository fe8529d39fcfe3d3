"""Customers and customer settings API: the permission matrix, bulk answers, constant list queries."""

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.matrix import Case, call
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import config, services
from tidecrm.customers.models import (
    Collaborator,
    Contact,
    Customer,
    CustomerSettings,
    CustomerTag,
    Library,
    Stage,
    Tag,
    TagGroup,
)


@dataclass
class C(Case):
    """A case whose path names records as ``{customer}``, ``{contact}``, ... of world[side]."""

    member: int = 403  # what a 普通员工 (no customer rights, self scope) gets

    def url(self, world, side="own"):
        return self.path.format(**world[side])


def _populate(owner, prefix, mobile_base):
    """Records of every kind the customer routes name, in ``owner``'s enterprise."""
    rep = factories.employee(owner, name=f"{prefix}销售")
    with tenant_context(owner.tenant):
        config.stages()
        group = config.tag_group_create(actor=owner, name=f"{prefix}标签组", tags=[f"{prefix}标签"])
        customer = services.customer_create(
            actor=owner,
            name=f"{prefix}客户",
            contacts=[
                {"name": "张三", "mobile": f"{mobile_base}1"},
                {"name": "李四", "mobile": f"{mobile_base}2"},
            ],
        )
        services.collaborator_set(actor=owner, customer_id=customer.pk, employee_id=rep.pk)
        pool = services.customer_create(
            actor=owner,
            name=f"{prefix}公海客户",
            contacts=[{"name": "王五", "mobile": f"{mobile_base}3"}],
            to_pool=True,
        )
        deleted = services.customer_create(
            actor=owner, name=f"{prefix}已删客户", contacts=[{"name": "赵六", "mobile": f"{mobile_base}4"}]
        )
        services.customer_delete(actor=owner, customer_id=deleted.pk)
        spare = config.stage_create(actor=owner, name=f"{prefix}空进展")
        return {
            "rep": rep.pk,
            "customer": customer.pk,
            "pool": pool.pk,
            "deleted": deleted.pk,
            "contact": Contact.objects.get(customer=customer, is_primary=True).pk,
            "contact2": Contact.objects.get(customer=customer, is_primary=False).pk,
            "collaborator": rep.pk,
            "library": config.library_create(actor=owner, name=f"{prefix}客户库").pk,
            "stage": config.stages()[0].pk,
            "spare_stage": spare.pk,
            "group": group.pk,
            "tag": Tag.objects.get(group=group).pk,
        }


@pytest.fixture
def world(enterprise, other_enterprise):
    owner = enterprise
    member = factories.employee(owner, name="普通员工", role_keys=("member",))
    return {
        "owner": owner,
        "member": member,
        "own": _populate(owner, "本企业", "1391111000"),
        "foreign": _populate(other_enterprise, "外企", "1392222000"),
        "foreign_tenant": other_enterprise.tenant,
    }


def _ids(key):
    return lambda world: {"ids": [world["own"][key]]}


CASES = [
    C("get", "/customers"),
    C("get", "/customers?state=pool"),
    C("get", "/customers?state=deleted", permission="customer.delete"),
    C(
        "post",
        "/customers",
        {"name": "新客户", "contacts": [{"name": "新人", "mobile": "13933330001"}]},
        permission="customer.create",
    ),
    C("get", "/customers/{customer}", record="customer", member=404),
    C("patch", "/customers/{customer}", {"remark": "改"}, record="customer", member=404),
    C("delete", "/customers/{customer}", permission="customer.delete", record="customer", member=404),
    C("post", "/customers/{deleted}/restore", permission="customer.delete", record="deleted", member=404),
    C("put", "/customers/{customer}/tags", {"tag_ids": []}, record="customer", member=404),
    C("post", "/customers/release", _ids("customer"), permission="customer.release"),
    C("post", "/customers/claim", _ids("pool"), permission="customer.claim"),
    C(
        "post",
        "/customers/transfer",
        lambda w: {"ids": [w["own"]["customer"]], "employee_id": w["own"]["rep"]},
        permission="customer.transfer",
    ),
    C(
        "post",
        "/customers/assign",
        lambda w: {"ids": [w["own"]["pool"]], "employee_id": w["own"]["rep"]},
        permission="customer.assign",
    ),
    C("post", "/customers/delete", _ids("customer"), permission="customer.delete"),
    C("post", "/customers/restore", _ids("deleted"), permission="customer.delete"),
    C(
        "post",
        "/customers/{customer}/collaborators",
        lambda w: {"employee_id": w["member"].pk, "access": "write"},
        record="customer",
        member=404,
    ),
    C("delete", "/customers/{customer}/collaborators/{collaborator}", record="customer", member=404),
    C("get", "/customers/{customer}/contacts", record="customer", member=404),
    C(
        "post",
        "/customers/{customer}/contacts",
        {"name": "新联系人", "mobile": "13933330002"},
        record="customer",
        member=404,
    ),
    C("patch", "/contacts/{contact}", {"title": "经理"}, record="contact", member=404),
    C("delete", "/contacts/{contact2}", record="contact", member=404),
    C("get", "/customers/{customer}/followups", record="customer", member=404),
    C("post", "/customers/{customer}/followups", {"content": "电话沟通"}, record="customer", member=404),
    C("get", "/customers/{customer}/timeline", record="customer", member=404),
    C("get", "/followups"),
    # settings
    C("get", "/customer-libraries"),
    C("post", "/customer-libraries", {"name": "新客户库"}, permission="customer.settings"),
    C(
        "patch",
        "/customer-libraries/{library}",
        {"name": "改名库"},
        permission="customer.settings",
        record="library",
    ),
    C("delete", "/customer-libraries/{library}", permission="customer.settings", record="library"),
    C("get", "/settings/pool-rules?library_id={library}", permission="customer.settings", record="library"),
    C(
        "put",
        "/settings/pool-rules?library_id={library}",
        {"daily_claim_limit": 3, "reclaim_cooldown_days": 7},
        permission="customer.settings",
        record="library",
    ),
    C(
        "get",
        "/settings/duplicate-rules?library_id={library}",
        permission="customer.settings",
        record="library",
    ),
    C(
        "put",
        "/settings/duplicate-rules?library_id={library}",
        {"fields": ["customer_name", "contact_mobile"], "match": "all"},
        permission="customer.settings",
        record="library",
    ),
    C("get", "/settings/customer-stages"),
    C("post", "/settings/customer-stages", {"name": "新进展"}, permission="customer.settings"),
    C(
        "patch",
        "/settings/customer-stages/{stage}",
        {"name": "改名进展"},
        permission="customer.settings",
        record="stage",
    ),
    C("delete", "/settings/customer-stages/{spare_stage}", permission="customer.settings", record="stage"),
    C("get", "/settings/tag-groups"),
    C("post", "/settings/tag-groups", {"name": "新标签组", "tags": ["甲"]}, permission="customer.settings"),
    C(
        "patch",
        "/settings/tag-groups/{group}",
        {"color": "red"},
        permission="customer.settings",
        record="group",
    ),
    C("delete", "/settings/tag-groups/{group}", permission="customer.settings", record="group"),
    C(
        "post",
        "/settings/tag-groups/{group}/tags",
        {"name": "新标签"},
        permission="customer.settings",
        record="group",
    ),
    C("delete", "/settings/tags/{tag}", permission="customer.settings", record="tag"),
    C("get", "/settings/customers", permission="customer.settings"),
    C("put", "/settings/customers", {"forbid_delete": True}, permission="customer.settings"),
]


def _snapshot(tenant):
    with tenant_context(tenant):
        return [
            list(model.objects.order_by("pk").values())
            for model in (
                Customer,
                Contact,
                Collaborator,
                CustomerTag,
                Library,
                Stage,
                TagGroup,
                Tag,
                CustomerSettings,
            )
        ]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_anonymous_gets_401(case, world, api):
    response = call(api(), case, world)
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.member != 200 and (c.permission or c.record)], ids=str
)
def test_without_permission_gets_403_and_changes_nothing(case, world, api):
    before = _snapshot(world["owner"].tenant)
    response = call(api(world["member"]), case, world)
    # A customer is out of a 普通员工's sight altogether, so naming it answers 404, not 403.
    code = {403: "permission_denied", 404: "not_found"}[case.member]
    assert (response.status_code, response.json()["code"]) == (case.member, code), response.content
    assert _snapshot(world["owner"].tenant) == before


@pytest.mark.parametrize("case", CASES, ids=str)
def test_allowed_caller_succeeds(case, world, api):
    response = call(api(world["owner"]), case, world)
    assert response.status_code in case.ok, response.content
    if case.method == "post" and case.path.startswith("/customers/") and "ids" in str(case.body):
        assert response.json()["failed"] == [], response.content


@pytest.mark.parametrize("case", [c for c in CASES if c.record], ids=str)
def test_other_enterprise_record_is_404_and_untouched(case, world, api):
    before = _snapshot(world["foreign_tenant"])
    response = call(api(world["owner"]), case, world, side="foreign")
    assert (response.status_code, response.json()["code"]) == (404, "not_found"), response.content
    assert _snapshot(world["foreign_tenant"]) == before


@pytest.mark.parametrize("path", ["claim", "release", "delete", "restore", "tags"])
def test_bulk_with_other_enterprise_ids_fails_per_record(world, api, path):
    before = _snapshot(world["foreign_tenant"])
    foreign = world["foreign"]
    ids = [foreign["customer"], foreign["pool"], foreign["deleted"]]
    body = {"ids": ids, "tag_ids": []} if path == "tags" else {"ids": ids}
    if path == "tags":
        body["tag_ids"] = [world["own"]["tag"]]
    response = api(world["owner"]).post(f"/customers/{path}", body)
    assert response.status_code == 200
    assert response.json() == {
        "succeeded": [],
        "failed": [{"id": i, "code": "not_found", "message": "记录不存在或无权查看"} for i in ids],
    }
    assert _snapshot(world["foreign_tenant"]) == before


def test_bulk_answers_name_each_failure(enterprise, api):
    owner = enterprise
    rep = factories.employee(owner, name="销售甲")
    rep2 = factories.employee(owner, name="销售乙")
    with tenant_context(owner.tenant):
        single = config.tag_group_create(actor=owner, name="意向", multiple=False, tags=["高", "低"])
        high, low = Tag.objects.filter(group=single).order_by("position")

        def new(actor, name, mobile, **values):
            contacts = [{"name": "联系人", "mobile": mobile}]
            return services.customer_create(actor=actor, name=name, contacts=contacts, **values)

        pooled = new(owner, "公海公司", "13944440001", to_pool=True)
        owned = new(rep2, "乙的公司", "13944440002")
        mine = new(rep, "甲的公司", "13944440003", tag_ids=[high.pk])
    client = api(rep)
    body = client.post("/customers/claim", {"ids": [pooled.pk, owned.pk, 99999]}).json()
    assert body["succeeded"] == [pooled.pk]
    assert [(f["id"], f["code"]) for f in body["failed"]] == [
        (owned.pk, "already_claimed"),
        (99999, "not_found"),
    ]
    body = client.post("/customers/release", {"ids": [mine.pk, owned.pk], "reason": "无意向"}).json()
    assert body["succeeded"] == [mine.pk]
    assert [(f["id"], f["code"]) for f in body["failed"]] == [(owned.pk, "not_found")]
    body = client.post("/customers/tags", {"ids": [pooled.pk, owned.pk], "tag_ids": [low.pk]}).json()
    assert body["succeeded"] == [pooled.pk] and body["failed"][0]["code"] == "not_found"
    refused = client.post("/customers/tags", {"ids": [pooled.pk], "tag_ids": [high.pk, low.pk]})
    assert (refused.status_code, refused.json()["code"]) == (422, "validation_error")
    refused = client.put(f"/customers/{pooled.pk}/tags", {"tag_ids": [high.pk, low.pk]})
    assert refused.status_code == 422
    with tenant_context(owner.tenant):
        assert list(CustomerTag.objects.filter(customer=pooled).values_list("tag_id", flat=True)) == [low.pk]
    body = client.post("/customers/transfer", {"ids": [pooled.pk], "employee_id": rep2.pk})
    assert (body.status_code, body.json()["code"]) == (403, "permission_denied")
    duplicate = client.post(
        "/customers", {"name": "乙的公司", "contacts": [{"name": "丙", "mobile": "13944440009"}]}
    )
    assert duplicate.status_code == 409 and duplicate.json()["details"]["owner"] == "销售乙"


def test_customer_list_query_count_is_constant(enterprise, api):
    owner = enterprise
    helper = factories.employee(owner, name="协作人")
    client = api(owner)
    client.get("/me")
    counter = iter(range(1000))

    def add(n):
        with tenant_context(owner.tenant):
            group = TagGroup.objects.first() or config.tag_group_create(
                actor=owner, name="关注", tags=["价格", "服务"]
            )
            tag_ids = list(Tag.objects.filter(group=group).values_list("pk", flat=True))
            for _ in range(n):
                i = next(counter)
                customer = services.customer_create(
                    actor=owner,
                    name=f"客户{i}",
                    contacts=[
                        {"name": "张三", "mobile": f"1375{i:07d}"},
                        {"name": "李四", "mobile": f"1376{i:07d}"},
                    ],
                    tag_ids=tag_ids,
                )
                services.collaborator_set(actor=owner, customer_id=customer.pk, employee_id=helper.pk)

    add(3)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/customers", {"page_size": 100}).json()["total"] == 3
    add(27)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/customers", {"page_size": 100}).json()
    assert body["total"] == 30
    assert all(
        item["collaborator_ids"] == [helper.pk] and len(item["tag_ids"]) == 2 for item in body["items"]
    )
    assert all(item["contacts_count"] == 2 for item in body["items"])
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
