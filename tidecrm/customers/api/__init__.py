"""Open API: customers, contacts, collaborators, follow-ups and the journey (API.md "Customers"),
and the customer settings (API.md "Settings": libraries, pool rules, duplicate rules, stages,
tag groups).

One module per sub-domain, each with its own router. ``router`` mounts the customer modules in the
order their endpoints were registered when this was one module -- django-ninja matches paths in
registration order, and the OpenAPI document lists them in it; ``settings_router`` is the
settings module's."""

from ninja import Router

from . import bulk, contacts, customers, followups, settings

router = Router(tags=["customers"])
router.add_router("", customers.router)
router.add_router("", bulk.router)
router.add_router("", contacts.router)
router.add_router("", followups.router)

settings_router = settings.router
