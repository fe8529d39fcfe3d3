"""Template helpers for the organisation pages."""

from django import template
from django.utils.safestring import mark_safe

from tidecrm.core.templatetags import tide

register = template.Library()


class CaptureNode(template.Node):
    def __init__(self, nodelist, name):
        self.nodelist = nodelist
        self.name = name

    def render(self, context):
        context[self.name] = mark_safe(self.nodelist.render(context))
        return ""


@register.tag
def capture(parser, token):
    """``{% capture as name %}...{% endcapture %}``: render the block into ``name``.

    The shared components (modal, drawer, bulk bar) take their bodies as variables.
    """
    bits = token.split_contents()
    if len(bits) != 3 or bits[1] != "as":
        raise template.TemplateSyntaxError("usage: {% capture as name %}...{% endcapture %}")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[2])


# get_item lives in the shared "tide" library; org templates keep using it through this one.
register.filter("get_item", tide.get_item)


@register.filter
def tree_indent(department):
    """Return full-width spaces that indent a department by its depth in a <select>."""
    return "\u3000" * max(department.depth - 1, 0)
