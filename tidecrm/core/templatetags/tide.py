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
def get_item(mapping, key):
    """Return ``mapping[key]`` (or None) for dict lookups by a variable key."""
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def money(value):
    """Format yuan as ¥1,089.09 (GEN-04)."""
    if value in (None, ""):
        return "—"
    return f"¥{Decimal(value):,.2f}"


@register.inclusion_tag("components/field.html", takes_context=True)
def field(
    context,
    name,
    label,
    *,
    type="text",
    required=False,
    hint="",
    placeholder="",
    wrapper="mb-3",
    id=None,
    maxlength=None,
    autocomplete=None,
    inputmode=None,
    autofocus=False,
    errors_for=None,
):  # noqa: A002 - "type" and "id" are the HTML attribute names
    """Render one labelled form input with its error messages and hint (the shared form field).

    The value is taken from ``values`` (the posted form) except for passwords; the errors from
    ``field_errors[name]`` plus any other names listed in ``errors_for`` ("new_password,password").
    """
    field_errors = context.get("field_errors") or {}
    names = [name] + [extra for extra in (errors_for or "").split(",") if extra]
    errors = [text for key in names for text in field_errors.get(key, [])]
    values = context.get("values") or {}
    return {
        "name": name,
        "label": label,
        "type": type,
        "required": required,
        "hint": hint,
        "placeholder": placeholder,
        "wrapper": wrapper,
        "id": id or name,
        "maxlength": maxlength,
        "autocomplete": autocomplete,
        "inputmode": inputmode,
        "autofocus": autofocus,
        "errors": errors,
        "value": "" if type == "password" else (values.get(name) or ""),
    }


@register.filter
def join_list(value):
    """Show a list value of a change log as 甲、乙 (and anything else as it is)."""
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value) or "—"
    return value
