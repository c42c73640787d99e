"""The HTTP service: a read-only SPARQL 1.1 endpoint (FastAPI + uvicorn, killable workers)."""
