"""Regenerate `facts.json` from Kuma's released CRDs (not run by the test suite).

Usage: `python tests/kinds/crds/extract.py /path/to/kuma-crds` where the folder holds one
sub-folder per tag (`v2.10.11`, ...) with the chart's `kuma.io_<plural>.yaml` files, as
`deployments/charts/kuma/crds/` of kumahq/kuma has them at that tag.

Each CRD's `spec` schema is kept with only what meshtui's schema tables model (types,
enums, defaults, required lists, item and number bounds, int-or-string and free-form
markers): descriptions, patterns and lengths are dropped. Identical schemas are stored
once and referenced from every tag that has them.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import yaml

TAGS = ("v2.10.11", "v2.11.18", "v2.12.14", "v2.13.10", "v2.14.3")
PLURALS = (
    "meshaccesslogs",
    "meshcircuitbreakers",
    "meshfaultinjections",
    "meshhealthchecks",
    "meshhttproutes",
    "meshloadbalancingstrategies",
    "meshmetrics",
    "meshpassthroughs",
    "meshproxypatches",
    "meshratelimits",
    "meshretries",
    "meshtcproutes",
    "meshtimeouts",
    "meshtlses",
    "meshtraces",
    "meshtrafficpermissions",
    "meshservices",
    "meshexternalservices",
    "meshmultizoneservices",
    "meshidentities",
    "meshtrusts",
    "workloads",
    "meshopentelemetrybackends",
    "meshzoneaddresses",
)
KEPT = (
    "type",
    "enum",
    "default",
    "required",
    "minItems",
    "minimum",
    "maximum",
    "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields",
)
OUT = Path(__file__).with_name("facts.json")


def reduce(node: dict[str, Any]) -> dict[str, Any]:
    """The facts of one schema node, recursively."""
    out: dict[str, Any] = {key: node[key] for key in KEPT if key in node}
    if "properties" in node:
        out["properties"] = {k: reduce(v) for k, v in sorted(node["properties"].items())}
    if "items" in node:
        out["items"] = reduce(node["items"])
    if isinstance(node.get("additionalProperties"), dict):
        out["additionalProperties"] = reduce(node["additionalProperties"])
    return out


def main(root: Path) -> None:
    schemas: dict[str, Any] = {}
    tags: dict[str, dict[str, str]] = {}
    for tag in TAGS:
        tags[tag] = {}
        for plural in PLURALS:
            path = root / tag / f"kuma.io_{plural}.yaml"
            if not path.exists():
                continue
            crd = yaml.safe_load(path.read_text())
            spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
            facts = reduce(spec)
            text = json.dumps(facts, sort_keys=True)
            digest = hashlib.sha256(text.encode()).hexdigest()[:12]
            schemas[digest] = facts
            tags[tag][plural] = digest
    body = {"tags": tags, "schemas": dict(sorted(schemas.items()))}
    OUT.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
