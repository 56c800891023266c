"""Audit of rule building and the `_rules` body (spec `kuma-rules.md` §2.3, §4-§8).

Every expected value below was worked out by hand from the spec (section named in
each test), never copied from meshtui's output. About half of the tests go end to end
through `meshtui inspect rules` with Universal-form YAML written to `tmp_path`, and
compare the whole JSON body.

Conventions: mesh `m`, dataplane `dp` at 10.0.0.1, policies without origin/role labels
(so `system` role, origin rank "absent"), MeshTimeout-like confs.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import pytest

from meshtui.cli import main
from meshtui.engine.resource_rules import legacy_service_name
from meshtui.engine.subsets import (
    Subset,
    SubsetItem,
    Tag,
    build_rules,
    connected_components,
    contains,
    covers,
    enumerate_subsets,
    intersects,
    maximal_cliques,
)
from tests.versions import V2_10

Json = dict[str, Any]

MT = "MeshTimeout"
MTP = "MeshTrafficPermission"
MR = "MeshRetry"
MHR = "MeshHTTPRoute"
MPP = "MeshProxyPatch"
SVC = "kuma.io/service"
HASH = "__rule-matches-hash__"

MESH_DOC = "type: Mesh\nname: m\n"

DP_ONE_INBOUND = """
type: Dataplane
mesh: m
name: dp
networking:
  address: 10.0.0.1
  inbound:
    - port: 8080
      tags:
        kuma.io/service: web
"""
WEB_8080 = {"port": 8080, "tags": {SVC: "web"}}


# ---------------------------------------------------------------------------------------
# helpers


def docs(*parts: str) -> str:
    return "\n---\n".join(p.strip("\n") for p in parts) + "\n"


def inspect_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, dp: str = "dp"
) -> Json:
    """`meshtui inspect rules` on one Universal-form file; the parsed JSON body."""
    path = tmp_path / "input.yaml"
    path.write_text(text)
    status = main(
        ["inspect", "rules", str(path), "--mesh", "m", "--dataplane", dp, "--kuma-version", "2.10"]
    )
    out, err = capsys.readouterr()
    assert status == 0, err
    body: Json = json.loads(out)
    return body


def meta(type_: str, name: str, mesh: str = "m", labels: dict[str, str] | None = None) -> Json:
    return {"type": type_, "mesh": mesh, "name": name, "labels": labels or {}}


def origin(type_: str, name: str, index: int, labels: dict[str, str] | None = None) -> Json:
    return {"resourceMeta": meta(type_, name, labels=labels), "ruleIndex": index}


def match(key: str, value: str, negated: bool = False) -> Json:
    return {"key": key, "value": value, "not": negated}


def legacy(matchers: list[Json], conf: Json, type_: str, *origins: str) -> Json:
    return {"matchers": matchers, "conf": conf, "origin": [meta(type_, o) for o in origins]}


def rrule(resource: Json, section: str, conf: Json, origins: list[Json]) -> Json:
    return {
        "resourceMeta": resource,
        "resourceSectionName": section,
        "conf": [conf],
        "origin": origins,
    }


def block(
    type_: str,
    *,
    to_rules: Sequence[Json] = (),
    resource_rules: Sequence[Json] = (),
    from_rules: Sequence[Json] = (),
    inbound_rules: Sequence[Json] = (),
    warnings: Sequence[str] = (),
    proxy_rule: Json | None = None,
) -> Json:
    out: Json = {
        "type": type_,
        "toRules": list(to_rules),
        "toResourceRules": list(resource_rules),
        "fromRules": list(from_rules),
        "inboundRules": list(inbound_rules),
        "warnings": list(warnings),
    }
    if proxy_rule is not None:
        out["proxyRule"] = proxy_rule
    return out


def body(*blocks: Json, http_matches: Sequence[Json] = ()) -> Json:
    return {
        "resource": meta("Dataplane", "dp"),
        "httpMatches": list(http_matches),
        "rules": list(blocks),
    }


def go_hash(compact_go_json: str) -> str:
    """§8.5: base64(sha256(compact Go JSON of the matches)); the JSON is written by hand."""
    return base64.b64encode(hashlib.sha256(compact_go_json.encode()).digest()).decode()


def sub(*specs: str) -> Subset:
    """`sub("env=prod", "zone!=z1")`, tags in the given order."""
    tags = []
    for spec in specs:
        if "!=" in spec:
            key, value = spec.split("!=", 1)
            tags.append(Tag(key, value, True))
        else:
            key, value = spec.split("=", 1)
            tags.append(Tag(key, value))
    return tuple(tags)


def trace_merge(confs: list[object]) -> list[object]:
    """A merge that records which item confs went in, in order."""
    return [tuple(confs)]


def items(
    *pairs: tuple[Subset, str], origin_of: Sequence[Hashable] | None = None
) -> list[SubsetItem]:
    return [
        SubsetItem(subset=s, conf=c, origin=origin_of[i] if origin_of else "p")
        for i, (s, c) in enumerate(pairs)
    ]


def shape(rules: Sequence[Any]) -> list[tuple[Subset, object]]:
    return [(r.subset, r.conf) for r in rules]


# ---------------------------------------------------------------------------------------
# §4.3 set relations


@pytest.mark.parametrize(
    ("item", "cand", "expected"),
    [
        ((), sub("a=1"), True),  # empty item covers anything
        ((), (), True),
        (sub("k=a"), (), False),  # needs a tag with that key
        (sub("k=a"), sub("k=a", "j=b"), True),
        (sub("k=a", "j=b"), sub("k=a"), False),
        (sub("k!=a"), sub("k=b"), True),  # negative item, positive other value
        (sub("k!=a"), sub("k=a"), False),
        (sub("k!=a"), sub("k!=a"), True),  # same polarity, same value
        (sub("k!=a"), sub("k!=b"), False),  # same polarity, other value
        (sub("k=a"), sub("k!=b"), False),  # a positive item never covers a negative
        (sub("k!=a"), sub("k!=b", "k!=a"), False),  # every same-key tag must satisfy
        (sub("k!=c"), sub("k!=a", "k=b"), False),  # k!=a vs k!=c fails
        (sub("k!=a"), sub("k=b", "k!=c"), False),
    ],
)
def test_covers(item: Subset, cand: Subset, expected: bool) -> None:
    assert covers(item, cand) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((), sub("k=a"), True),
        (sub("k=a"), sub("k=b"), False),
        (sub("k=a"), sub("j=b"), True),  # disjoint keys intersect
        (sub("k!=a"), sub("k=a"), True),  # negations never prevent it
        (sub("k=a", "j=1"), sub("k=a", "j=2"), False),
        (sub("k=a", "j!=1"), sub("k=a", "j=1"), True),
    ],
)
def test_intersects(a: Subset, b: Subset, expected: bool) -> None:
    assert intersects(a, b) is expected
    assert intersects(b, a) is expected


def test_contains_element_rules() -> None:
    """§4.8: empty subset contains all; otherwise overlap or only-negative subsets."""
    assert contains((), {})
    assert not contains(sub("k=a"), {})
    assert contains(sub("k=a"), {"k": "a", "j": "x"})
    assert not contains(sub("k=a"), {"j": "x"})  # positive tag missing
    assert not contains(sub("k!=a"), {"k": "a"})
    assert contains(sub("k!=a"), {"k": "b"})
    assert contains(sub("k!=a"), {"j": "b"})  # only negative tags, no overlap
    assert not contains(sub("k!=a", "j=b"), {"k": "x"})  # positive j missing


# ---------------------------------------------------------------------------------------
# §4.4 enumeration order and groups


def test_odometer_with_two_values_in_a_dimension() -> None:
    """dims env[dev, prod] (3 states), zone[z1] (2 states): counters 1..5, then 0.

    state s < n is values[n-1-s] (largest first), s == n negates all ascending; the
    first dimension changes fastest.
    """
    tags = [Tag("zone", "z1"), Tag("env", "prod"), Tag("env", "dev"), Tag("env", "prod")]
    assert list(enumerate_subsets(tags)) == [
        sub("env=dev", "zone=z1"),
        sub("env!=dev", "env!=prod", "zone=z1"),
        sub("env=prod", "zone!=z1"),
        sub("env=dev", "zone!=z1"),
        sub("env!=dev", "env!=prod", "zone!=z1"),
        sub("env=prod", "zone=z1"),
    ]


def test_odometer_three_binary_dimensions() -> None:
    """app[b], env[prod], zone[z1]: 8 states, first key fastest, all-positive last."""
    tags = [Tag("zone", "z1"), Tag("app", "b"), Tag("env", "prod")]
    assert list(enumerate_subsets(tags)) == [
        sub("app!=b", "env=prod", "zone=z1"),
        sub("app=b", "env!=prod", "zone=z1"),
        sub("app!=b", "env!=prod", "zone=z1"),
        sub("app=b", "env=prod", "zone!=z1"),
        sub("app!=b", "env=prod", "zone!=z1"),
        sub("app=b", "env!=prod", "zone!=z1"),
        sub("app!=b", "env!=prod", "zone!=z1"),
        sub("app=b", "env=prod", "zone=z1"),
    ]


def test_no_tags_enumerates_one_empty_subset() -> None:
    assert list(enumerate_subsets([])) == [()]


def test_maximal_cliques_and_components() -> None:
    """Square 0-1-2-3-0 plus diagonal 0-2: cliques {0,1,2}, {0,2,3}; one component."""
    adjacency = [{1, 2, 3}, {0, 2}, {0, 1, 3}, {0, 2}, set()]
    assert sorted(maximal_cliques(adjacency)) == [(0, 1, 2), (0, 2, 3), (4,)]
    assert sorted(connected_components(adjacency)) == [(0, 1, 2, 3), (4,)]


def test_tv2_group_order_is_a_string_sort() -> None:
    """TV-2: Mesh + a01..a11; cliques "0:1".."0:11" sorted descending as strings."""
    pairs = [((), "mesh")] + [(sub(f"app=a{i:02d}"), f"a{i:02d}") for i in range(1, 12)]
    rules = build_rules(items(*pairs), negations=True, merge=trace_merge)
    positives = [r.subset[0].value for r in rules if r.subset and not r.subset[0].not_]
    # "0:9" > "0:8" > ... > "0:2" > "0:11" > "0:10" > "0:1"
    assert positives == [
        "a09",
        "a08",
        "a07",
        "a06",
        "a05",
        "a04",
        "a03",
        "a02",
        "a11",
        "a10",
        "a01",
    ]


def test_tv1_connected_components_variant() -> None:
    """TV-1 with the env switch: one component, app[x, y] → app=x, app=y, app≠x∧app≠y."""
    built = build_rules(
        items(((), "M"), (sub("app=x"), "X"), (sub("app=y"), "Y")),
        negations=True,
        merge=trace_merge,
        use_cliques=False,
    )
    assert shape(built) == [
        (sub("app=x"), ("M", "X")),
        (sub("app=y"), ("M", "Y")),
        (sub("app!=x", "app!=y"), ("M",)),
    ]


# ---------------------------------------------------------------------------------------
# §4.4 fast path vs graph path


def test_to_fast_path_dedups_and_keeps_first_occurrence_order() -> None:
    """One key, no negations: distinct subsets in first-occurrence order, Mesh last."""
    built = build_rules(
        items(
            (sub(f"{SVC}=b"), "B1"),
            ((), "M"),
            (sub(f"{SVC}=a"), "A"),
            (sub(f"{SVC}=b"), "B2"),
            origin_of=["p1", "p2", "p2", "p3"],
        ),
        negations=False,
        merge=trace_merge,
    )
    assert shape(built) == [
        (sub(f"{SVC}=b"), ("B1", "M", "B2")),
        (sub(f"{SVC}=a"), ("M", "A")),
        ((), ("M",)),
    ]
    assert [r.origins for r in built] == [("p1", "p2", "p3"), ("p2",), ("p2",)]


def test_a_service_subset_switches_to_the_graph_path() -> None:
    """Items 0 svc=a, 1 Mesh, 2 svc=b, 3 svc=a∧version=v1: two keys → graph path.

    Cliques {0,1,3} and {1,2}; "1:2" > "0:1:3", so {1,2} is enumerated first. Final
    order: positive count descending, stable.
    """
    built = build_rules(
        items(
            (sub(f"{SVC}=a"), "A"),
            ((), "M"),
            (sub(f"{SVC}=b"), "B"),
            (sub(f"{SVC}=a", "version=v1"), "V"),
        ),
        negations=False,
        merge=trace_merge,
    )
    assert shape(built) == [
        (sub(f"{SVC}=a", "version=v1"), ("A", "M", "V")),
        (sub(f"{SVC}=b"), ("M", "B")),
        (sub(f"{SVC}!=a", "version=v1"), ("M",)),
        (sub(f"{SVC}=a", "version!=v1"), ("A", "M")),
        (sub(f"{SVC}!=b"), ("M",)),
        (sub(f"{SVC}!=a", "version!=v1"), ("M",)),
    ]


def test_from_with_only_mesh_items_is_one_rule() -> None:
    """Negations force the graph path; no tags gives one empty candidate, all items."""
    built = build_rules(items(((), "1"), ((), "2")), negations=True, merge=trace_merge)
    assert shape(built) == [((), ("1", "2"))]


def test_uncovered_candidates_make_no_rule() -> None:
    """TV-17 tail: a single from item app=ui gives [app=ui] only (nothing covers app≠ui)."""
    built = build_rules(items((sub("app=ui"), "U")), negations=True, merge=trace_merge)
    assert shape(built) == [(sub("app=ui"), ("U",))]


def test_merge_returning_several_confs_gives_several_rules() -> None:
    built = build_rules(
        items((sub(f"{SVC}=a"), "A")), negations=False, merge=lambda confs: ["x", "y"]
    )
    assert shape(built) == [(sub(f"{SVC}=a"), "x"), (sub(f"{SVC}=a"), "y")]


# ---------------------------------------------------------------------------------------
# §6.2 legacy service-name bridge: Go's strconv.ParseInt(…, 10, 32)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("backend_kuma-demo_svc_8080", ("backend", "kuma-demo", 8080)),
        ("backend_kuma-demo_svc", ("backend", "kuma-demo", 0)),
        ("backend_kuma-demo_anything", ("backend", "kuma-demo", 0)),  # 3rd part unchecked
        ("backend_kuma-demo_svc_+80", ("backend", "kuma-demo", 80)),  # ParseInt takes a sign
        ("backend_kuma-demo_svc_080", ("backend", "kuma-demo", 80)),
        ("backend_kuma-demo_svc_-1", ("backend", "kuma-demo", 4294967295)),  # uint32 wrap
        ("backend_kuma-demo_svc_http", None),
        ("backend_kuma-demo_svc_ 80", None),  # Python's int() would strip the space
        ("backend_kuma-demo_svc_\u0668\u0660", None),  # non-ASCII digits
        ("backend_kuma-demo_svc_2147483648", None),  # out of int32 range
        ("backend_kuma-demo_svc_", None),
        ("backend", None),
        ("a_b", None),
        ("a_b_c_d_e", None),
    ],
)
def test_legacy_service_name(name: str, expected: tuple[str, str, int] | None) -> None:
    assert legacy_service_name(name) == expected


# ---------------------------------------------------------------------------------------
# end to end: legacy from rules (§4.4, §4.6, §8.3)


def test_cli_three_key_cliques_from_two_policies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§4.4 graph path with 3 keys; origins are policies in merge order (§4.6).

    Merge order: `b-base` then `a-specific` (display names descending). Nodes:
    0 Mesh→Allow, 1 app=a→Deny, 2 env=prod→Shadow, 3 app=b∧zone=z1→Deny. Every pair
    intersects except 1-3, so cliques {0,2,3} and {0,1,2}; "0:2:3" > "0:1:2".
    {0,2,3} enumerates app[b] x env[prod] x zone[z1] (8), {0,1,2} app[a] x env[prod] (4),
    then a stable sort on the positive count.
    """
    text = docs(
        MESH_DOC,
        DP_ONE_INBOUND,
        """
type: MeshTrafficPermission
mesh: m
name: b-base
spec:
  targetRef: {kind: Mesh}
  from:
    - targetRef: {kind: Mesh}
      default: {action: Allow}
""",
        """
type: MeshTrafficPermission
mesh: m
name: a-specific
spec:
  targetRef: {kind: Mesh}
  from:
    - targetRef: {kind: MeshSubset, tags: {app: a}}
      default: {action: Deny}
    - targetRef: {kind: MeshSubset, tags: {env: prod}}
      default: {action: AllowWithShadowDeny}
    - targetRef: {kind: MeshSubset, tags: {zone: z1, app: b}}
      default: {action: Deny}
""",
    )
    allow, deny, shadow = {"action": "Allow"}, {"action": "Deny"}, {"action": "AllowWithShadowDeny"}
    both = ("b-base", "a-specific")
    base = ("b-base",)

    def r(conf: Json, origins: tuple[str, ...], *specs: str) -> Json:
        tags = [match(t.key, t.value, t.not_) for t in sub(*specs)]
        return legacy(tags, conf, MTP, *origins)

    expected_rules = [
        r(deny, both, "app=b", "env=prod", "zone=z1"),
        r(shadow, both, "app!=b", "env=prod", "zone=z1"),
        r(deny, both, "app=b", "env!=prod", "zone=z1"),
        r(shadow, both, "app=b", "env=prod", "zone!=z1"),
        r(shadow, both, "app=a", "env=prod"),
        r(allow, base, "app!=b", "env!=prod", "zone=z1"),
        r(shadow, both, "app!=b", "env=prod", "zone!=z1"),
        r(allow, base, "app=b", "env!=prod", "zone!=z1"),
        r(shadow, both, "app!=a", "env=prod"),
        r(deny, both, "app=a", "env!=prod"),
        r(allow, base, "app!=b", "env!=prod", "zone!=z1"),
        r(allow, base, "app!=a", "env!=prod"),
    ]
    assert inspect_rules(tmp_path, capsys, text) == body(
        block(MTP, from_rules=[{"inbound": WEB_8080, "rules": expected_rules}])
    )


def test_cli_inbounds_with_different_policy_sets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§5.1, §4.4, §7, §8.3 on a proxy with two inbounds (listed 9090 first).

    - MeshTimeout `mt-all` (Mesh, two `from: Mesh` items) on both inbounds, `mt-main`
      (Dataplane sectionName main, `rules`) on 8080 only. fromRules: one `[]` rule of
      mt-all's items; inboundRules merge from-as-rules and rules items in attribute
      order (Mesh < Dataplane), origins per (policy, index).
    - MTP `mtp-web` (inbound app=web): MeshService web-a, MeshServiceSubset
      web-a∧version=v1, MeshService web-b → cliques {0,1}, {2}; "2" > "0:1".
    - MTP `mtp-dup` (inbound app=admin): app=x, app=y, app=x → cliques {0,2}, {1};
      "1" > "0:2"; the duplicate subsets merge in one rule.
    - MeshProxyPatch: Mesh then MeshSubset, appendModifications concatenate.
    Output inbounds by port ascending; the unnamed inbound has no `name`.
    """
    text = docs(
        MESH_DOC,
        """
type: Dataplane
mesh: m
name: dp
networking:
  address: 10.0.0.1
  inbound:
    - port: 9090
      tags:
        kuma.io/service: web-admin
        app: admin
    - port: 8080
      name: main
      tags:
        kuma.io/service: web
        app: web
""",
        """
type: MeshTimeout
mesh: m
name: mt-all
spec:
  targetRef: {kind: Mesh}
  from:
    - targetRef: {kind: Mesh}
      default: {idleTimeout: 1s}
    - targetRef: {kind: Mesh}
      default: {connectionTimeout: 2s}
""",
        """
type: MeshTimeout
mesh: m
name: mt-main
spec:
  targetRef: {kind: Dataplane, sectionName: main}
  rules:
    - default: {idleTimeout: 5s}
""",
        """
type: MeshTrafficPermission
mesh: m
name: mtp-web
spec:
  targetRef: {kind: MeshSubset, tags: {app: web}}
  from:
    - targetRef: {kind: MeshService, name: web-a}
      default: {action: Allow}
    - targetRef: {kind: MeshServiceSubset, name: web-a, tags: {version: v1}}
      default: {action: Deny}
    - targetRef: {kind: MeshService, name: web-b}
      default: {action: Deny}
""",
        """
type: MeshTrafficPermission
mesh: m
name: mtp-dup
spec:
  targetRef: {kind: MeshSubset, tags: {app: admin}}
  from:
    - targetRef: {kind: MeshSubset, tags: {app: x}}
      default: {action: Deny}
    - targetRef: {kind: MeshSubset, tags: {app: y}}
      default: {action: Allow}
    - targetRef: {kind: MeshSubset, tags: {app: x}}
      default: {action: AllowWithShadowDeny}
""",
        """
type: MeshProxyPatch
mesh: m
name: pp-mesh
spec:
  targetRef: {kind: Mesh}
  default:
    appendModifications:
      - cluster: {operation: Add, value: "name: c1"}
""",
        """
type: MeshProxyPatch
mesh: m
name: pp-sub
spec:
  targetRef: {kind: MeshSubset, tags: {kuma.io/service: web}}
  default:
    appendModifications:
      - cluster: {operation: Add, value: "name: c2"}
""",
    )
    main_in = {"name": "main", "port": 8080, "tags": {"app": "web", SVC: "web"}}
    admin_in = {"port": 9090, "tags": {"app": "admin", SVC: "web-admin"}}
    all_rule = legacy([], {"connectionTimeout": "2s", "idleTimeout": "1s"}, MT, "mt-all")
    c1 = {"cluster": {"operation": "Add", "value": "name: c1"}}
    c2 = {"cluster": {"operation": "Add", "value": "name: c2"}}
    assert inspect_rules(tmp_path, capsys, text) == body(
        block(
            MT,
            from_rules=[
                {"inbound": main_in, "rules": [all_rule]},
                {"inbound": admin_in, "rules": [all_rule]},
            ],
            inbound_rules=[
                {
                    "inbound": main_in,
                    "rules": [
                        {
                            "conf": [{"connectionTimeout": "2s", "idleTimeout": "5s"}],
                            "origin": [
                                origin(MT, "mt-all", 0),
                                origin(MT, "mt-all", 1),
                                origin(MT, "mt-main", 0),
                            ],
                        }
                    ],
                },
                {
                    "inbound": admin_in,
                    "rules": [
                        {
                            "conf": [{"connectionTimeout": "2s", "idleTimeout": "1s"}],
                            "origin": [origin(MT, "mt-all", 0), origin(MT, "mt-all", 1)],
                        }
                    ],
                },
            ],
        ),
        block(
            MTP,
            from_rules=[
                {
                    "inbound": main_in,
                    "rules": [
                        legacy(
                            [match(SVC, "web-a"), match("version", "v1")],
                            {"action": "Deny"},
                            MTP,
                            "mtp-web",
                        ),
                        legacy([match(SVC, "web-b")], {"action": "Deny"}, MTP, "mtp-web"),
                        legacy(
                            [match(SVC, "web-a"), match("version", "v1", True)],
                            {"action": "Allow"},
                            MTP,
                            "mtp-web",
                        ),
                    ],
                },
                {
                    "inbound": admin_in,
                    "rules": [
                        legacy([match("app", "y")], {"action": "Allow"}, MTP, "mtp-dup"),
                        legacy(
                            [match("app", "x")], {"action": "AllowWithShadowDeny"}, MTP, "mtp-dup"
                        ),
                    ],
                },
            ],
        ),
        block(
            MPP,
            proxy_rule={
                "conf": {"appendModifications": [c1, c2]},
                "origin": [meta(MPP, "pp-mesh"), meta(MPP, "pp-sub")],
            },
        ),
    )


def test_cli_rules_and_from_mixed_with_old_meshsubset_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """TV-17 extended (§5.1): `rules` wins over `from` inside one policy for inboundRules,
    while fromRules only sees `from` items, partitioned by tags.

    Merge order (names descending): mt-cccccc, mt-both, mt-bbbbbb, mt-aaaaaa.
    inboundRules: c.rules#0, both.rules#0 (its `from` ignored), b.from#0, a.rules#0.
    fromRules: both.from#0 app=ui, b.from#0 Mesh → [app=ui] then [app≠ui].
    """
    text = docs(
        MESH_DOC,
        DP_ONE_INBOUND,
        """
type: MeshTimeout
mesh: m
name: mt-aaaaaa
spec:
  targetRef: {kind: Mesh}
  rules:
    - default: {idleTimeout: 10s}
""",
        """
type: MeshTimeout
mesh: m
name: mt-bbbbbb
spec:
  targetRef: {kind: Mesh}
  from:
    - targetRef: {kind: Mesh}
      default: {idleTimeout: 100s, connectionTimeout: 101s}
""",
        """
type: MeshTimeout
mesh: m
name: mt-cccccc
spec:
  targetRef: {kind: Mesh}
  rules:
    - default: {idleTimeout: 200s, http: {requestTimeout: 202s}}
""",
        """
type: MeshTimeout
mesh: m
name: mt-both
spec:
  targetRef: {kind: Mesh}
  rules:
    - default: {http: {streamIdleTimeout: 1s}}
  from:
    - targetRef: {kind: MeshSubset, tags: {app: ui}}
      default: {idleTimeout: 9s}
""",
    )
    assert inspect_rules(tmp_path, capsys, text) == body(
        block(
            MT,
            from_rules=[
                {
                    "inbound": WEB_8080,
                    "rules": [
                        legacy(
                            [match("app", "ui")],
                            {"connectionTimeout": "1m41s", "idleTimeout": "1m40s"},
                            MT,
                            "mt-both",
                            "mt-bbbbbb",
                        ),
                        legacy(
                            [match("app", "ui", True)],
                            {"connectionTimeout": "1m41s", "idleTimeout": "1m40s"},
                            MT,
                            "mt-bbbbbb",
                        ),
                    ],
                }
            ],
            inbound_rules=[
                {
                    "inbound": WEB_8080,
                    "rules": [
                        {
                            "conf": [
                                {
                                    "connectionTimeout": "1m41s",
                                    "idleTimeout": "10s",
                                    "http": {"requestTimeout": "3m22s", "streamIdleTimeout": "1s"},
                                }
                            ],
                            "origin": [
                                origin(MT, "mt-cccccc", 0),
                                origin(MT, "mt-both", 0),
                                origin(MT, "mt-bbbbbb", 0),
                                origin(MT, "mt-aaaaaa", 0),
                            ],
                        }
                    ],
                }
            ],
        )
    )


def test_cli_broken_from_empties_the_type_and_warnings_do_not_keep_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§4.1: a MeshGateway `from` item fails the builder → FromRules empty (map size 0)
    → the type is skipped (§8.3), and its warning goes with it."""
    text = docs(
        MESH_DOC,
        DP_ONE_INBOUND,
        """
type: MeshTrafficPermission
mesh: m
name: ok
spec:
  targetRef: {kind: Mesh}
  from:
    - targetRef: {kind: Mesh}
      default: {action: Allow}
""",
        """
type: MeshTrafficPermission
mesh: m
name: bad
spec:
  targetRef: {kind: Mesh}
  from:
    - targetRef: {kind: MeshGateway, name: gw}
      default: {action: Deny}
""",
    )
    assert inspect_rules(tmp_path, capsys, text) == body()


# ---------------------------------------------------------------------------------------
# end to end: to side (§4.4 fast path, §4.7, §6, §8.3)


def test_cli_to_fast_path_and_resource_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """TV-3 through the CLI. Policy order c-mesh, b-two, a-three (names descending).

    Legacy: fast path (one key), svc=b from c-mesh, b-two#0, a-three#0; svc=a from
    c-mesh, b-two#1; Mesh last. Resources: MeshService `b` exists, `a` does not; the
    Mesh item feeds every key (§6.4).
    """
    text = docs(
        MESH_DOC,
        DP_ONE_INBOUND,
        "type: MeshService\nmesh: m\nname: b\nspec:\n  ports:\n    - port: 80\n",
        """
type: MeshTimeout
mesh: m
name: c-mesh
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: Mesh}
      default: {idleTimeout: 1s}
""",
        """
type: MeshTimeout
mesh: m
name: b-two
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: b}
      default: {idleTimeout: 2s}
    - targetRef: {kind: MeshService, name: a}
      default: {connectionTimeout: 3s}
""",
        """
type: MeshTimeout
mesh: m
name: a-three
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: b}
      default: {idleTimeout: 4s}
""",
    )
    assert inspect_rules(tmp_path, capsys, text) == body(
        block(
            MT,
            to_rules=[
                legacy([match(SVC, "b")], {"idleTimeout": "4s"}, MT, "c-mesh", "b-two", "a-three"),
                legacy(
                    [match(SVC, "a")],
                    {"connectionTimeout": "3s", "idleTimeout": "1s"},
                    MT,
                    "c-mesh",
                    "b-two",
                ),
                legacy([], {"idleTimeout": "1s"}, MT, "c-mesh"),
            ],
            resource_rules=[
                rrule(
                    meta("MeshService", "b"),
                    "",
                    {"idleTimeout": "4s"},
                    [origin(MT, "c-mesh", 0), origin(MT, "b-two", 0), origin(MT, "a-three", 0)],
                ),
                rrule(
                    meta("Mesh", "m", mesh=""), "", {"idleTimeout": "1s"}, [origin(MT, "c-mesh", 0)]
                ),
            ],
        )
    )


ROUTE_1 = """
type: MeshHTTPRoute
mesh: m
name: route-1
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      rules:
        - matches:
            - path: {type: PathPrefix, value: /api}
          default:
            backendRefs:
              - {kind: MeshService, name: backend, port: 80, weight: 1}
"""


def test_cli_top_level_route_items_switch_to_the_graph_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§4.7: a MeshTimeout on `MeshHTTPRoute route-1` becomes MeshServiceSubset
    {backend, hash=H}; with mt-svc's MeshService backend item there are two keys, so
    the graph path gives [H, backend] (both) and [¬H, backend] (mt-svc only); the
    candidates with svc≠backend are covered by nothing. The route policy is left out of
    resource rules; httpMatches come from MeshHTTPRoute's legacy to-rules (§8.3, §8.5).
    """
    text = docs(
        MESH_DOC,
        DP_ONE_INBOUND,
        "type: MeshService\nmesh: m\nname: backend\nspec:\n  ports:\n    - port: 80\n",
        ROUTE_1,
        """
type: MeshTimeout
mesh: m
name: mt-route
spec:
  targetRef: {kind: MeshHTTPRoute, name: route-1}
  to:
    - targetRef: {kind: Mesh}
      default: {http: {requestTimeout: 15s}}
""",
        """
type: MeshTimeout
mesh: m
name: mt-svc
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      default: {idleTimeout: 30s, http: {requestTimeout: 20s}}
""",
    )
    h = go_hash('[{"path":{"value":"/api","type":"PathPrefix"}}]')
    matches = [{"path": {"type": "PathPrefix", "value": "/api"}}]
    route_conf = {
        "rules": [
            {
                "matches": matches,
                "default": {
                    "backendRefs": [
                        {"kind": "MeshService", "name": "backend", "port": 80, "weight": 1}
                    ]
                },
            }
        ]
    }
    backend = meta("MeshService", "backend")
    assert inspect_rules(tmp_path, capsys, text) == body(
        block(
            MHR,
            to_rules=[legacy([match(SVC, "backend")], route_conf, MHR, "route-1")],
            resource_rules=[rrule(backend, "", route_conf, [origin(MHR, "route-1", 0)])],
        ),
        block(
            MT,
            to_rules=[
                legacy(
                    [match(HASH, h), match(SVC, "backend")],
                    {"idleTimeout": "30s", "http": {"requestTimeout": "15s"}},
                    MT,
                    "mt-svc",
                    "mt-route",
                ),
                legacy(
                    [match(HASH, h, True), match(SVC, "backend")],
                    {"idleTimeout": "30s", "http": {"requestTimeout": "20s"}},
                    MT,
                    "mt-svc",
                ),
            ],
            resource_rules=[
                rrule(
                    backend,
                    "",
                    {"idleTimeout": "30s", "http": {"requestTimeout": "20s"}},
                    [origin(MT, "mt-svc", 0)],
                )
            ],
        ),
        http_matches=[{"hash": h, "match": matches}],
    )


def test_cli_top_level_route_uses_the_last_route_with_that_display_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§4.7 step 1 (2.10 `buildToList`): the loop over the mesh's routes has no break, so
    of two routes named `r` (namespaces a and b) the one listed last gives the hash."""
    route = """
type: MeshHTTPRoute
mesh: m
name: r.{ns}
labels: {{kuma.io/display-name: r, k8s.kuma.io/namespace: {ns}}}
spec:
  targetRef: {{kind: Mesh}}
  to:
    - targetRef: {{kind: MeshService, name: backend}}
      rules:
        - matches:
            - path: {{type: Exact, value: /{ns}}}
          default:
            backendRefs:
              - {{kind: MeshService, name: backend, port: 80, weight: 1}}
"""
    text = docs(
        MESH_DOC,
        DP_ONE_INBOUND,
        route.format(ns="a"),
        route.format(ns="b"),
        """
type: MeshTimeout
mesh: m
name: mt-r
spec:
  targetRef: {kind: MeshHTTPRoute, name: r}
  to:
    - targetRef: {kind: Mesh}
      default: {http: {requestTimeout: 5s}}
""",
    )
    h_b = go_hash('[{"path":{"value":"/b","type":"Exact"}}]')
    got = inspect_rules(tmp_path, capsys, text)
    [timeout] = [b for b in got["rules"] if b["type"] == MT]
    assert timeout == block(
        MT,
        to_rules=[
            legacy(
                [match(HASH, h_b), match(SVC, "backend")],
                {"http": {"requestTimeout": "5s"}},
                MT,
                "mt-r",
            )
        ],
    )


def test_cli_resource_rules_labels_sections_mzs_mes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§6: labels resolving to several services, sections on named/unnamed ports,
    MeshMultiZoneService and MeshExternalService keys, ties on the store name.

    Entry order (§2.3): mt-mesh#0 (Mesh), then mt-labels MeshService items without
    section (#0), with section (#1, #2, #3), MES (#5), MZS (#4).
    - #0 labels app=backend → backend, backend-v2 (no section)
    - #1 labels env=prod, section http → backend-v2:http only (backend's port is unnamed 8080)
    - #2 backend-v2 section "9000" → the unnamed port 9000
    - #3 backend-v2 section "80" → nothing: port 80 is named (TV-14)
    Legacy toRules (policy order, MES/MZS ignored): labels-only items are svc="" (TV-5).
    """
    text = docs(
        MESH_DOC,
        DP_ONE_INBOUND,
        """
type: MeshService
mesh: m
name: backend
labels: {app: backend, env: prod}
spec:
  ports:
    - port: 8080
""",
        """
type: MeshService
mesh: m
name: backend-v2
labels: {app: backend, env: prod}
spec:
  ports:
    - port: 80
      name: http
    - port: 9000
""",
        """
type: MeshService
mesh: m
name: other
labels: {app: other}
spec:
  ports:
    - port: 80
""",
        """
type: MeshMultiZoneService
mesh: m
name: backend-mz
labels: {app: backend}
spec:
  selector:
    meshService:
      matchLabels: {app: backend}
  ports:
    - port: 80
      name: http
""",
        """
type: MeshExternalService
mesh: m
name: httpbin
spec:
  match: {type: HostnameGenerator, port: 443, protocol: http}
  endpoints:
    - address: httpbin.org
      port: 443
""",
        """
type: MeshTimeout
mesh: m
name: mt-labels
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, labels: {app: backend}}
      default: {idleTimeout: 10s}
    - targetRef: {kind: MeshService, labels: {env: prod}, sectionName: http}
      default: {connectionTimeout: 3s}
    - targetRef: {kind: MeshService, name: backend-v2, sectionName: "9000"}
      default: {http: {requestTimeout: 7s}}
    - targetRef: {kind: MeshService, name: backend-v2, sectionName: "80"}
      default: {http: {requestTimeout: 8s}}
    - targetRef: {kind: MeshMultiZoneService, name: backend-mz}
      default: {idleTimeout: 40s}
    - targetRef: {kind: MeshExternalService, name: httpbin}
      default: {connectionTimeout: 9s}
""",
        """
type: MeshTimeout
mesh: m
name: mt-mesh
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: Mesh}
      default: {idleTimeout: 1s}
""",
    )
    v2 = meta("MeshService", "backend-v2", labels={"app": "backend", "env": "prod"})
    mesh0 = origin(MT, "mt-mesh", 0)
    lab0 = origin(MT, "mt-labels", 0)
    got = inspect_rules(tmp_path, capsys, text)
    expected = body(
        block(
            MT,
            to_rules=[
                legacy(
                    [match(SVC, "")],
                    {"connectionTimeout": "3s", "idleTimeout": "10s"},
                    MT,
                    "mt-mesh",
                    "mt-labels",
                ),
                legacy(
                    [match(SVC, "backend-v2")],
                    {"idleTimeout": "1s", "http": {"requestTimeout": "8s"}},
                    MT,
                    "mt-mesh",
                    "mt-labels",
                ),
                legacy([], {"idleTimeout": "1s"}, MT, "mt-mesh"),
            ],
            resource_rules=[
                rrule(
                    meta("MeshService", "backend", labels={"app": "backend", "env": "prod"}),
                    "",
                    {"idleTimeout": "10s"},
                    [mesh0, lab0],
                ),
                rrule(
                    meta("MeshMultiZoneService", "backend-mz", labels={"app": "backend"}),
                    "",
                    {"idleTimeout": "40s"},
                    [mesh0, origin(MT, "mt-labels", 4)],
                ),
                rrule(v2, "", {"idleTimeout": "10s"}, [mesh0, lab0]),
                rrule(
                    v2,
                    "9000",
                    {"idleTimeout": "10s", "http": {"requestTimeout": "7s"}},
                    [mesh0, lab0, origin(MT, "mt-labels", 2)],
                ),
                rrule(
                    v2,
                    "http",
                    {"connectionTimeout": "3s", "idleTimeout": "10s"},
                    [mesh0, lab0, origin(MT, "mt-labels", 1)],
                ),
                rrule(
                    meta("MeshExternalService", "httpbin"),
                    "",
                    {"connectionTimeout": "9s", "idleTimeout": "1s"},
                    [mesh0, origin(MT, "mt-labels", 5)],
                ),
                rrule(meta("Mesh", "m", mesh=""), "", {"idleTimeout": "1s"}, [mesh0]),
            ],
        )
    )
    # Kuma sorts toResourceRules by store name only, unstably: the three backend-v2
    # rules may come in any order there. Names must be ascending; compare ties as sets.
    names = [r["resourceMeta"]["name"] for r in got["rules"][0]["toResourceRules"]]
    assert names == sorted(names)

    def canonical(b: Json) -> Json:
        out: Json = json.loads(json.dumps(b))
        for blk in out["rules"]:
            blk["toResourceRules"].sort(
                key=lambda r: (r["resourceMeta"]["name"], r["resourceSectionName"])
            )
        return out

    assert canonical(got) == canonical(expected)


def test_cli_legacy_service_bridge_and_go_number_parsing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """TV-16 (§6.2 bridge): `<svc>_<ns>_svc[_<port>]` resolves by labels, across zones;
    the port picks the first port with that number and the key section is that port's
    name, or its number as text. A numeric sectionName matches an unnamed port by
    `ParseUint` ("08080" → 8080), and the key section is then "8080".

    Entries (all no-section first, then #4): #0 svc_8080, #1 svc (no port), #2 svc_+8080
    (ParseInt accepts the sign), #3 svc_9090, #4 labels zone-2, section "08080".
    """
    service = """
type: MeshService
mesh: m
name: backend-{zone}
labels:
  kuma.io/display-name: backend
  k8s.kuma.io/namespace: {ns}
  kuma.io/zone: {zone}
spec:
  ports:
{ports}
"""
    text = docs(
        MESH_DOC,
        DP_ONE_INBOUND,
        service.format(
            zone="zone-1",
            ns="kuma-demo",
            ports="    - port: 8080\n      name: http\n    - port: 9090",
        ),
        service.format(zone="zone-2", ns="kuma-demo", ports="    - port: 8080"),
        service.format(zone="zone-3", ns="other", ports="    - port: 8080"),
        """
type: MeshTimeout
mesh: m
name: mt
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend_kuma-demo_svc_8080}
      default: {idleTimeout: 1s}
    - targetRef: {kind: MeshService, name: backend_kuma-demo_svc}
      default: {connectionTimeout: 2s}
    - targetRef: {kind: MeshService, name: backend_kuma-demo_svc_+8080}
      default: {http: {streamIdleTimeout: 5s}}
    - targetRef: {kind: MeshService, name: backend_kuma-demo_svc_9090}
      default: {idleTimeout: 3s}
    - targetRef: {kind: MeshService, labels: {kuma.io/zone: zone-2}, sectionName: "08080"}
      default: {http: {requestTimeout: 4s}}
""",
    )

    def svc(zone: str) -> Json:
        return meta(
            "MeshService",
            f"backend-{zone}",
            labels={
                "kuma.io/display-name": "backend",
                "k8s.kuma.io/namespace": "kuma-demo",
                "kuma.io/zone": zone,
            },
        )

    def o(*indexes: int) -> list[Json]:
        return [origin(MT, "mt", i) for i in indexes]

    got = inspect_rules(tmp_path, capsys, text)
    expected = body(
        block(
            MT,
            to_rules=[
                legacy([match(SVC, "backend_kuma-demo_svc_8080")], {"idleTimeout": "1s"}, MT, "mt"),
                legacy(
                    [match(SVC, "backend_kuma-demo_svc")], {"connectionTimeout": "2s"}, MT, "mt"
                ),
                legacy(
                    [match(SVC, "backend_kuma-demo_svc_+8080")],
                    {"http": {"streamIdleTimeout": "5s"}},
                    MT,
                    "mt",
                ),
                legacy([match(SVC, "backend_kuma-demo_svc_9090")], {"idleTimeout": "3s"}, MT, "mt"),
                legacy([match(SVC, "")], {"http": {"requestTimeout": "4s"}}, MT, "mt"),
            ],
            resource_rules=[
                rrule(svc("zone-1"), "", {"connectionTimeout": "2s"}, o(1)),
                rrule(
                    svc("zone-1"), "9090", {"connectionTimeout": "2s", "idleTimeout": "3s"}, o(1, 3)
                ),
                rrule(
                    svc("zone-1"),
                    "http",
                    {
                        "connectionTimeout": "2s",
                        "idleTimeout": "1s",
                        "http": {"streamIdleTimeout": "5s"},
                    },
                    o(0, 1, 2),
                ),
                rrule(svc("zone-2"), "", {"connectionTimeout": "2s"}, o(1)),
                rrule(
                    svc("zone-2"),
                    "8080",
                    {
                        "connectionTimeout": "2s",
                        "idleTimeout": "1s",
                        "http": {"streamIdleTimeout": "5s", "requestTimeout": "4s"},
                    },
                    o(0, 1, 2, 4),
                ),
            ],
        )
    )
    for blk in got["rules"]:  # ties on the store name: order them for the comparison
        blk["toResourceRules"].sort(
            key=lambda r: (r["resourceMeta"]["name"], r["resourceSectionName"])
        )
    assert got == expected


MESH_ITEM_POLICY = """
type: MeshTimeout
mesh: m
name: mt
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: Mesh}
      default: {idleTimeout: 1s}
    - targetRef: {kind: MeshService, name: backend}
      default: {connectionTimeout: 2s}
"""
BACKEND = "type: MeshService\nmesh: m\nname: backend\nspec:\n  ports:\n    - port: 80\n"


def test_cli_mesh_item_feeds_every_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """§6.4: with the Mesh present, the Mesh item has its own key and feeds backend's."""
    text = docs(MESH_DOC, DP_ONE_INBOUND, BACKEND, MESH_ITEM_POLICY)
    assert inspect_rules(tmp_path, capsys, text) == body(
        block(
            MT,
            to_rules=[
                legacy(
                    [match(SVC, "backend")],
                    {"connectionTimeout": "2s", "idleTimeout": "1s"},
                    MT,
                    "mt",
                ),
                legacy([], {"idleTimeout": "1s"}, MT, "mt"),
            ],
            resource_rules=[
                rrule(
                    meta("MeshService", "backend"),
                    "",
                    {"connectionTimeout": "2s", "idleTimeout": "1s"},
                    [origin(MT, "mt", 0), origin(MT, "mt", 1)],
                ),
                rrule(meta("Mesh", "m", mesh=""), "", {"idleTimeout": "1s"}, [origin(MT, "mt", 0)]),
            ],
        )
    )


def test_cli_mesh_item_without_the_mesh_resource(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """TV-20: without the Mesh object the Mesh item resolves to nothing, so there is no
    Mesh key and it stops feeding backend's; legacy toRules do not change."""
    text = docs(DP_ONE_INBOUND, BACKEND, MESH_ITEM_POLICY)
    assert inspect_rules(tmp_path, capsys, text) == body(
        block(
            MT,
            to_rules=[
                legacy(
                    [match(SVC, "backend")],
                    {"connectionTimeout": "2s", "idleTimeout": "1s"},
                    MT,
                    "mt",
                ),
                legacy([], {"idleTimeout": "1s"}, MT, "mt"),
            ],
            resource_rules=[
                rrule(
                    meta("MeshService", "backend"),
                    "",
                    {"connectionTimeout": "2s"},
                    [origin(MT, "mt", 1)],
                ),
            ],
        )
    )


EXCLUSIVE_INPUT = """
type: MeshService
mesh: m
name: backend
spec:
  ports:
    - port: 80
---
type: MeshRetry
mesh: m
name: retry
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      default: {tcp: {maxConnectAttempt: 3}}
---
type: MeshTimeout
mesh: m
name: mt
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: ghost}
      default: {idleTimeout: 3s}
---
type: MeshHTTPRoute
mesh: m
name: route
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: ghost}
      rules:
        - matches:
            - path: {type: Exact, value: /}
          default:
            backendRefs:
              - {kind: MeshService, name: backend, port: 80, weight: 1}
"""


def test_cli_exclusive_mode_empties_to_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§8.2/§8.3 with `meshServices.mode: Exclusive`: toRules are `[]`.

    - MeshRetry keeps its resource rule, so it stays.
    - MeshTimeout passes the legacy-length test (to-rules and a from-rule map entry)
      but every rendered list is empty → dropped.
    - MeshHTTPRoute is dropped as well, yet its legacy to-rules still fill httpMatches
      (§8.5 check value for `[{"path":{"value":"/","type":"Exact"}}]`).
    """
    mesh = "type: Mesh\nname: m\nmeshServices:\n  mode: Exclusive\n"
    text = docs(mesh, DP_ONE_INBOUND, EXCLUSIVE_INPUT)
    assert inspect_rules(tmp_path, capsys, text) == body(
        block(
            MR,
            resource_rules=[
                rrule(
                    meta("MeshService", "backend"),
                    "",
                    {"tcp": {"maxConnectAttempt": 3}},
                    [origin(MR, "retry", 0)],
                )
            ],
        ),
        http_matches=[
            {
                "hash": "JNNc6//C3P17nUsOJm5f4kqG+U3v8pXhS0od9C3+oss=",
                "match": [{"path": {"type": "Exact", "value": "/"}}],
            }
        ],
    )


def test_cli_everywhere_mode_keeps_to_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Same input, mode Everywhere: all three types show, in plugin order (§1)."""
    mesh = "type: Mesh\nname: m\nmeshServices:\n  mode: Everywhere\n"
    got = inspect_rules(tmp_path, capsys, docs(mesh, DP_ONE_INBOUND, EXCLUSIVE_INPUT))
    assert [b["type"] for b in got["rules"]] == [MHR, MT, MR]
    [timeout] = [b for b in got["rules"] if b["type"] == MT]
    assert timeout == block(
        MT, to_rules=[legacy([match(SVC, "ghost")], {"idleTimeout": "3s"}, MT, "mt")]
    )
    [retry] = [b for b in got["rules"] if b["type"] == MR]
    assert retry["toRules"] == [
        legacy([match(SVC, "backend")], {"tcp": {"maxConnectAttempt": 3}}, MR, "retry")
    ]


def test_cli_tv12_pure_real_resource_types(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """TV-12: MeshRetry with only a MES item has zero legacy lengths → hidden; a
    MeshTimeout with the same `to` has a from-rule map entry for the inbound → shown."""
    text = docs(
        MESH_DOC,
        DP_ONE_INBOUND,
        """
type: MeshExternalService
mesh: m
name: ext
spec:
  match: {type: HostnameGenerator, port: 443, protocol: tcp}
  endpoints:
    - address: example.com
      port: 443
""",
        """
type: MeshRetry
mesh: m
name: retry
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshExternalService, name: ext}
      default: {http: {numRetries: 3}}
""",
        """
type: MeshTimeout
mesh: m
name: mt
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshExternalService, name: ext}
      default: {idleTimeout: 3s}
""",
    )
    assert inspect_rules(tmp_path, capsys, text) == body(
        block(
            MT,
            resource_rules=[
                rrule(
                    meta("MeshExternalService", "ext"),
                    "",
                    {"idleTimeout": "3s"},
                    [origin(MT, "mt", 0)],
                )
            ],
        )
    )


def test_cli_to_meshhttproute_item_fails_legacy_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§4.1: a stored `to: MeshHTTPRoute` item (2.10 validation rejects it) makes the
    legacy builder fail: to-rules *and* resource rules of the type are emptied with
    `couldn't create To rules: can't represent MeshHTTPRoute as tags`. MeshTimeout keeps
    a from-rule map entry so it passes the legacy test, but then shows nothing →
    dropped; warnings alone never keep a type."""
    text = docs(
        MESH_DOC,
        DP_ONE_INBOUND,
        """
type: MeshTimeout
mesh: m
name: mt-mesh
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: Mesh}
      default: {idleTimeout: 3s}
""",
        """
type: MeshTimeout
mesh: m
name: mt-route
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshHTTPRoute, name: r}
      default: {idleTimeout: 4s}
""",
    )
    assert inspect_rules(tmp_path, capsys, text) == body()


def test_cli_full_ties_add_no_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """§8.3: `warnings` are Kuma's matching/building warnings only. Two policies with the
    same display name in two namespaces tie on every key; Kuma says nothing about it
    (meshtui's own note must stay out of the body)."""
    policy = """
type: MeshTimeout
mesh: m
name: p.{ns}
labels: {{kuma.io/display-name: p, k8s.kuma.io/namespace: {ns}}}
spec:
  targetRef: {{kind: Mesh}}
  to:
    - targetRef: {{kind: Mesh}}
      default: {{idleTimeout: {t}}}
"""
    text = docs(
        MESH_DOC,
        DP_ONE_INBOUND,
        policy.format(ns="alpha", t="1s"),
        policy.format(ns="beta", t="2s"),
    )
    got = inspect_rules(tmp_path, capsys, text)
    [timeout] = got["rules"]
    assert timeout["warnings"] == []
    [rule] = timeout["toRules"]
    assert sorted(o["name"] for o in rule["origin"]) == ["p.alpha", "p.beta"]


def test_cli_unresolvable_top_level_route_warns_in_its_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§2.2: a top-level MeshHTTPRoute that does not exist is a matching warning; the
    policy is not attached. With another MeshTimeout the type is shown, warning included;
    alone it would be hidden (warnings do not keep a type)."""
    bad = """
type: MeshTimeout
mesh: m
name: mt-bad
spec:
  targetRef: {kind: MeshHTTPRoute, name: nope}
  to:
    - targetRef: {kind: Mesh}
      default: {idleTimeout: 9s}
"""
    good = """
type: MeshTimeout
mesh: m
name: mt-good
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: Mesh}
      default: {idleTimeout: 1s}
"""
    alone = inspect_rules(tmp_path, capsys, docs(MESH_DOC, DP_ONE_INBOUND, bad))
    assert alone == body()
    got = inspect_rules(tmp_path, capsys, docs(MESH_DOC, DP_ONE_INBOUND, bad, good))
    [timeout] = got["rules"]
    [warning] = timeout["warnings"]
    assert warning.startswith("unable to resolve TargetRef on policy: mesh:m name:mt-bad error:")
    assert timeout["toRules"] == [legacy([], {"idleTimeout": "1s"}, MT, "mt-good")]
    assert timeout["toResourceRules"] == [
        rrule(meta("Mesh", "m", mesh=""), "", {"idleTimeout": "1s"}, [origin(MT, "mt-good", 0)])
    ]


def test_cli_service_subset_with_a_service_tag_is_a_second_tag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§4.2: MeshServiceSubset = service tag + one tag per `tags` entry, so
    `{name: a, tags: {kuma.io/service: b}}` is svc=a∧svc=b (matches nothing), not svc=b.

    Nodes 0 [svc=a, svc=b], 1 [svc=a] do not intersect (b ≠ a); groups "1" > "0".
    {1}: svc≠a (nobody) and svc=a → Allow. {0}: dims svc[a, b]: svc=a → Allow (item 1
    again, no dedup across groups), svc≠a∧svc≠b and svc=b → nobody covers.
    """
    text = docs(
        MESH_DOC,
        DP_ONE_INBOUND,
        """
type: MeshTrafficPermission
mesh: m
name: mtp
spec:
  targetRef: {kind: Mesh}
  from:
    - targetRef: {kind: MeshServiceSubset, name: a, tags: {kuma.io/service: b}}
      default: {action: Deny}
    - targetRef: {kind: MeshService, name: a}
      default: {action: Allow}
""",
    )
    allow = legacy([match(SVC, "a")], {"action": "Allow"}, MTP, "mtp")
    assert inspect_rules(tmp_path, capsys, text) == body(
        block(MTP, from_rules=[{"inbound": WEB_8080, "rules": [allow, allow]}])
    )


def test_cli_tv19_by_name_uses_the_policy_zone_and_namespace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§6.2 / TV-19: a consumer policy in namespace a, zone z1. `name: backend` finds only
    the backend of (a, z1); `namespace: b` overrides the namespace; `labels` finds every
    backend (each its own key). Keys sorted by store name ("-" < ".")."""
    zone_labels = "kuma.io/zone: z1, kuma.io/origin: zone"
    service = """
type: MeshService
mesh: m
name: {name}
labels: {{kuma.io/display-name: backend, k8s.kuma.io/namespace: {ns}, kuma.io/zone: {zone}}}
spec: {{ports: [{{port: 80}}]}}
"""
    text = docs(
        MESH_DOC,
        f"""
type: Dataplane
mesh: m
name: dp
labels: {{k8s.kuma.io/namespace: a, {zone_labels}}}
networking:
  address: 10.0.0.1
  inbound:
    - port: 8080
      tags:
        kuma.io/service: web
""",
        service.format(name="backend.a", ns="a", zone="z1"),
        service.format(name="backend.b", ns="b", zone="z1"),
        service.format(name="backend-z2", ns="a", zone="z2"),
        f"""
type: MeshTimeout
mesh: m
name: p.a
labels: {{kuma.io/display-name: p, k8s.kuma.io/namespace: a, {zone_labels},
         kuma.io/policy-role: consumer}}
spec:
  targetRef: {{kind: Mesh}}
  to:
    - targetRef: {{kind: MeshService, name: backend}}
      default: {{idleTimeout: 1s}}
    - targetRef: {{kind: MeshService, name: backend, namespace: b}}
      default: {{idleTimeout: 2s}}
    - targetRef: {{kind: MeshService, labels: {{kuma.io/display-name: backend}}}}
      default: {{connectionTimeout: 3s}}
""",
    )
    p_labels = {
        "kuma.io/display-name": "p",
        "k8s.kuma.io/namespace": "a",
        "kuma.io/zone": "z1",
        "kuma.io/origin": "zone",
        "kuma.io/policy-role": "consumer",
    }

    def svc(name: str, ns: str, zone: str) -> Json:
        labels = {
            "kuma.io/display-name": "backend",
            "k8s.kuma.io/namespace": ns,
            "kuma.io/zone": zone,
        }
        return meta("MeshService", name, labels=labels)

    def o(i: int) -> Json:
        return origin(MT, "p.a", i, labels=p_labels)

    got = inspect_rules(tmp_path, capsys, text)
    [timeout] = got["rules"]
    assert timeout["toResourceRules"] == [
        rrule(svc("backend-z2", "a", "z2"), "", {"connectionTimeout": "3s"}, [o(2)]),
        rrule(
            svc("backend.a", "a", "z1"),
            "",
            {"connectionTimeout": "3s", "idleTimeout": "1s"},
            [o(0), o(2)],
        ),
        rrule(
            svc("backend.b", "b", "z1"),
            "",
            {"connectionTimeout": "3s", "idleTimeout": "2s"},
            [o(1), o(2)],
        ),
    ]
    assert timeout["warnings"] == []


def test_ties_are_noted_for_display_but_not_reported_as_kuma_warnings() -> None:
    """The dashboard keeps meshtui's tie note in `warnings`; `kuma_warnings` (the API
    field) holds only what Kuma reports."""
    from meshtui.engine.index import build_index
    from meshtui.engine.rules import type_rules
    from meshtui.parse import ContextOptions, parse_documents
    from meshtui.sources.files import parse_text

    policy = (
        "type: MeshTimeout\nmesh: m\nname: p.{ns}\n"
        "labels: {{kuma.io/display-name: p, k8s.kuma.io/namespace: {ns}}}\n"
        "spec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: Mesh}}\n"
        "      default: {{idleTimeout: 1s}}\n"
    )
    text = docs(MESH_DOC, DP_ONE_INBOUND, policy.format(ns="alpha"), policy.format(ns="beta"))
    parsed = parse_documents(parse_text(text, "t.yaml").documents, ContextOptions(version=V2_10))
    idx = build_index(parsed.resources, "m", version=V2_10)
    rules = type_rules(idx, idx.dataplanes["dp"], MT)
    assert rules.kuma_warnings == ()
    assert len(rules.ties) == 1
    assert len(rules.warnings) == 1 and "tie on every ordering key" in rules.warnings[0]


def test_cli_tv10_top_level_specificity_beats_destination_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """TV-10 (§2.3): p1 (Mesh) `to MeshService backend` 10s, p2 (Dataplane selecting
    every proxy) `to Mesh` 99s. Entry order p1#0 then p2#0 (kind rank 1 < 2 comes before
    the to-kind key), so backend gets 99s; legacy order is policy order too."""
    text = docs(
        MESH_DOC,
        DP_ONE_INBOUND,
        BACKEND,
        """
type: MeshTimeout
mesh: m
name: p1
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      default: {http: {requestTimeout: 10s}}
""",
        """
type: MeshTimeout
mesh: m
name: p2
spec:
  targetRef: {kind: Dataplane}
  to:
    - targetRef: {kind: Mesh}
      default: {http: {requestTimeout: 99s}}
""",
    )
    c99 = {"http": {"requestTimeout": "1m39s"}}
    assert inspect_rules(tmp_path, capsys, text) == body(
        block(
            MT,
            to_rules=[
                legacy([match(SVC, "backend")], c99, MT, "p1", "p2"),
                legacy([], c99, MT, "p2"),
            ],
            resource_rules=[
                rrule(
                    meta("MeshService", "backend"),
                    "",
                    c99,
                    [origin(MT, "p1", 0), origin(MT, "p2", 0)],
                ),
                rrule(meta("Mesh", "m", mesh=""), "", c99, [origin(MT, "p2", 0)]),
            ],
        )
    )


@pytest.mark.parametrize("x_origin", [None, "zone"])
def test_cli_tv15_service_and_port_level_merge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], x_origin: str | None
) -> None:
    """TV-15 (§6.4): X `to backend` 1s, Y `to backend sectionName http` 2s.

    Equal attributes: backend:http merges X (no section first) then Y → 2s. With X
    labelled `kuma.io/origin: zone` (rank 3 > absent 2), Y comes first → 1s. The
    service-wide key only has X. Legacy toRules ignore the section: one svc=backend rule
    in policy order (X is `x`, Y is `y`: names descending puts y first unless X's origin
    ranks it after).
    """
    labels = f"labels: {{kuma.io/origin: {x_origin}}}\n" if x_origin else ""
    text = docs(
        MESH_DOC,
        DP_ONE_INBOUND,
        BACKEND + "      name: http\n",
        f"""
type: MeshTimeout
mesh: m
name: x
{labels}spec:
  targetRef: {{kind: Mesh}}
  to:
    - targetRef: {{kind: MeshService, name: backend}}
      default: {{idleTimeout: 1s}}
""",
        """
type: MeshTimeout
mesh: m
name: y
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend, sectionName: http}
      default: {idleTimeout: 2s}
""",
    )
    x_labels = {"kuma.io/origin": x_origin} if x_origin else None
    ox, oy = origin(MT, "x", 0, labels=x_labels), origin(MT, "y", 0)
    if x_origin:
        port_conf, port_origins = {"idleTimeout": "1s"}, [oy, ox]
        legacy_origins = [meta(MT, "y"), meta(MT, "x", labels=x_labels)]
        legacy_conf = {"idleTimeout": "1s"}
    else:
        port_conf, port_origins = {"idleTimeout": "2s"}, [ox, oy]
        legacy_origins = [meta(MT, "y"), meta(MT, "x")]
        legacy_conf = {"idleTimeout": "1s"}
    backend = meta("MeshService", "backend")
    assert inspect_rules(tmp_path, capsys, text) == body(
        block(
            MT,
            to_rules=[
                {"matchers": [match(SVC, "backend")], "conf": legacy_conf, "origin": legacy_origins}
            ],
            resource_rules=[
                rrule(backend, "", {"idleTimeout": "1s"}, [ox]),
                rrule(backend, "http", port_conf, port_origins),
            ],
        )
    )


def test_cli_builtin_gateway_listeners_use_the_gateway_tags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§2.1/§8.3: a built-in gateway's inbound keys are its listeners (networking.address,
    listener port); `Inbound.tags` are the DPP's gateway tags, no `name`; port ascending
    (listeners are declared 8443 first)."""
    text = docs(
        MESH_DOC,
        """
type: Dataplane
mesh: m
name: gw-dp
networking:
  address: 10.0.0.9
  gateway:
    type: BUILTIN
    tags:
      kuma.io/service: edge
""",
        """
type: MeshGateway
mesh: m
name: edge
selectors:
  - match:
      kuma.io/service: edge
conf:
  listeners:
    - port: 8443
      protocol: HTTP
    - port: 80
      protocol: HTTP
""",
        """
type: MeshTimeout
mesh: m
name: mt
spec:
  targetRef: {kind: Mesh}
  from:
    - targetRef: {kind: Mesh}
      default: {idleTimeout: 3s}
  to:
    - targetRef: {kind: Mesh}
      default: {idleTimeout: 4s}
""",
    )
    listeners = [{"port": p, "tags": {SVC: "edge"}} for p in (80, 8443)]
    from_rule = legacy([], {"idleTimeout": "3s"}, MT, "mt")
    inbound_rule = {"conf": [{"idleTimeout": "3s"}], "origin": [origin(MT, "mt", 0)]}
    got = inspect_rules(tmp_path, capsys, text, dp="gw-dp")
    assert got == {
        "resource": meta("Dataplane", "gw-dp"),
        "httpMatches": [],
        "rules": [
            block(
                MT,
                to_rules=[legacy([], {"idleTimeout": "4s"}, MT, "mt")],
                resource_rules=[
                    rrule(
                        meta("Mesh", "m", mesh=""), "", {"idleTimeout": "4s"}, [origin(MT, "mt", 0)]
                    )
                ],
                from_rules=[{"inbound": i, "rules": [from_rule]} for i in listeners],
                inbound_rules=[{"inbound": i, "rules": [inbound_rule]} for i in listeners],
            )
        ],
    }
