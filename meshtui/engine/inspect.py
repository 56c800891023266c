"""The Kuma inspect API bodies (2.10-2.14, as the mesh index's version), computed offline.

- `rules_body`: `GET /meshes/{mesh}/dataplanes/{name}/_rules`.
- `affected_dataplanes_body`: `GET /meshes/{mesh}/{plural}/{name}/_resources/dataplanes`.
- `matched_policies_body`: the policies of one type matched to a dataplane, in merge order.

Field names and nesting follow Kuma's OpenAPI types; keys are emitted in the order Go
emits them (generated structs have alphabetical fields, confs follow their Go struct).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from meshtui.engine import subsets
from meshtui.engine.index import MeshIndex
from meshtui.engine.matching import Listener, select, select_gateway
from meshtui.engine.resource_rules import Origin, ResourceRule
from meshtui.engine.rules import InboundRule, TypeRules, type_rules
from meshtui.engine.tag_rules import LegacyRule
from meshtui.kinds.gojson import canon
from meshtui.model import Dataplane, Policy, Resource
from meshtui.versions import KumaVersion


def meta(resource: Resource, type_: str | None = None) -> dict[str, Any]:
    """`Meta`: labels (never null), mesh, name, type."""
    return {
        "labels": dict(sorted(resource.labels.items())),
        "mesh": resource.mesh,
        "name": resource.name,
        "type": type_ or resource.type,
    }


def all_type_rules(index: MeshIndex, dataplane: Dataplane) -> list[TypeRules]:
    """`MatchedPolicies` for every policy type, in plugin order."""
    gateway = select_gateway(index, dataplane)
    return [type_rules(index, dataplane, kind, gateway=gateway) for kind in index.policy_types]


def rules_body(
    index: MeshIndex, dataplane: Dataplane, *, computed: Sequence[TypeRules] | None = None
) -> dict[str, Any]:
    """The `_rules` response for one dataplane."""
    exclusive = _mesh_services_mode(index) == "Exclusive"
    version = index.version
    http_matches: dict[str, Any] = {}
    blocks = []
    for rules in computed if computed is not None else all_type_rules(index, dataplane):
        if rules.type == "MeshHTTPRoute":
            _collect_http_matches(rules, http_matches, version)
        block = _rule_block(rules, dataplane, exclusive=exclusive, version=version)
        if block is not None:
            blocks.append(block)
    return {
        "httpMatches": [{"hash": h, "match": http_matches[h]} for h in sorted(http_matches)],
        "resource": meta(dataplane.resource),
        "rules": blocks,
    }


def _mesh_services_mode(index: MeshIndex) -> str:
    if index.mesh is None:
        return ""
    mode = index.mesh.spec.get("meshServices")
    return str(mode.get("mode", "")) if isinstance(mode, Mapping) else ""


def _collect_http_matches(rules: TypeRules, into: dict[str, Any], version: KumaVersion) -> None:
    """S8: the route rules' `matches` of the legacy to-rules, and from 2.14 of every
    resource rule too, by hash."""
    from meshtui.engine.tag_rules import hash_matches

    confs = [rule.conf for rule in rules.to_rules]
    if version.http_matches_from_resource_rules:
        confs.extend(conf for rule in rules.resource_rules for conf in rule.confs)
    for conf in confs:
        route_rules = conf.get("rules") if isinstance(conf, Mapping) else None
        for route_rule in route_rules if isinstance(route_rules, list) else []:
            matches = route_rule.get("matches") if isinstance(route_rule, Mapping) else None
            into[hash_matches(matches)] = matches


def _rule_block(
    rules: TypeRules, dataplane: Dataplane, *, exclusive: bool, version: KumaVersion
) -> dict[str, Any] | None:
    # S1: up to 2.13 only the legacy lengths keep a type (its resource rules alone do not)
    kept_by_resources = version.rules_keep_resource_only_types and bool(rules.resource_rules)
    if (
        not rules.to_rules
        and not rules.from_rules
        and not rules.single_rules
        and not kept_by_resources
    ):
        return None
    to_rules = [] if exclusive else [_legacy(rule, rules.type) for rule in rules.to_rules]
    proxy_rule = None
    if rules.single_rules:
        first = rules.single_rules[0]
        proxy_rule = {
            "conf": first.conf,
            "origin": [meta(p.resource, rules.type) for p in first.origins],
        }
    from_rules = [
        {
            "inbound": _inbound(dataplane, listener),
            "rules": [_legacy(r, rules.type) for r in legacy],
        }
        for listener, legacy in _by_port(rules.from_rules)
        if legacy
    ]
    inbound_rules = [
        {
            "inbound": _inbound(dataplane, listener),
            "rules": [_inbound_rule(r, rules.type) for r in merged],
        }
        for listener, merged in _by_port(rules.inbound_rules)
        if merged
    ]
    resource_rules = [_resource_rule(r, rules.type) for r in rules.resource_rules]
    if (
        proxy_rule is None
        and not from_rules
        and not to_rules
        and not resource_rules
        and not inbound_rules
    ):
        return None
    block: dict[str, Any] = {"fromRules": from_rules, "inboundRules": inbound_rules}
    if proxy_rule is not None:
        block["proxyRule"] = proxy_rule
    block["toResourceRules"] = resource_rules
    block["toRules"] = to_rules
    block["type"] = rules.type
    block["warnings"] = list(rules.kuma_warnings)
    return block


def _inbound_rule(rule: InboundRule, policy_type: str) -> dict[str, Any]:
    out: dict[str, Any] = {"conf": list(rule.confs)}
    if rule.match is not None:
        out["match"] = rule.match
    out["origin"] = _origins(rule.origins, policy_type)
    return out


def _by_port(
    per_listener: Mapping[Listener, Sequence[Any]],
) -> list[tuple[Listener, Sequence[Any]]]:
    return sorted(per_listener.items(), key=lambda item: (item[0][1], item[0][0]))


def _legacy(rule: LegacyRule, policy_type: str) -> dict[str, Any]:
    return {
        "conf": rule.conf,
        "matchers": [_matcher(tag) for tag in rule.subset],
        "origin": [meta(p.resource, policy_type) for p in rule.origins],
    }


def _matcher(tag: subsets.Tag) -> dict[str, Any]:
    return {"key": tag.key, "not": tag.not_, "value": tag.value}


def _origins(origins: Sequence[Origin], policy_type: str) -> list[dict[str, Any]]:
    return [
        {"resourceMeta": meta(o.policy.resource, policy_type), "ruleIndex": o.index}
        for o in origins
    ]


def _resource_rule(rule: ResourceRule, policy_type: str) -> dict[str, Any]:
    return {
        "conf": list(rule.confs),
        "origin": _origins(rule.origins, policy_type),
        "resourceMeta": meta(rule.resource),
        "resourceSectionName": rule.section,
    }


def _inbound(dataplane: Dataplane, listener: Listener) -> dict[str, Any]:
    port = listener[1]
    inbound = dataplane.inbound_for_port(port)
    out: dict[str, Any] = {}
    if inbound is not None and inbound.name:
        out["name"] = inbound.name
    out["port"] = port
    if dataplane.is_gateway:
        out["tags"] = dict(sorted(dataplane.gateway_tags.items()))
    else:
        out["tags"] = dict(sorted(inbound.tags.items())) if inbound is not None else None
    return out


def policy_matches(policy: Policy, dataplane: Dataplane, index: MeshIndex) -> bool:
    """Kuma's single-policy `PolicyMatches` (a gateway is looked up for built-in gateways only)."""
    gateway = select_gateway(index, dataplane) if dataplane.gateway_type == "BUILTIN" else None
    return select(policy.resource, policy.target_ref, dataplane, gateway, index).matched


def affected_dataplanes(index: MeshIndex, policy: Policy) -> list[Dataplane]:
    """Every proxy the policy selects (Kuma's `PolicyMatches`), by store name."""
    return [dp for _, dp in sorted(index.dataplanes.items()) if policy_matches(policy, dp, index)]


def affected_dataplanes_body(index: MeshIndex, policy: Policy) -> dict[str, Any]:
    """`_resources/dataplanes` of a policy: every proxy it selects, by name."""
    items = [meta(dp.resource) for dp in affected_dataplanes(index, policy)]
    return {"items": items, "total": len(items)}


def matched_policies_body(
    index: MeshIndex, dataplane: Dataplane, policy_type: str
) -> dict[str, Any]:
    """The policies of `policy_type` matched to the dataplane, lowest priority first."""
    from meshtui.kinds.schemas import schemas_for

    specs = schemas_for(index.version).policy_specs
    gateway = select_gateway(index, dataplane)
    rules = type_rules(index, dataplane, policy_type, gateway=gateway)
    items = [
        {**meta(p.resource), "spec": canon(dict(p.resource.spec), specs[policy_type])}
        for p in rules.matched
    ]
    return {"items": items, "total": len(items)}


def to_json(body: Any) -> str:
    """Go `encoding/json` with one-space indent: HTML characters escaped, trailing newline."""
    text = json.dumps(body, indent=1, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"
