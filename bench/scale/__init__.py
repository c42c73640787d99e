"""Issue 11, "a hundred times the graph on one small machine": the scale benchmark.

``python bench/scale_bench.py --scales 1,30,100`` makes the scaled trees (:mod:`.data`),
measures each part and prints one table. Parts: ``build`` (:mod:`.build`). The serving half
adds its own module beside it and registers it in ``bench/scale_bench.py``'s PARTS.
"""
