"""The open API at /api/v1 (API.md): one NinjaAPI, one router per app."""

from ninja import NinjaAPI

from tidecrm.core.api import CallerAuth, JsonParser, JsonRenderer, install_error_handlers
from tidecrm.core.imports_api import router as imports_router
from tidecrm.customers.api import router as customers_router
from tidecrm.customers.api import settings_router as customer_settings_router
from tidecrm.customers.api_io import router as customer_io_router
from tidecrm.leads.api import router as leads_router
from tidecrm.org.api import router as org_router
from tidecrm.rules.api import router as rules_router
from tidecrm.sales.api import router as sales_router
from tidecrm.signin.api import router as accounts_router

api = NinjaAPI(
    title="Tide CRM API",
    version="1",
    description="潮汐CRM 开放接口。认证：`Authorization: Bearer <token>`（`POST /auth/token` 获取）或浏览器会话（需 CSRF）。",
    urls_namespace="api",
    auth=CallerAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    renderer=JsonRenderer(),
    parser=JsonParser(),
)
install_error_handlers(api)
api.add_router("", accounts_router)
api.add_router("", org_router)
api.add_router("", imports_router)
api.add_router("", leads_router)
api.add_router("", rules_router)
api.add_router("", customers_router)
api.add_router("", customer_settings_router)
api.add_router("", customer_io_router)
api.add_router("", sales_router)
