"""Issue 11, "a hundred times the graph on one small machine": the scale benchmark.

``python bench/scale_bench.py --scales 1,30,100 --parts build,serve,sparql,pages`` makes the
scaled trees (:mod:`.data`), measures each part and prints one table per part. Parts: ``build``
(:mod:`.build`), which leaves its store to the serving parts ``serve`` (:mod:`.serve`: start-up
and memory), ``sparql`` (:mod:`.sparql`: per query class against oxigraph) and ``pages``
(:mod:`.pages`: person pages and network routes) and ``floor`` (:mod:`.floor`: what any
Python server reaches here, with the minimal server :mod:`.floor_app`). They share
:mod:`.servers` (starting, stopping and measuring ours and ``oxigraph serve-read-only``) and
:mod:`.load` (the keep-alive HTTP load client, also used by ``bench/http_bench.py``).
"""
