"""Shezhire: a SHACL-validated knowledge graph of Soviet Kazakhstan's documented networks."""

__version__ = "0.1.0"
