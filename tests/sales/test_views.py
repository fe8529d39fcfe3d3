"""Sales pages: every page renders, row actions follow OPP-02 by status, the kanban drag changes
the stage (and refuses a won opportunity), the money modals ask before an overpayment, the
approval to-do list decides, and the list queries stay constant with the number of rows."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.conftest import mark_sudo
from tests.org.test_import_views import logged_in
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import services as customer_services
from tidecrm.sales import config, services
from tidecrm.sales.models import Contract, ContractSettings, Opportunity, StageHistory

HTMX = {"HTTP_HX_REQUEST": "true"}
_mobiles = itertools.count(13600000000)


def _customer(actor, name):
    return customer_services.customer_create(
        actor=actor, name=name, contacts=[{"name": "联系人", "mobile": str(next(_mobiles))}]
    )


@pytest.fixture
def world(enterprise):
    owner = enterprise
    with tenant_context(owner.tenant):
        customer = _customer(owner, "海风贸易有限公司")
        category = services.category_create(actor=owner, name="软件")
        product = services.product_create(
            actor=owner, name="CRM 标准版", category_id=category.pk, price="1000.00", unit="套"
        )
        opportunities = {
            status: services.opportunity_create(
                actor=owner, customer_id=customer.pk, name=f"商机-{status}", amount="5000"
            )
            for status in ("open", "won", "lost")
        }
        services.opportunity_win(actor=owner, opportunity_id=opportunities["won"].pk)
        services.opportunity_lose(actor=owner, opportunity_id=opportunities["lost"].pk, reason="价格")
        contract = services.contract_create(
            actor=owner, customer_id=customer.pk, title="年度服务合同", amount="10000"
        )
    return {
        "owner": owner,
        "customer": customer,
        "product": product,
        "category": category,
        "opportunities": opportunities,
        "contract": contract,
    }


def test_pages_render(world):
    client = mark_sudo(logged_in(world["owner"]))  # the settings pages among them
    opportunity, contract = world["opportunities"]["open"], world["contract"]
    paths = [
        "/sales/opportunities/",
        "/sales/opportunities/?status=won&stage_id=1&q=商机&created_from=2020-01-01",
        "/sales/opportunities/board/",
        "/sales/opportunities/new/",
        f"/sales/opportunities/new/?customer_id={world['customer'].pk}",
        f"/sales/opportunities/{opportunity.pk}/drawer/",
        f"/sales/opportunities/{opportunity.pk}/edit/",
        f"/sales/opportunities/{opportunity.pk}/lose/",
        "/sales/settings/stages/",
        "/sales/products/",
        f"/sales/products/?category_id={world['category'].pk}&on_sale=1",
        "/sales/products/new/",
        f"/sales/products/{world['product'].pk}/edit/",
        "/sales/contracts/",
        "/sales/contracts/?status=draft&signed_from=2020-01-01",
        "/sales/contracts/new/",
        f"/sales/contracts/new/?from_opportunity={opportunity.pk}",
        f"/sales/contracts/opportunity-options/?customer_id={world['customer'].pk}",
        f"/sales/contracts/{contract.pk}/",
        f"/sales/contracts/{contract.pk}/drawer/",
        f"/sales/contracts/{contract.pk}/edit/",
        f"/sales/contracts/{contract.pk}/plans/new/",
        f"/sales/contracts/{contract.pk}/payments/new/",
        f"/sales/contracts/{contract.pk}/invoices/new/",
        "/sales/approvals/",
        "/sales/settings/contracts/",
        f"/customers/{world['customer'].pk}/drawer/",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.content[:300])


def test_navigation_links_to_the_opportunity_list(world):
    html = logged_in(world["owner"]).get("/").content.decode()
    assert 'href="/sales/opportunities/"' in html


def test_row_actions_by_status(world):
    html = logged_in(world["owner"]).get("/sales/opportunities/").content.decode()
    rows = {
        status: html.split(f'data-opportunity-id="{world["opportunities"][status].pk}"')[1].split("</tr>")[0]
        for status in ("open", "won", "lost")
    }
    assert all(action in rows["open"] for action in ("action-win", "action-lose", "action-delete"))
    assert "action-cancel-win" not in rows["open"] and "action-cancel-lose" not in rows["open"]
    assert "action-cancel-win" in rows["won"] and "action-delete" in rows["won"]
    assert "action-win" not in rows["won"] and "action-lose" not in rows["won"]
    assert "action-cancel-lose" in rows["lost"] and "action-delete" in rows["lost"]
    assert "action-win" not in rows["lost"] and "action-cancel-win" not in rows["lost"]


def test_row_actions_change_the_status(world):
    owner, opportunities = world["owner"], world["opportunities"]
    client = logged_in(owner)
    response = client.post(f"/sales/opportunities/{opportunities['open'].pk}/win/", **HTMX)
    assert "已赢单" in response.content.decode() and response["HX-Retarget"] == "#toasts"
    client.post(f"/sales/opportunities/{opportunities['won'].pk}/reopen/", **HTMX)
    response = client.post(
        f"/sales/opportunities/{opportunities['lost'].pk}/lose/", {"reason": "又输了"}, **HTMX
    )
    assert response.status_code == 409  # already lost: the service's refusal, as a toast
    assert "只有未成交的商机可以输单" in response.content.decode()
    client.post(f"/sales/opportunities/{opportunities['lost'].pk}/delete/", **HTMX)
    with tenant_context(owner.tenant):
        statuses = dict(Opportunity.objects.values_list("name", "status"))
        assert statuses == {"商机-open": "won", "商机-won": "open", "商机-lost": "lost"}
        assert Opportunity.objects.get(name="商机-lost").deleted_at is not None


def test_create_from_the_customer_with_product_lines(world):
    owner, customer, product = world["owner"], world["customer"], world["product"]
    client = logged_in(owner)
    detail = client.get(f"/customers/{customer.pk}/drawer/").content.decode()
    assert f"/sales/opportunities/new/?customer_id={customer.pk}" in detail
    assert "商机-open" in detail and "年度服务合同" in detail
    response = client.post(
        "/sales/opportunities/new/",
        {
            "customer_id": customer.pk,
            "name": "二期扩容",
            "amount": "1",
            "lines-0-product_id": product.pk,
            "lines-0-quantity": "3",
            "lines-0-discount": "90",
        },
        **HTMX,
    )
    assert response.status_code == 200 and "商机“二期扩容”已创建" in response.content.decode()
    with tenant_context(owner.tenant):
        created = Opportunity.objects.get(name="二期扩容")
        assert str(created.amount) == "2700.00" and created.owner_id == owner.pk


def test_create_modal_answers_with_its_errors(world):
    response = logged_in(world["owner"]).post(
        "/sales/opportunities/new/",
        {"customer_id": world["customer"].pk, "name": "", "note": "长" * 151},
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "请填写商机名称" in html and "备注不能超过150个字" in html


def test_kanban_drag_changes_the_stage_and_refuses_a_won_one(world):
    owner, opportunities = world["owner"], world["opportunities"]
    client = logged_in(owner)
    with tenant_context(owner.tenant):
        stages = services.stages()
    board = client.get("/sales/opportunities/board/").content.decode()
    assert "商机-open" in board and "商机-won" not in board and "商机-lost" not in board
    response = client.post(
        f"/sales/opportunities/{opportunities['open'].pk}/stage/", {"stage_id": stages[2].pk}, **HTMX
    )
    assert response.status_code == 200
    assert (
        "已移到“方案/报价”" in response.content.decode()
        and 'data-testid="board"' in response.content.decode()
    )
    with tenant_context(owner.tenant):
        moved = Opportunity.objects.get(pk=opportunities["open"].pk)
        assert moved.stage_id == stages[2].pk
        assert StageHistory.objects.filter(opportunity=moved).count() == 2
        won_before = Opportunity.objects.get(pk=opportunities["won"].pk).stage_id
    response = client.post(
        f"/sales/opportunities/{opportunities['won'].pk}/stage/", {"stage_id": stages[0].pk}, **HTMX
    )
    assert response.status_code == 409 and response["HX-Retarget"] == "#toasts"
    assert "赢单" in response.content.decode()
    with tenant_context(owner.tenant):
        assert Opportunity.objects.get(pk=opportunities["won"].pk).stage_id == won_before


def test_kanban_drag_refused_for_a_colleague_out_of_scope(world):
    stranger = factories.employee(world["owner"], name="外人", role_keys=("sales",))
    opportunity = world["opportunities"]["open"]
    response = logged_in(stranger).post(
        f"/sales/opportunities/{opportunity.pk}/stage/", {"stage_id": opportunity.stage_id}, **HTMX
    )
    assert response.status_code == 404


def test_stage_settings_add_and_delete_with_migration(world):
    owner = world["owner"]
    client = mark_sudo(logged_in(owner))
    client.post("/sales/settings/stages/", {"action": "create", "name": "试用", "win_probability": "40"})
    with tenant_context(owner.tenant):
        stages = services.stages()
        trial = next(s for s in stages if s.name == "试用")
        assert stages[-1].name == "成交" and trial.win_probability == 40
        first = stages[0]
    page = client.get("/sales/settings/stages/").content.decode()
    assert "赢单阶段 · 固定" in page
    response = client.post("/sales/settings/stages/", {"action": "delete", "stage_id": first.pk}, follow=True)
    assert "该阶段下还有商机" in response.content.decode()
    client.post("/sales/settings/stages/", {"action": "delete", "stage_id": first.pk, "move_to_id": trial.pk})
    with tenant_context(owner.tenant):
        assert not Opportunity.objects.filter(stage_id=first.pk).exists()


def test_stage_settings_need_the_permission(world):
    sales = factories.employee(world["owner"], name="销售", role_keys=("sales",))
    assert logged_in(sales).get("/sales/settings/stages/").status_code == 403
    assert logged_in(sales).get("/sales/settings/contracts/").status_code == 403


def test_products_read_for_everyone_write_with_product_manage(world):
    sales = factories.employee(world["owner"], name="销售", role_keys=("sales",))
    client = logged_in(sales)
    page = client.get("/sales/products/").content.decode()
    assert "CRM 标准版" in page and "new-product" not in page
    assert client.get("/sales/products/new/", **HTMX).status_code == 403
    owner_client = logged_in(world["owner"])
    response = owner_client.post(f"/sales/products/{world['product'].pk}/toggle/", **HTMX)
    assert "已下架" in response.content.decode()


def test_contract_flow_with_approval_and_overpayment(world):
    owner = world["owner"]
    approver = factories.employee(owner, name="审批人", role_keys=("sales",))
    client = mark_sudo(logged_in(owner))
    response = client.post(
        "/sales/settings/contracts/",
        {"number_prefix": "HT", "approval_enabled": "1", "level1_approver_ids": [approver.pk]},
        follow=True,
    )
    assert "合同设置已保存" in response.content.decode()
    contract = world["contract"]
    response = client.post(f"/sales/contracts/{contract.pk}/submit/", **HTMX)
    assert "已提交审批" in response.content.decode()
    todo = logged_in(approver).get("/sales/approvals/").content.decode()
    assert contract.number in todo and f"/sales/contracts/{contract.pk}/" in todo
    assert "暂无待审批事项" in client.get("/sales/approvals/").content.decode()
    with tenant_context(owner.tenant):
        from tidecrm.office.approvals import pending_for

        request_id = pending_for(approver)[0].pk
    response = logged_in(approver).post(
        f"/sales/approvals/{request_id}/decide/", {"decision": "approve"}, **HTMX
    )
    assert "已同意" in response.content.decode()
    response = client.post(
        f"/sales/contracts/{contract.pk}/payments/new/",
        {"amount": "12000", "received_on": "2025-01-02", "method": "现金"},
        **HTMX,
    )
    assert response.status_code == 422
    assert "confirm_overpay" in response.content.decode() and "确认超额登记" in response.content.decode()
    response = client.post(
        f"/sales/contracts/{contract.pk}/payments/new/",
        {"amount": "12000", "received_on": "2025-01-02", "method": "现金", "confirm_overpay": "1"},
        **HTMX,
    )
    assert "已登记回款" in response.content.decode()
    with tenant_context(owner.tenant):
        contract.refresh_from_db()
        assert contract.status == Contract.Status.APPROVED and str(contract.received_amount) == "12000.00"
    page = client.get(f"/sales/contracts/{contract.pk}/?tab=approvals").content.decode()
    assert "审批人" in page and "同意" in page


def test_contract_from_an_opportunity_opens_in_the_drawer(world):
    owner, opportunity = world["owner"], world["opportunities"]["won"]
    client = logged_in(owner)
    modal = client.get(f"/sales/contracts/new/?from_opportunity={opportunity.pk}", **HTMX).content.decode()
    assert "商机-won" in modal and 'value="5000.00"' in modal
    response = client.post(
        "/sales/contracts/new/",
        {
            "from_opportunity": opportunity.pk,
            "opportunity_id": opportunity.pk,
            "title": "由商机生成",
            "amount": "5000",
        },
        **HTMX,
    )
    assert response.status_code == 200 and response["HX-Retarget"] == "#drawer-slot"
    assert "由商机生成" in response.content.decode() and "action-submit" in response.content.decode()
    again = client.post(
        "/sales/contracts/new/",
        {
            "from_opportunity": opportunity.pk,
            "opportunity_id": opportunity.pk,
            "title": "再来一次",
            "amount": "5000",
        },
        **HTMX,
    )
    assert again.status_code == 422 and "该商机已关联合同" in again.content.decode()


def test_contract_settings_validate(world):
    response = mark_sudo(logged_in(world["owner"])).post(
        "/sales/settings/contracts/", {"number_prefix": "合同!", "approval_enabled": "1"}, follow=True
    )
    html = response.content.decode()
    assert "合同编号前缀为1到10位字母" in html and "至少选择一位一级审批人" in html
    with tenant_context(world["owner"].tenant):
        assert not ContractSettings.objects.filter(approval_enabled=True).exists()


def test_settings_update_records_a_timeline_event(world):
    from tidecrm.core.models import TimelineEvent

    owner = world["owner"]
    with tenant_context(owner.tenant):
        config.contract_settings_update(actor=owner, number_prefix="SC", approval_enabled=False)
        assert services.sales_settings().number_prefix == "SC"
        assert TimelineEvent.objects.filter(verb="contract.settings").exists()


def _more_rows(owner, customer, count):
    for index in range(count):
        opportunity = services.opportunity_create(
            actor=owner, customer_id=customer.pk, name=f"批量商机{index}", amount="100"
        )
        services.contract_create(
            actor=owner,
            customer_id=customer.pk,
            opportunity_id=opportunity.pk,
            title=f"批量合同{index}",
            amount="100",
        )


@pytest.mark.parametrize("path", ["/sales/opportunities/", "/sales/contracts/"])
def test_list_queries_do_not_grow_with_rows(world, path):
    owner = world["owner"]
    client = logged_in(owner)
    with tenant_context(owner.tenant):
        _more_rows(owner, world["customer"], 3 - 1)  # 3 contracts with the world's one
    client.get(path)
    with CaptureQueriesContext(connection) as few:
        response = client.get(path)
    assert (
        response.content.decode().count(
            'data-testid="contract-row"' if "contracts" in path else 'data-testid="opportunity-row"'
        )
        >= 3
    )
    with tenant_context(owner.tenant):
        _more_rows(owner, world["customer"], 27)
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"{path}?page_size=50")
    assert response.status_code == 200
    assert response.content.decode().count('-row" data-') >= 30
    assert len(many) == len(few)
