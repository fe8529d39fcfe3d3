"""What sales plugs into: the customer's derived deal status (CUST-09) and ownership moves
(OPP-14, CON-09, POOL-14): opportunities and contracts followed by the old owner go with the
customer — released with it into the pool, restored to whoever claims or receives it; and the
商机 / 合同 tabs of the customer detail (CUST-05), its newest 20 opportunities and contracts."""

from django.utils.translation import gettext_lazy as _

from tidecrm.core import codes, hooks

from . import defaults, selectors
from .models import Contract, Opportunity


def statuses(customer_ids):
    found = {}
    for customer_id, status in Opportunity.objects.filter(
        customer_id__in=customer_ids, deleted_at__isnull=True
    ).values_list("customer_id", "status"):
        found.setdefault(customer_id, []).append(status)
    return found


def follow_customer(customer, old_owner, new_owner, kind, actor):
    for model in (Opportunity, Contract):
        records = model.objects.filter(customer=customer)
        if new_owner is None:  # released, recycled or deleted: remember who held them
            if old_owner is not None:
                records.filter(owner=old_owner).update(owner=None, released_owner=old_owner)
        elif old_owner is None:  # claimed, assigned or restored from the pool
            records.filter(owner__isnull=True).update(owner=new_owner, released_owner=None)
        else:  # transfer, inheritance
            records.filter(owner=old_owner).update(owner=new_owner)


def no_contract_in_approval(customer):
    """CUST-19 (PROPOSED): a customer whose contract is in approval stays with its owner."""
    from django.utils.translation import gettext as _

    from tidecrm.core.errors import BusinessError

    if Contract.objects.filter(customer=customer, status=Contract.Status.PENDING).exists():
        raise BusinessError(codes.CONTRACT_IN_APPROVAL, _("该客户有审批中的合同，不能移入公海"))


def _section(name, key, label, records):
    """A customer-detail section: ``records`` (the newest 20 the caller sees) under ``name`` and
    its tab, rendered by ``sales/_customer_<name>.html``."""
    records = list(records[:20])
    tab = {"key": key, "label": label, "count": len(records), "template": f"sales/_customer_{name}.html"}
    return {name: records, "tab": tab}


def customer_opportunities(actor, customer):
    """The 商机 tab of the customer detail: the opportunities the caller sees, newest 20."""
    return _section(
        "opportunities", "deals", _("商机"), selectors.opportunity_list(actor=actor, customer_id=customer.pk)
    )


def customer_contracts(actor, customer):
    """The 合同 tab of the customer detail: the contracts the caller sees, newest 20."""
    return _section(
        "contracts", "contracts", _("合同"), selectors.contract_list(actor=actor, customer_id=customer.pk)
    )


hooks.register(hooks.DEAL_SOURCES, statuses)
hooks.register(hooks.RELEASE_GUARDS, no_contract_in_approval)
hooks.register(hooks.OWNER_CHANGED, follow_customer)
hooks.register(hooks.DETAIL_SECTIONS, customer_opportunities, key="sales.opportunities")
hooks.register(hooks.DETAIL_SECTIONS, customer_contracts, key="sales.contracts")
hooks.register(hooks.TENANT_CREATED, defaults.seed_defaults)
