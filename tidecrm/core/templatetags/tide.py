from decimal import Decimal

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **changes):
    """Return the current query string with ``changes`` applied (for pagers and sort links)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@register.filter
def money(value):
    """Format yuan as ¥1,089.09 (GEN-04)."""
    if value in (None, ""):
        return "—"
    return f"¥{Decimal(value):,.2f}"
