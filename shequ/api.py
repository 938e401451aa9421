"""The JSON API at /api/v1/: one NinjaAPI, one router per app."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="Shequ API", version="1", urls_namespace="api-v1")
