"""The sections other apps add to the customer detail (SPEC CUST-05): the drawer and the full
page ask every section registered at :data:`tidecrm.core.hooks.DETAIL_SECTIONS` for its part of
the template context, so an app above customers (sales: the customer's opportunities and
contracts) plugs in without customers importing it or naming its templates.

A section answers ``section(actor, customer) -> dict``: the context its template reads, plus
``tab``: ``{"key", "label", "count", "template"}`` -- the detail shows one tab per section, in
registration order, rendering ``template`` in its panel."""

from tidecrm.core import hooks


def detail_sections_context(actor, customer):
    """The context every registered section adds to the customer detail, and ``detail_tabs``:
    their tabs in registration order."""
    context, tabs = {}, []
    for section in hooks.keyed(hooks.DETAIL_SECTIONS).values():
        part = dict(section(actor, customer))
        tab = part.pop("tab", None)
        if tab:
            tabs.append(tab)
        context.update(part)
    context["detail_tabs"] = tabs
    return context
