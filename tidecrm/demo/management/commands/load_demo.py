"""Load the demo enterprise (idempotent: a second run keeps the data) and print its logins."""

from django.core.management.base import BaseCommand
from django.db import transaction

from tidecrm.accounts.models import Account, Membership
from tidecrm.core.models import Tenant
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services as org_services
from tidecrm.signin import services as account_services

DEMO_ENTERPRISE = "潮汐演示科技有限公司"
DEMO_PASSWORD = "Demo1234"  # noqa: S105 - the published demo login
# phone, name, title, role key, department
DEMO_PEOPLE = (
    ("13800000001", "李经理", "销售经理", "sales_manager", "销售一部"),
    ("13800000002", "王小明", "销售顾问", "sales", "销售一部"),
    ("13800000003", "赵小红", "销售顾问", "sales", "销售二部"),
    ("13800000004", "孙市场", "市场专员", "marketing_manager", "市场部"),
)
ADMIN_PHONE = "13800000000"


class Command(BaseCommand):
    help = "Load the demo enterprise and print the demo logins."

    def handle(self, *args, **options):
        tenant = self._demo_tenant()
        if tenant is None:
            with transaction.atomic():
                tenant = self._create()
            self.stdout.write(self.style.SUCCESS(f"已创建演示企业：{DEMO_ENTERPRISE}"))
        else:
            self.stdout.write(f"演示企业已存在（企业号 {tenant.code}），保留现有数据。")
        self.stdout.write(f"\n演示账号（密码均为 {DEMO_PASSWORD}）：")
        self.stdout.write(f"  超级管理员  {ADMIN_PHONE}  张总")
        for phone, name, title, _role, department in DEMO_PEOPLE:
            self.stdout.write(f"  {title:<6}  {phone}  {name}（{department}）")
        self.stdout.write("")

    def _demo_tenant(self):
        account = Account.objects.filter(phone=ADMIN_PHONE).first()
        if account is None:
            return None
        membership = Membership.objects.filter(account=account, enterprise__name=DEMO_ENTERPRISE).first()
        return Tenant.objects.get(pk=membership.enterprise_id) if membership else None

    def _create(self):
        result = account_services.enterprise_register(
            enterprise_name=DEMO_ENTERPRISE,
            admin_name="张总",
            phone=ADMIN_PHONE,
            password=DEMO_PASSWORD,
            email="admin@demo.tidecrm.cn",
        )
        tenant = result.employee.tenant
        owner = result.employee
        with tenant_context(tenant):
            sales = org_services.department_create(actor=owner, name="销售中心")
            departments = {
                "销售一部": org_services.department_create(actor=owner, name="销售一部", parent_id=sales.pk),
                "销售二部": org_services.department_create(actor=owner, name="销售二部", parent_id=sales.pk),
                "市场部": org_services.department_create(actor=owner, name="市场部"),
            }
            manager = None
            people = {}
            for phone, name, title, role_key, department in DEMO_PEOPLE:
                account, created = Account.objects.get_or_create(phone=phone)
                if created:
                    account.set_password(DEMO_PASSWORD)
                    account.save(update_fields=["password"])
                employee = org_services.employee_create(
                    actor=owner,
                    account=account,
                    name=name,
                    phone=phone,
                    title=title,
                    role_keys=[role_key],
                    main_department=departments[department],
                    supervisor=manager if role_key == "sales" else None,
                )
                people[name] = employee
                if role_key == "sales_manager":
                    manager = employee
                    for dept in ("销售一部", "销售二部"):
                        org_services.department_update(
                            actor=owner, department=departments[dept], head_id=employee.pk
                        )
            self._demo_leads(owner, people)
            self._demo_customers(owner, people)
            self._demo_sales(owner, people)
        return tenant

    def _demo_sales(self, owner, people):
        """A product catalogue, opportunities at several stages and one signed, part-paid contract."""
        from tidecrm.core import clock
        from tidecrm.customers.models import Customer
        from tidecrm.sales import services as sales_services

        software = sales_services.category_create(actor=owner, name="软件")
        services_cat = sales_services.category_create(actor=owner, name="服务")
        crm = sales_services.product_create(
            actor=owner,
            name="潮汐CRM 标准版",
            category_id=software.pk,
            sku="CRM-STD",
            unit="套",
            price="9800",
        )
        sales_services.product_create(
            actor=owner,
            name="实施服务",
            category_id=services_cat.pk,
            sku="SVC-IMP",
            unit="人天",
            price="2000",
        )
        stages = sales_services.stages()
        rep = people["王小明"]
        customers = list(Customer.objects.filter(owner=rep, state="owned").order_by("pk")[:3])
        for index, customer in enumerate(customers):
            opportunity = sales_services.opportunity_create(
                actor=rep,
                customer_id=customer.pk,
                name=f"{customer.name[:4]} CRM 采购",
                stage_id=stages[min(index + 1, len(stages) - 2)].pk,
                product_lines=[{"product_id": crm.pk, "quantity": index + 1, "discount": 95}],
            )
            if index == 0:
                sales_services.opportunity_win(actor=rep, opportunity_id=opportunity.pk)
                contract = sales_services.contract_create(
                    actor=rep,
                    customer_id=customer.pk,
                    opportunity_id=opportunity.pk,
                    title=f"{customer.name} CRM 采购合同",
                    amount=str(opportunity.amount),
                    signed_on=clock.today(),
                )
                sales_services.contract_submit(actor=rep, contract_id=contract.pk)
                sales_services.payment_add(
                    actor=rep,
                    contract_id=contract.pk,
                    amount="5000",
                    received_on=clock.today(),
                    method="银行转账",
                )

    def _demo_customers(self, owner, people):
        """Tag groups, customers for two salespeople with follow-ups, and a few in the pool."""
        from tidecrm.customers import config as customer_config
        from tidecrm.customers import services as customer_services

        intent = customer_config.tag_group_create(
            actor=owner, name="意向程度", color="red", multiple=False, tags=["高", "中", "低"]
        )
        customer_config.tag_group_create(
            actor=owner, name="客户行业", color="blue", multiple=True, tags=["制造", "零售", "教育", "互联网"]
        )
        intent_tags = {t.name: t.pk for t in intent.tags.all()}
        stages = customer_config.stages()
        rows = [
            ("王小明", "北京华夏建材有限公司", "刘建国", "高", 1),
            ("王小明", "天津港联物流有限公司", "陈思远", "中", 2),
            ("王小明", "青岛海岸食品股份有限公司", "马丽", "高", 3),
            ("王小明", "济南泉城印务有限公司", "赵刚", "低", 0),
            ("王小明", "大连远洋渔业有限公司", "孙海", "中", 1),
            ("赵小红", "成都天府茶业有限公司", "周婷", "高", 2),
            ("赵小红", "重庆山城火锅连锁", "吴磊", "中", 0),
            ("赵小红", "西安古都文旅集团", "郑洁", "低", 1),
            ("赵小红", "昆明春城花卉有限公司", "冯雨", "中", 0),
            ("王小明", "厦门鹭岛科技有限公司", "蒋文", "中", 0),
            ("赵小红", "长沙湘江电器有限公司", "韩梅", "低", 0),
        ]
        notes = [
            "电话沟通，客户对报价有兴趣",
            "微信发送了产品资料",
            "约好下周上门拜访",
            "客户在比较竞品，需跟进",
        ]
        for index, (person, name, contact, intent_name, stage_index) in enumerate(rows):
            employee = people[person]
            customer = customer_services.customer_create(
                actor=employee,
                name=name,
                contacts=[{"name": contact, "mobile": f"1372000{index:04d}", "title": "采购经理"}],
                stage_id=stages[stage_index].pk,
                source=["展会", "官网", "转介绍"][index % 3],
                tag_ids=[intent_tags[intent_name]],
            )
            for note in notes[: index % 3 + 1]:
                customer_services.customer_followup_add(
                    actor=employee,
                    customer_id=customer.pk,
                    content=note,
                    method=["call", "wechat", "visit"][index % 3],
                )
            if index >= 9:
                customer_services.customer_release(actor=employee, customer_id=customer.pk, reason="暂无预算")
                if index == len(rows) - 1:  # 定向公海 (POOL-05): only 销售二部 sees and claims this one
                    customer_services.customers_pool_target(
                        actor=owner,
                        ids=[customer.pk],
                        department_ids=[employee.main_department_id],
                    )
        first = customer_services.duplicate_of(name_key="北京华夏建材")
        if first is not None:
            customer_services.collaborator_set(
                actor=people["王小明"], customer_id=first.pk, employee_id=people["赵小红"].pk, access="write"
            )

    def _demo_leads(self, owner, people):
        """A few leads in each container, so the lead pages have something to show."""
        from tidecrm.leads import services as lead_services

        companies = [
            "杭州云帆科技",
            "上海启明贸易",
            "苏州恒达机械",
            "南京博雅教育",
            "宁波海润物流",
            "合肥智诚软件",
            "无锡金源电子",
            "嘉兴绿野农业",
            "绍兴远航纺织",
            "温州鼎盛鞋业",
            "常州新锐材料",
            "扬州百味食品",
        ]
        sources = ["展会", "官网", "转介绍", "电话营销"]
        for index, company in enumerate(companies):
            lead = lead_services.lead_create(
                actor=owner,
                phone=f"1391000{index:04d}",
                name=f"联系人{index + 1}",
                company_name=company,
                source=sources[index % len(sources)],
            )
            if index < 4:
                lead_services.lead_allocate(actor=owner, lead_id=lead.pk, employee=people["王小明"])
            elif index < 6:
                lead_services.lead_allocate(actor=owner, lead_id=lead.pk, employee=people["赵小红"])
                lead_services.lead_release(actor=people["赵小红"], lead_id=lead.pk, reason="暂无需求")
