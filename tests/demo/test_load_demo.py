"""The demo enterprise `make run` loads is what the README says it is, and loading twice keeps it."""

from io import StringIO

from django.core.management import call_command

from tidecrm.core.models import Tenant
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import selectors
from tidecrm.customers.models import Customer
from tidecrm.leads.models import Lead
from tidecrm.org.models import Employee


def test_the_demo_matches_the_readme_and_loads_once(db):
    call_command("load_demo", stdout=StringIO())
    output = StringIO()
    call_command("load_demo", stdout=output)
    assert "演示企业已存在" in output.getvalue()
    tenant = Tenant.objects.get()
    with tenant_context(tenant):
        assert Employee.objects.count() == 5
        assert Customer.objects.count() == 11 and Customer.objects.filter(state="pool").count() == 2
        assert Lead.objects.count() == 12
        wang, zhao = Employee.objects.get(name="王小明"), Employee.objects.get(name="赵小红")
        # 定向公海: the pool customer targeted at 销售二部 is 赵小红's to see, not 王小明's.
        assert len(list(selectors.customer_list(actor=zhao, view="pool"))) == 2
        assert len(list(selectors.customer_list(actor=wang, view="pool"))) == 1
        assert len(list(selectors.customer_list(actor=zhao, view="collaborating"))) == 1
