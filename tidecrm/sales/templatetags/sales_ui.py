"""Template helpers of the sales pages."""

from django import template

from ..models import ContractSettings

register = template.Library()


@register.simple_tag
def orders_enabled():
    """Whether the enterprise turned orders on (ORD-04): the 订单 tab shows only then."""
    return ContractSettings.objects.filter(orders_enabled=True).exists()
