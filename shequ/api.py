"""The JSON API at /api/v1/: one NinjaAPI, one router per app.

Callers authenticate with an API key (machines) or their logged-in session
(browsers), see ``shequ.exchange.auth``; every error answers in the shape of
``shequ.core.api_errors``. The interactive docs at /api/v1/docs load Swagger UI
from the copy shipped inside django-ninja (``ninja`` is an installed app so its
static files are served): nothing comes from a CDN.
"""

from __future__ import annotations

from ninja import NinjaAPI, Swagger

from shequ.core import api_errors
from shequ.exchange.auth import API_AUTH
from shequ.mailbox.api import ROUTERS as MAILBOX_ROUTERS
from shequ.notices.api import router as notices_router
from shequ.registry.api import ROUTERS as REGISTRY_ROUTERS

DESCRIPTION = """\
Registry, notices and the police-resident mailbox of the Shequ community platform.

Authenticate with `Authorization: Bearer shq_<prefix>_<secret>` or `X-API-Key: shq_<prefix>_<secret>`
(create keys with `python -m django apikey create NAME`), or with a logged-in browser session.
Lists are keyset pages: pass the answer's `next` as `after` for the following page.
Field errors answer 422 `{"detail": [{"field": "residents.2.phone", "code": "...", "message": "..."}]}`;
other errors `{"detail": "...", "code": "..."}` (401, 403, 404 also for rows outside your areas, 409).
"""

api = NinjaAPI(
    title="Shequ API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=API_AUTH,
    # validatorUrl: Swagger UI would otherwise fetch a badge from validator.swagger.io
    docs=Swagger(settings={"validatorUrl": None}),
)
api_errors.install(api)

for prefix, router in [*REGISTRY_ROUTERS, *MAILBOX_ROUTERS]:
    api.add_router(prefix, router)
api.add_router("/notices", notices_router)
