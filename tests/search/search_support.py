"""What the search tests share: the markup-injecting names of the second server, and the
W3C Reconciliation API schemas with their references resolved locally."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from shezhire.config import BASE_IRI

SHZ = BASE_IRI + "ontology#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
INJECTED = BASE_IRI + "id/person/injected"
INJECTED_LABEL = "<script>alert('label')</script> Injektov"
INJECTED_NAME = 'Injektov <img src=x onerror="alert(1)">'


class Schemas:
    """The specification's JSON Schemas of one version, with their references resolved
    locally (``type.json``, ``lang.json``, the Swagger schema of ``authentication``)."""

    def __init__(self, folder: Path) -> None:
        resources = []
        self.by_name: dict[str, dict[str, Any]] = {}
        for path in sorted(folder.glob("*.json")):
            contents = json.loads(path.read_text(encoding="utf-8"))
            self.by_name[path.stem] = contents
            uri = str(contents.get("$id", path.name)).rstrip("#")
            resources.append((uri, Resource.from_contents(contents, DRAFT7)))
        self.registry: Registry[Any] = Registry().with_resources(resources)

    def validator(self, name: str) -> Draft7Validator:
        return Draft7Validator(self.by_name[name], registry=self.registry)

    def check(self, name: str, document: object) -> None:
        errors = sorted(self.validator(name).iter_errors(document), key=str)
        assert not errors, f"{name}: " + "; ".join(e.message for e in errors[:5])
