"""The store every route reads: the embedded pyoxigraph store or a remote SPARQL 1.1 endpoint.

:data:`GraphStore` is the one interface (the part of ``pyoxigraph.Store`` the routes call);
``pyoxigraph.Store`` (the embedded default) and :class:`~shezhire.backend.remote.RemoteStore`
are its two implementations. :func:`open_store` opens either from a location: a published
version folder, or a remote query endpoint's URL (what the query workers and the dump process
are given). A remote build is named by :class:`RemoteTarget`, read from the manifest graph
`shezhire publish` writes (:mod:`shezhire.backend.publish`); :mod:`.location` opens either.
"""
