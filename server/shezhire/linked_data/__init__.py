"""Linked data: dereferenceable IRIs, HTML pages, VoID/DCAT, dumps, the home and query pages.

Everything is served by one FastAPI ``APIRouter``, :data:`shezhire.linked_data.router.router`.
"""
