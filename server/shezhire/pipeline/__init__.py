"""The one-way build: data/ttl -> strict parse -> SHACL gate -> materialize -> publish.

No web framework is imported here.
"""
