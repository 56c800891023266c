"""Helpers shared by the `test_rules_*` / `test_render_*` modules (no tests here).

Inputs are Universal-form resources written as Python dicts (JSON is YAML), so every
label is exactly what the test says; they go through the real loader
(`parse_text` → `parse_documents` → `build_index`) and the `_rules` body is read back
through `to_json`, i.e. exactly what `meshtui inspect rules` prints.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from meshtui.engine.index import MeshIndex, build_index
from meshtui.engine.inspect import rules_body, to_json
from meshtui.parse import ContextOptions, parse_documents
from meshtui.sources.files import parse_text
from meshtui.versions import KumaVersion
from tests.engine.matching_support import universal_policy
from tests.versions import V2_10

Json = Any
Doc = dict[str, Any]

MESH = "m"


def mesh(name: str = MESH, **spec: Any) -> Doc:
    """A Universal Mesh."""
    return {"type": "Mesh", "name": name, **spec}


def dataplane(
    name: str = "dp-1",
    *,
    inbounds: Iterable[Mapping[str, Any]] = (),
    labels: Mapping[str, str] | None = None,
    gateway: Mapping[str, Any] | None = None,
    address: str = "10.0.0.1",
    mesh_name: str = MESH,
) -> Doc:
    """A Universal Dataplane (body at the top level)."""
    networking: dict[str, Any] = {"address": address}
    items = [dict(i) for i in inbounds]
    if items:
        networking["inbound"] = items
    if gateway is not None:
        networking["gateway"] = dict(gateway)
    out: Doc = {"type": "Dataplane", "mesh": mesh_name, "name": name, "networking": networking}
    if labels is not None:
        out["labels"] = dict(labels)
    return out


def inbound(port: int, service: str = "web", *, name: str = "", **tags: str) -> dict[str, Any]:
    """One inbound with `kuma.io/service` plus extra tags (`_` in keys is kept as is)."""
    out: dict[str, Any] = {"port": port, "tags": {"kuma.io/service": service, **tags}}
    if name:
        out["name"] = name
    return out


WEB = inbound(8080, name="http")
"""The default inbound: port 8080 named `http`, tags `{kuma.io/service: web}`."""
WEB_INBOUND = {"name": "http", "port": 8080, "tags": {"kuma.io/service": "web"}}
"""`WEB` as the `_rules` API shows it."""


def policy(
    kind: str,
    name: str,
    spec: Mapping[str, Any],
    *,
    labels: Mapping[str, str] | None = None,
    mesh_name: str = MESH,
) -> Doc:
    """A Universal policy (body under `spec`), in mesh `m` unless told."""
    return universal_policy(kind, name, spec, labels, mesh=mesh_name)


def resource(
    kind: str,
    name: str,
    spec: Mapping[str, Any],
    *,
    labels: Mapping[str, str] | None = None,
    mesh_name: str = MESH,
) -> Doc:
    """A Universal MeshService / MeshExternalService / MeshMultiZoneService."""
    return policy(kind, name, spec, labels=labels, mesh_name=mesh_name)


def service(name: str, *ports: tuple[int, str], labels: Mapping[str, str] | None = None) -> Doc:
    """A MeshService with `(port, name)` ports (`""` = unnamed port)."""
    items = []
    for number, port_name in ports or ((80, ""),):
        item: dict[str, Any] = {"port": number, "targetPort": number, "appProtocol": "http"}
        if port_name:
            item["name"] = port_name
        items.append(item)
    return resource("MeshService", name, {"ports": items}, labels=labels)


def external_service(name: str, *, labels: Mapping[str, str] | None = None) -> Doc:
    """A MeshExternalService on port 443."""
    spec = {
        "match": {"type": "HostnameGenerator", "port": 443, "protocol": "tcp"},
        "endpoints": [{"address": "example.com", "port": 443}],
    }
    return resource("MeshExternalService", name, spec, labels=labels)


def to_item(target: Mapping[str, Any], default: Mapping[str, Any]) -> dict[str, Any]:
    """A `to[]` / `from[]` item."""
    return {"targetRef": dict(target), "default": dict(default)}


MESH_REF: dict[str, Any] = {"kind": "Mesh"}


def svc_ref(name: str, **extra: Any) -> dict[str, Any]:
    """`{kind: MeshService, name: …}` plus e.g. `sectionName`, `namespace`."""
    return {"kind": "MeshService", "name": name, **extra}


def yaml_text(*docs: Mapping[str, Any]) -> str:
    """A multi-document YAML stream (each document written as JSON)."""
    return "\n---\n".join(json.dumps(d) for d in docs) + "\n"


def load(
    *docs: Mapping[str, Any],
    mesh_name: str = MESH,
    allow_invalid: bool = False,
    version: KumaVersion = V2_10,
) -> MeshIndex:
    """Parse the documents like the CLI does.

    Any load error fails the test; so does a validation warning unless `allow_invalid`
    (for objects Kuma would reject on write today but that may be stored already).
    """
    contents = parse_text(yaml_text(*docs), "input.yaml")
    assert not contents.problems, contents.problems
    result = parse_documents(contents.documents, ContextOptions(version=version))
    allowed = {"info", "warning"} if allow_invalid else {"info"}
    bad = [str(p) for p in result.problems if p.severity not in allowed]
    assert not bad, bad
    return build_index(result.resources, mesh_name, version=version)


def rules(
    *docs: Mapping[str, Any],
    dp: str = "dp-1",
    mesh_name: str = MESH,
    allow_invalid: bool = False,
    version: KumaVersion = V2_10,
) -> Json:
    """The `_rules` body for `dp`, as printed (parsed back from `to_json`)."""
    index = load(*docs, mesh_name=mesh_name, allow_invalid=allow_invalid, version=version)
    return json.loads(to_json(rules_body(index, index.dataplanes[dp])))


def block(body: Json, policy_type: str) -> Json:
    """The `rules[]` entry of one policy type, or `None` when the type was dropped."""
    found = [b for b in body["rules"] if b["type"] == policy_type]
    assert len(found) <= 1
    return found[0] if found else None


def types(body: Json) -> list[str]:
    """The policy types present, in output order."""
    return [b["type"] for b in body["rules"]]


def meta(
    kind: str, name: str, *, mesh_name: str = MESH, labels: Mapping[str, str] | None = None
) -> Json:
    """A `Meta` object."""
    return {"type": kind, "mesh": mesh_name, "name": name, "labels": dict(labels or {})}


def origin(kind: str, name: str, index: int = 0, **kwargs: Any) -> Json:
    """A `ResourceRuleOrigin`."""
    return {"resourceMeta": meta(kind, name, **kwargs), "ruleIndex": index}


def matcher(key: str, value: str, *, negated: bool = False) -> Json:
    """A legacy `RuleMatcher`."""
    return {"key": key, "value": value, "not": negated}


def resource_rule(res: Json, section: str, confs: list[Json], origins: list[Json]) -> Json:
    """A `ResourceRule`."""
    return {"resourceMeta": res, "resourceSectionName": section, "conf": confs, "origin": origins}


def by_key(resource_rules: Iterable[Json]) -> list[Json]:
    """Resource rules in (name, section) order: Kuma sorts by name only, unstably."""
    return sorted(
        resource_rules, key=lambda r: (r["resourceMeta"]["name"], r["resourceSectionName"])
    )


def mesh_meta(name: str = MESH) -> Json:
    """The `resourceMeta` of a Mesh-keyed resource rule."""
    return meta("Mesh", name, mesh_name="")


def go_matches_json(matches: Sequence[Mapping[str, Any]]) -> str:
    """Go's compact JSON of a MeshHTTPRoute `[]Match` (spec §8.5), written independently.

    Field order `path{value,type}`, `method`, `queryParams[{type,name,value}]`,
    `headers[{type,name,value}]`; `omitempty` on path, method, queryParams, headers and
    on header type/value; `<`, `>`, `&` escaped the way Go's encoder does.
    """
    items = []
    for match in matches:
        out: dict[str, Any] = {}
        if match.get("path"):
            out["path"] = {"value": match["path"]["value"], "type": match["path"]["type"]}
        if match.get("method"):
            out["method"] = match["method"]
        if match.get("queryParams"):
            out["queryParams"] = [
                {"type": q["type"], "name": q["name"], "value": q["value"]}
                for q in match["queryParams"]
            ]
        if match.get("headers"):
            headers = []
            for h in match["headers"]:
                header: dict[str, Any] = {}
                if h.get("type"):
                    header["type"] = h["type"]
                header["name"] = h["name"]
                if h.get("value"):
                    header["value"] = h["value"]
                headers.append(header)
            out["headers"] = headers
        items.append(out)
    text = json.dumps(items, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def go_hash(matches: Sequence[Mapping[str, Any]]) -> str:
    """`base64.StdEncoding(sha256(go_json(matches)))`."""
    digest = hashlib.sha256(go_matches_json(matches).encode()).digest()
    return base64.b64encode(digest).decode()
