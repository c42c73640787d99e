"""Search across scripts and spellings, and reconciliation for OpenRefine.

* :mod:`shezhire.search.names`: names as keys that match across Cyrillic (Russian, Kazakh)
  and the Latin transliteration schemes (ICU, iuliia), with typos and initials.
* :mod:`shezhire.search.index`: the name index of one build (``name_index(dataset)``).
* :mod:`shezhire.search.facts`: dates, places, kin and sources that reconciliation compares.
* :mod:`shezhire.search.router`: ``/search`` and ``/search/suggest``.
* :mod:`shezhire.search.reconcile`: the W3C Reconciliation API at ``/reconcile``.
* :mod:`shezhire.search.http`: both routers as one, for ``app.include_router``.
"""
