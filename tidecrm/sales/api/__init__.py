"""Open API: sales (API.md "Sales") — opportunity stages, opportunities, products, contracts with
their payment plans, payments and invoices, approvals, orders.

One module per sub-domain, each with its own router, mounted here in the order the endpoints were
registered when this was one module: django-ninja matches paths in registration order, and the
OpenAPI document lists them in it."""

from ninja import Router

from . import approvals, contracts, money, opportunities, orders, products, stages

router = Router(tags=["sales"])
router.add_router("", stages.router)
router.add_router("", opportunities.router)
router.add_router("", contracts.router)
router.add_router("", money.router)
router.add_router("", approvals.router)
router.add_router("", products.router)
router.add_router("", orders.router)
