"""The sections other apps add to the customer detail (SPEC CUST-05): the drawer and the full
page ask every section registered at :data:`tidecrm.core.hooks.DETAIL_SECTIONS` for its part of
the template context, so an app above customers (sales: the customer's opportunities and
contracts) plugs in without customers importing it."""

from tidecrm.core import hooks


def detail_sections_context(actor, customer):
    """The context every registered section adds to the customer detail, in registration order."""
    context = {}
    for section in hooks.keyed(hooks.DETAIL_SECTIONS).values():
        context.update(section(actor, customer))
    return context
