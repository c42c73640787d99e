"""The search and reconciliation routes as one router: ``app.include_router(router)``."""

from __future__ import annotations

from fastapi import APIRouter

from shezhire.search import reconcile
from shezhire.search import router as search

router = APIRouter()
router.include_router(search.router)
router.include_router(reconcile.router)
