"""The sections other apps add to the customer detail (SPEC CUST-05): the drawer and the full
page ask every registered section for its part of the template context, so an app above
customers (sales: the customer's opportunities and contracts) plugs in without customers
importing it. A section is ``function(actor, customer) -> dict`` registered under a key;
registering a key again replaces the earlier function."""

DETAIL_SECTIONS = []


def register_detail_section(key, function):
    """Add (or replace) the section ``key``: ``function(actor, customer)`` returns context."""
    DETAIL_SECTIONS[:] = [(k, f) for k, f in DETAIL_SECTIONS if k != key]
    DETAIL_SECTIONS.append((key, function))


def detail_sections_context(actor, customer):
    """The context every registered section adds to the customer detail, in registration order."""
    context = {}
    for _key, function in DETAIL_SECTIONS:
        context.update(function(actor, customer))
    return context
