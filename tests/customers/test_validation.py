"""The customers app's input refusals (422 ``validation_error``, the field named) leave nothing
behind; the recycle bin filters by its 原跟进人; a duplicate in the pool is said to be there."""

import pytest

from tests import factories
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.customers import config, selectors, services
from tidecrm.customers.models import Collaborator, Contact, Customer, CustomerTag, Followup


@pytest.fixture
def world(bound):
    config.default_library(), config.stages()
    owner = bound
    customer = services.customer_create(
        actor=owner, name="甲公司", contacts=[{"name": "张三", "mobile": "13911110001"}]
    )
    other = services.customer_create(
        actor=owner, name="乙公司", contacts=[{"name": "李四", "mobile": "13911110002"}]
    )
    return {"owner": owner, "customer": customer, "other": other}


def _counts():
    return (
        Customer.objects.count(),
        Contact.objects.count(),
        Followup.objects.count(),
        CustomerTag.objects.count(),
        Collaborator.objects.count(),
    )


def refused_field(field, func, **kwargs):
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        func(**kwargs)
    assert (caught.value.code, caught.value.status) == ("validation_error", 422)
    assert field in caught.value.details["fields"], caught.value.details
    assert _counts() == before
    return caught.value


def test_the_input_refusals(world):
    owner, customer, other = world["owner"], world["customer"], world["other"]
    refused_field("contacts", services.customer_create, actor=owner, name="丙公司", contacts=[])
    refused_field(
        "contacts",
        services.customer_create,
        actor=owner,
        name="丙公司",
        contacts=[{"name": "甲", "mobile": "13911110009"}, {"name": "乙", "mobile": "139 1111 0009"}],
    )
    refused_field(
        "stage_id",
        services.customer_create,
        actor=owner,
        name="丙公司",
        contacts=[{"name": "甲", "mobile": "13911110009"}],
        stage_id=10**9,
    )
    refused_field(
        "mobile",
        services.contact_add,
        actor=owner,
        customer_id=customer.pk,
        name="王五",
        mobile="13911110001",
    )
    someone_elses = Contact.objects.get(customer=other)
    refused_field(
        "contact_id",
        services.customer_followup_add,
        actor=owner,
        customer_id=customer.pk,
        content="电话沟通",
        contact_id=someone_elses.pk,
    )
    refused_field(
        "tag_ids", services.customer_set_tags, actor=owner, customer_id=customer.pk, tag_ids=[10**9]
    )
    refused_field("tag_ids", services.customers_add_tags, actor=owner, ids=[customer.pk], tag_ids=[])
    colleague = factories.employee(owner, name="同事")
    refused_field(
        "access",
        services.collaborator_set,
        actor=owner,
        customer_id=customer.pk,
        employee_id=colleague.pk,
        access="admin",
    )
    stage = config.stages()[0]
    refused_field("move_to_id", config.stage_delete, actor=owner, stage_id=stage.pk, move_to_id=10**9)


def test_the_recycle_bin_filters_by_its_former_owner(world):
    owner, customer = world["owner"], world["customer"]
    services.customer_delete(actor=owner, customer_id=customer.pk)
    names = [c.name for c in selectors.customer_list(actor=owner, view="bin", owner_id=owner.pk)]
    assert names == ["甲公司"]


def test_a_duplicate_in_the_pool_is_said_to_be_in_the_pool(world):
    owner = world["owner"]
    services.customer_release(actor=owner, customer_id=world["other"].pk)
    with pytest.raises(BusinessError) as caught:
        services.customer_create(
            actor=owner, name="乙公司", contacts=[{"name": "赵六", "mobile": "13911110003"}]
        )
    assert caught.value.code == "duplicate_customer"
    assert (
        caught.value.message == "客户已存在：乙公司（在公海中）" and caught.value.details["owner"] == "公海"
    )
