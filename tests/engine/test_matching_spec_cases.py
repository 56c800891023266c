"""Audit of top-level matching and policy ordering (Kuma 2.10.11).

Spec: `kuma-matching.md` §1.6, §2.4, §3 (pre-filters, kind switch, MeshGateway
selection, shadow), §4 (policy comparator, entry comparators), §9; `kuma-rules.md` §2.
Every expected value below was worked out by hand from those sections (the section is
named next to each case), except the Go sort vectors, which were produced by running
Go's own `sort`/`slices` algorithms on the same input order (see `GO_VECTORS`).

Most cases run end to end through `meshtui.cli.main` on Universal-form YAML written to
a temporary folder, as the acceptance suite does. Universal resources are stored as
written, so each one carries exactly the labels the case needs (origin, zone,
namespace, role), the way a zone control plane would have stored them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from meshtui.cli import main
from meshtui.engine.index import build_index
from meshtui.engine.inspect import rules_body
from meshtui.engine.matching import go_quote
from meshtui.engine.rules import type_rules
from meshtui.kinds import POLICY_KINDS
from meshtui.parse import ContextOptions, parse_documents
from meshtui.sources.files import parse_text
from tests.engine.matching_support import GO_VECTORS
from tests.versions import V2_10

Doc = dict[str, Any]
MESH = "default"
ADDR = "10.0.0.5"

# ---------------------------------------------------------------------------------------
# builders (Universal form: stored as written)


def mesh() -> Doc:
    return {"type": "Mesh", "name": MESH}


def dp(
    name: str,
    labels: Mapping[str, str] | None = None,
    inbounds: Sequence[Doc] = ({"port": 8080, "tags": {"kuma.io/service": "svc"}},),
    *,
    gateway: Doc | None = None,
    address: str = ADDR,
) -> Doc:
    """A Universal Dataplane (body at the top level)."""
    networking: Doc = {"address": address}
    if inbounds:
        networking["inbound"] = [dict(i) for i in inbounds]
    if gateway is not None:
        networking["gateway"] = dict(gateway)
    doc: Doc = {"type": "Dataplane", "mesh": MESH, "name": name, "networking": networking}
    if labels is not None:
        doc["labels"] = dict(labels)
    return doc


def mt(name: str, spec: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> Doc:
    """A MeshTimeout as stored (Universal): name and labels as given."""
    doc: Doc = {"type": "MeshTimeout", "mesh": MESH, "name": name, "spec": dict(spec)}
    if labels is not None:
        doc["labels"] = dict(labels)
    return doc


def to_mesh(ref: Mapping[str, Any], seconds: int = 1) -> Doc:
    """`targetRef: ref` with one `to: Mesh` item."""
    return {
        "targetRef": dict(ref),
        "to": [{"targetRef": {"kind": "Mesh"}, "default": {"idleTimeout": f"{seconds}s"}}],
    }


def with_rules(ref: Mapping[str, Any], seconds: int = 1) -> Doc:
    """`targetRef: ref` with one `rules` item."""
    return {"targetRef": dict(ref), "rules": [{"default": {"idleTimeout": f"{seconds}s"}}]}


def gateway(name: str, match: Mapping[str, str] | None, **extra: Any) -> Doc:
    """A MeshGateway with one selector (`None`: no selectors) and one listener on 80."""
    doc: Doc = {
        "type": "MeshGateway",
        "mesh": MESH,
        "name": name,
        "conf": {"listeners": [{"port": 80, "protocol": "HTTP", "tags": {"listener": "x"}}]},
        **extra,
    }
    if match is not None:
        doc["selectors"] = [{"match": dict(match)}]
    return doc


def route(name: str, ref: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> Doc:
    doc: Doc = {
        "type": "MeshHTTPRoute",
        "mesh": MESH,
        "name": name,
        "spec": {
            "targetRef": dict(ref),
            "to": [
                {
                    "targetRef": {"kind": "MeshService", "name": "backend"},
                    "rules": [
                        {
                            "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                            "default": {"backendRefs": [{"kind": "MeshService", "name": "b"}]},
                        }
                    ],
                }
            ],
        },
    }
    if labels is not None:
        doc["labels"] = dict(labels)
    return doc


def write(tmp_path: Path, *docs: Doc) -> Path:
    """The documents as one YAML file (each document written as JSON, which is YAML)."""
    (tmp_path / "input.yaml").write_text("\n---\n".join(json.dumps(d) for d in docs))
    return tmp_path


def inspect(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code = main(["inspect", *argv, "--mesh", MESH, "--kuma-version", "2.10"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def affected(capsys: pytest.CaptureFixture[str], path: Path, policy: str) -> list[str]:
    """`inspect dataplanes` names, checking the body shape on the way."""
    body = inspect(capsys, "dataplanes", str(path), "--policy", f"MeshTimeout/{policy}")
    assert set(body) == {"items", "total"}
    assert body["total"] == len(body["items"])
    return [item["name"] for item in body["items"]]


def merge_order(capsys: pytest.CaptureFixture[str], path: Path, dataplane: str) -> list[str]:
    """`inspect policies` store names, lowest priority first."""
    body = inspect(capsys, "policies", str(path), "--dataplane", dataplane, "--type", "MeshTimeout")
    assert body["total"] == len(body["items"])
    return [item["name"] for item in body["items"]]


def rules_block(capsys: pytest.CaptureFixture[str], path: Path, dataplane: str) -> Any:
    body = inspect(capsys, "rules", str(path), "--dataplane", dataplane)
    blocks = [b for b in body["rules"] if b["type"] == "MeshTimeout"]
    return blocks[0] if blocks else None


# ---------------------------------------------------------------------------------------
# §3.2 zone pre-filter, through `inspect dataplanes` (PolicyMatches)

ZONE_DPS = [
    dp("dp-a", {"kuma.io/origin": "zone", "kuma.io/zone": "z1"}),
    dp("dp-b", {"kuma.io/origin": "zone", "kuma.io/zone": "z2"}),
    dp("dp-c"),
    dp("dp-d", {"kuma.io/origin": "global", "kuma.io/zone": "z2"}),
    dp("dp-e", {"kuma.io/origin": "", "kuma.io/zone": "z2"}),
    dp("dp-f", {"kuma.io/origin": "zone"}),
]
ALL_ZONE_DPS = ["dp-a", "dp-b", "dp-c", "dp-d", "dp-e", "dp-f"]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        # zone-originated from z1: only subjects local to z1; a subject without an origin
        # label, or with origin global, is never filtered; origin "" is present (not
        # absent) and is not "zone", so dp-e is not local; dp-f has no zone label (2.7
        # compatibility: local).
        ({"kuma.io/origin": "zone", "kuma.io/zone": "z1"}, ["dp-a", "dp-c", "dp-d", "dp-f"]),
        # producers are never zone-filtered
        (
            {"kuma.io/origin": "zone", "kuma.io/zone": "z1", "kuma.io/policy-role": "producer"},
            ALL_ZONE_DPS,
        ),
        # zone origin without a zone label: not filtered
        ({"kuma.io/origin": "zone"}, ALL_ZONE_DPS),
        # non-zone origins are not filtered ("" is not "zone")
        ({"kuma.io/origin": "global", "kuma.io/zone": "z1"}, ALL_ZONE_DPS),
        ({"kuma.io/origin": "", "kuma.io/zone": "z1"}, ALL_ZONE_DPS),
        # a present but empty zone label: local only where the subject has no zone label
        ({"kuma.io/origin": "zone", "kuma.io/zone": ""}, ["dp-c", "dp-d", "dp-f"]),
    ],
)
def test_zone_prefilter(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    labels: dict[str, str],
    expected: list[str],
) -> None:
    path = write(tmp_path, mesh(), *ZONE_DPS, mt("p", to_mesh({"kind": "Mesh"}), labels))
    assert affected(capsys, path, "p") == expected


# §3.2 namespace pre-filter; §2.4 role read from the label

NS_DPS = [
    dp("ns-demo", {"k8s.kuma.io/namespace": "demo"}),
    dp("ns-empty", {"k8s.kuma.io/namespace": ""}),
    dp("ns-none"),
    dp("ns-other", {"k8s.kuma.io/namespace": "other"}),
]
ALL_NS_DPS = ["ns-demo", "ns-empty", "ns-none", "ns-other"]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"kuma.io/policy-role": "consumer", "k8s.kuma.io/namespace": "demo"}, ["ns-demo"]),
        ({"kuma.io/policy-role": "workload-owner", "k8s.kuma.io/namespace": "demo"}, ["ns-demo"]),
        # a missing namespace label on the proxy reads as "", the policy's must be present
        ({"kuma.io/policy-role": "consumer", "k8s.kuma.io/namespace": ""}, ["ns-empty", "ns-none"]),
        ({"kuma.io/policy-role": "consumer"}, []),
        ({"kuma.io/policy-role": "workload-owner"}, []),
        # producer, system, absent/empty role, unknown role: not namespace-scoped
        ({"kuma.io/policy-role": "producer", "k8s.kuma.io/namespace": "demo"}, ALL_NS_DPS),
        ({"kuma.io/policy-role": "system", "k8s.kuma.io/namespace": "demo"}, ALL_NS_DPS),
        ({"kuma.io/policy-role": ""}, ALL_NS_DPS),
        ({"kuma.io/policy-role": "team-x"}, ALL_NS_DPS),
        ({"kuma.io/policy-role": "Consumer", "k8s.kuma.io/namespace": "demo"}, ALL_NS_DPS),
    ],
)
def test_namespace_prefilter(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    labels: dict[str, str],
    expected: list[str],
) -> None:
    path = write(tmp_path, mesh(), *NS_DPS, mt("p", to_mesh({"kind": "Mesh"}), labels))
    assert affected(capsys, path, "p") == expected


def test_affected_dataplanes_body_is_sorted_metas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The handler lists through the pagination store, which sorts by (mesh, name); each
    # item is a Meta {type, mesh, name, labels} (labels never null).
    path = write(
        tmp_path,
        mesh(),
        dp("zz", {"app": "z"}),
        dp("aa"),
        dp("mm", inbounds=({"port": 1, "state": "Ignored", "tags": {"kuma.io/service": "s"}},)),
        mt("p", to_mesh({"kind": "Mesh"})),
    )
    body = inspect(capsys, "dataplanes", str(path), "--policy", "MeshTimeout/p")
    assert body == {
        "items": [
            {"type": "Dataplane", "mesh": MESH, "name": "aa", "labels": {}},
            {"type": "Dataplane", "mesh": MESH, "name": "zz", "labels": {"app": "z"}},
        ],
        "total": 2,
    }


# ---------------------------------------------------------------------------------------
# §3.3 kind switch, through `inspect dataplanes`

KIND_DPS = [
    mesh(),
    dp(
        "web",
        {"app": "web"},
        [
            {"port": 8080, "name": "http", "tags": {"kuma.io/service": "web", "version": "v1"}},
            {"port": 9090, "tags": {"kuma.io/service": "admin"}},
        ],
    ),
    dp(
        "web-team",
        {"team": "a"},
        [{"port": 8080, "tags": {"kuma.io/service": "web", "version": "v2"}}],
    ),
    dp(
        "ign",
        inbounds=[
            {"port": 8080, "state": "Ignored", "tags": {"kuma.io/service": "web", "version": "v1"}}
        ],
    ),
    dp("dgw", inbounds=(), gateway={"type": "DELEGATED", "tags": {"kuma.io/service": "edge"}}),
    dp("bgw", inbounds=(), gateway={"type": "BUILTIN", "tags": {"kuma.io/service": "edge"}}),
    gateway("gw", {"kuma.io/service": "edge"}),
    route("r", {"kind": "MeshService", "name": "admin"}),
]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        # Mesh: non-ignored inbounds, gateway listeners, delegated flag (ign has none left)
        (to_mesh({"kind": "Mesh"}), ["bgw", "dgw", "web", "web-team"]),
        # proxyTypes: Gateway covers built-in and delegated gateways
        (to_mesh({"kind": "Mesh", "proxyTypes": ["Sidecar"]}), ["web", "web-team"]),
        (to_mesh({"kind": "Mesh", "proxyTypes": ["Gateway"]}), ["bgw", "dgw"]),
        (to_mesh({"kind": "MeshSubset", "proxyTypes": ["Gateway"]}), ["bgw", "dgw"]),
        # MeshSubset: `*` needs the key; listener tags merge dp gateway + gateway + listener
        (to_mesh({"kind": "MeshSubset", "tags": {"version": "*"}}), ["web", "web-team"]),
        (to_mesh({"kind": "MeshSubset", "tags": {"version": "v1"}}), ["web"]),
        (to_mesh({"kind": "MeshSubset", "tags": {"kuma.io/service": "edge"}}), ["bgw", "dgw"]),
        (to_mesh({"kind": "MeshSubset", "tags": {"listener": "x"}}), ["bgw"]),
        (
            to_mesh({"kind": "MeshSubset", "tags": {"version": "v1"}, "proxyTypes": ["Gateway"]}),
            [],
        ),
        # MeshService: selector {kuma.io/service: name}; a labels-only ref selects nothing
        (to_mesh({"kind": "MeshService", "name": "web"}), ["web", "web-team"]),
        (to_mesh({"kind": "MeshService", "name": "edge"}), ["bgw", "dgw"]),
        (to_mesh({"kind": "MeshService", "labels": {"app": "web"}}), []),
        (
            to_mesh({"kind": "MeshServiceSubset", "name": "web", "tags": {"version": "v2"}}),
            ["web-team"],
        ),
        # Dataplane: never a built-in gateway (gw set), delegated flag false, no Ignored
        (with_rules({"kind": "Dataplane"}), ["web", "web-team"]),
        (with_rules({"kind": "Dataplane", "labels": {}}), ["web", "web-team"]),
        (with_rules({"kind": "Dataplane", "labels": {"team": ""}}), ["web"]),  # TV17
        (with_rules({"kind": "Dataplane", "sectionName": "http"}), ["web"]),
        (with_rules({"kind": "Dataplane", "sectionName": "9090"}), []),  # TV9
        (with_rules({"kind": "Dataplane", "name": "web"}), ["web"]),
        (with_rules({"kind": "Dataplane", "namespace": "demo"}), []),  # TV10
        # MeshGateway: the built-in gateway serving the named MeshGateway
        (to_mesh({"kind": "MeshGateway", "name": "gw"}), ["bgw"]),
        (to_mesh({"kind": "MeshGateway", "name": "other"}), []),
        (to_mesh({"kind": "MeshGateway", "name": "gw", "tags": {"listener": "y"}}), []),
        # MeshHTTPRoute: the route's own top-level (MeshService admin) decides
        (to_mesh({"kind": "MeshHTTPRoute", "name": "r"}), ["web"]),
        (to_mesh({"kind": "MeshHTTPRoute", "name": "missing"}), []),
    ],
)
def test_kind_switch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: Doc, expected: list[str]
) -> None:
    path = write(tmp_path, *KIND_DPS, mt("p", spec))
    assert affected(capsys, path, "p") == expected


def test_dataplane_identity_by_name_across_origins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # TV10: identity = (display name, mesh, ref.namespace or the policy's, policy's zone).
    web = dp(
        "web-1.demo",
        {
            "kuma.io/display-name": "web-1",
            "k8s.kuma.io/namespace": "demo",
            "kuma.io/zone": "zone-1",
            "kuma.io/origin": "zone",
        },
    )
    zone_sys = {
        "kuma.io/origin": "zone",
        "kuma.io/zone": "zone-1",
        "k8s.kuma.io/namespace": "kuma-system",
        "kuma.io/policy-role": "system",
    }
    ref = {"kind": "Dataplane", "name": "web-1", "namespace": "demo"}
    path = write(
        tmp_path,
        mesh(),
        web,
        mt("global-copy", with_rules(ref), {"kuma.io/origin": "global"}),
        mt("no-namespace", with_rules({"kind": "Dataplane", "name": "web-1"}), zone_sys),
        mt("same-zone", with_rules(ref), zone_sys),
        mt("by-store-name", with_rules({**ref, "name": "web-1.demo"}), zone_sys),
    )
    assert affected(capsys, path, "global-copy") == []
    assert affected(capsys, path, "no-namespace") == []
    assert affected(capsys, path, "same-zone") == ["web-1.demo"]
    assert affected(capsys, path, "by-store-name") == []


def test_route_is_found_by_display_name_and_prefiltered_with_its_own_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # §3.3 MeshHTTPRoute row: first route (store order) whose display name is the ref
    # name, in any namespace; both pre-filters then run again with the route's labels.
    demo = {"k8s.kuma.io/namespace": "demo"}
    path = write(
        tmp_path,
        mesh(),
        dp("web", demo, [{"port": 8080, "tags": {"kuma.io/service": "web"}}]),
        # consumer route of namespace other: its namespace filter rejects web (demo)
        route(
            "r-other.other",
            {"kind": "Mesh"},
            {
                "kuma.io/display-name": "r-other",
                "kuma.io/policy-role": "consumer",
                "k8s.kuma.io/namespace": "other",
            },
        ),
        route(
            "r-sys.kuma-system",
            {"kind": "Mesh"},
            {"kuma.io/display-name": "r-sys", "k8s.kuma.io/namespace": "kuma-system"},
        ),
        mt("via-other", to_mesh({"kind": "MeshHTTPRoute", "name": "r-other"})),
        mt("via-sys", to_mesh({"kind": "MeshHTTPRoute", "name": "r-sys"})),
        mt("via-store-name", to_mesh({"kind": "MeshHTTPRoute", "name": "r-sys.kuma-system"})),
    )
    assert affected(capsys, path, "via-other") == []
    assert affected(capsys, path, "via-sys") == ["web"]
    assert affected(capsys, path, "via-store-name") == []


# ---------------------------------------------------------------------------------------
# §3.3.4 MeshGateway selection


def builtin(name: str = "bgw", labels: Mapping[str, str] | None = None) -> Doc:
    return dp(
        name,
        labels,
        inbounds=(),
        gateway={"type": "BUILTIN", "tags": {"kuma.io/service": "edge", "env": "prod"}},
    )


def on_gateway(name: str) -> Doc:
    """A MeshTimeout on the MeshGateway `name`."""
    return mt(f"on-{name}", to_mesh({"kind": "MeshGateway", "name": name}))


@pytest.mark.parametrize(
    ("gateways", "winner"),
    [
        # rank = (#exact, #*): higher total wins, then more exact values
        (
            [("gw-star", {"kuma.io/service": "*"}), ("gw-exact", {"kuma.io/service": "edge"})],
            "gw-exact",
        ),
        (
            [
                ("gw-exact", {"kuma.io/service": "edge"}),
                ("gw-two", {"kuma.io/service": "*", "env": "*"}),
            ],
            "gw-two",
        ),
        # an empty selector (or none) matches with rank 0 and loses to any match
        ([("gw-any", {}), ("gw-star", {"kuma.io/service": "*"})], "gw-star"),
        ([("gw-none", None), ("gw-star", {"kuma.io/service": "*"})], "gw-star"),
        # equal ranks without creation times: the first by name is kept
        ([("gw-b", {"env": "prod"}), ("gw-a", {"env": "prod"})], "gw-a"),
        # a selector the proxy does not satisfy does not count
        ([("gw-miss", {"env": "dev", "kuma.io/service": "edge"}), ("gw-any", {})], "gw-any"),
    ],
)
def test_gateway_selection_rank(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gateways: list[tuple[str, dict[str, str] | None]],
    winner: str,
) -> None:
    docs = [mesh(), builtin()]
    for name, match in gateways:
        docs += [gateway(name, match), on_gateway(name)]
    path = write(tmp_path, *docs)
    for name, _ in gateways:
        assert affected(capsys, path, f"on-{name}") == (["bgw"] if name == winner else []), name


@pytest.mark.parametrize(
    ("times", "winner"),
    [
        (("2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z"), "gw-b"),
        (("2024-06-01T00:00:00Z", "2024-01-01T00:00:00Z"), "gw-a"),
    ],
)
def test_gateway_selection_equal_rank_later_creation_wins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], times: tuple[str, str], winner: str
) -> None:
    path = write(
        tmp_path,
        mesh(),
        builtin(),
        gateway("gw-a", {"env": "prod"}, creationTime=times[0]),
        gateway("gw-b", {"env": "prod"}, creationTime=times[1]),
        on_gateway("gw-a"),
        on_gateway("gw-b"),
    )
    assert affected(capsys, path, "on-gw-a") == (["bgw"] if winner == "gw-a" else [])
    assert affected(capsys, path, "on-gw-b") == (["bgw"] if winner == "gw-b" else [])


@pytest.mark.parametrize(
    ("gw_labels", "dp_labels", "kept"),
    [
        ({"kuma.io/origin": "zone", "kuma.io/zone": "z2"}, {"kuma.io/zone": "z1"}, False),
        ({"kuma.io/origin": "zone", "kuma.io/zone": "z2"}, {}, True),
        ({"kuma.io/origin": "zone", "kuma.io/zone": "z1"}, {"kuma.io/zone": "z1"}, True),
        ({"kuma.io/origin": "global"}, {"kuma.io/zone": "z1"}, True),
        ({}, {"kuma.io/zone": "z1"}, True),
        # present but empty origin: neither absent nor global, and not a zone resource
        ({"kuma.io/origin": ""}, {"kuma.io/zone": "z1"}, False),
        ({"kuma.io/origin": ""}, {}, True),
    ],
)
def test_gateway_zone_filter(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gw_labels: dict[str, str],
    dp_labels: dict[str, str],
    kept: bool,
) -> None:
    gw = gateway("gw", {"kuma.io/service": "edge"}, labels=gw_labels)
    path = write(tmp_path, mesh(), builtin(labels=dp_labels), gw, on_gateway("gw"))
    assert affected(capsys, path, "on-gw") == (["bgw"] if kept else [])


def test_zone_prefilter_subject_is_the_selected_gateway(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # §3.2: with a MeshGateway selected the zone filter looks at the gateway's labels;
    # this one has no origin, so a zone-z2 policy applies to the z1 gateway proxy.
    z1 = {"kuma.io/origin": "zone", "kuma.io/zone": "z1"}
    path = write(
        tmp_path,
        mesh(),
        builtin(labels=z1),
        dp("side", z1),
        gateway("gw", {"kuma.io/service": "edge"}),
        mt("from-z2", to_mesh({"kind": "Mesh"}), {"kuma.io/origin": "zone", "kuma.io/zone": "z2"}),
    )
    assert affected(capsys, path, "from-z2") == ["bgw"]
    assert merge_order(capsys, path, "bgw") == ["from-z2"]
    assert merge_order(capsys, path, "side") == []


def test_sidecar_gets_a_gateway_in_the_bulk_path_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # §3.3.4 quirk: MatchedPolicies selects a gateway for every proxy (inbound tags count),
    # which stops `kind: Dataplane` from selecting the sidecar; PolicyMatches (the
    # affected-dataplanes endpoint) only does so for built-in gateways.
    path = write(
        tmp_path,
        mesh(),
        dp(
            "web",
            {"app": "web"},
            [{"port": 8080, "tags": {"kuma.io/service": "web", "app": "web"}}],
        ),
        gateway("gw-web", {"app": "web"}),
        mt("by-labels", with_rules({"kind": "Dataplane", "labels": {"app": "web"}})),
        mt("all", with_rules({"kind": "Mesh"})),
    )
    assert affected(capsys, path, "by-labels") == ["web"]
    assert merge_order(capsys, path, "web") == ["all"]


# ---------------------------------------------------------------------------------------
# §3.5 shadow


def test_shadow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path,
        mesh(),
        dp("web"),
        mt("shadow", to_mesh({"kind": "Mesh"}), {"kuma.io/effect": "shadow"}),
        mt("capital", to_mesh({"kind": "Mesh"}), {"kuma.io/effect": "Shadow"}),
    )
    assert merge_order(capsys, path, "web") == ["capital"]
    # PolicyMatches does not look at the effect label
    assert affected(capsys, path, "shadow") == ["web"]


# ---------------------------------------------------------------------------------------
# §4.1 policy comparator, through `inspect policies` (merge order)

WEB = dp(
    "web",
    {"app": "web", "k8s.kuma.io/namespace": "demo"},
    [{"port": 8080, "name": "http", "tags": {"kuma.io/service": "web", "version": "v1"}}],
)


def test_kind_rank_beats_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Mesh 1 < Dataplane 2 < MeshSubset 3 < MeshService 5 < MeshServiceSubset 8 <
    # MeshHTTPRoute 9, whatever the (descending) names say. TV1: Dataplane < MeshSubset.
    path = write(
        tmp_path,
        mesh(),
        WEB,
        route("r", {"kind": "Mesh"}),
        mt("a-mesh", to_mesh({"kind": "Mesh"})),
        mt("b-dp", to_mesh({"kind": "Dataplane", "labels": {"app": "web"}})),
        mt("c-subset", to_mesh({"kind": "MeshSubset", "tags": {"version": "v1"}})),
        mt("d-svc", to_mesh({"kind": "MeshService", "name": "web"})),
        mt("e-svcsubset", to_mesh({"kind": "MeshServiceSubset", "name": "web", "tags": {}})),
        mt("f-route", to_mesh({"kind": "MeshHTTPRoute", "name": "r"})),
    )
    assert merge_order(capsys, path, "web") == [
        "a-mesh",
        "b-dp",
        "c-subset",
        "d-svc",
        "e-svcsubset",
        "f-route",
    ]


def test_origin_rank(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # unrecognised 0 < global 1 < absent or empty 2 < zone 3; names descending within.
    path = write(
        tmp_path,
        mesh(),
        WEB,
        mt("o-a", to_mesh({"kind": "Mesh"}), {"kuma.io/origin": "weird"}),
        mt("o-b", to_mesh({"kind": "Mesh"}), {"kuma.io/origin": "global"}),
        mt("o-c", to_mesh({"kind": "Mesh"})),
        mt("o-d", to_mesh({"kind": "Mesh"}), {"kuma.io/origin": ""}),
        mt("o-e", to_mesh({"kind": "Mesh"}), {"kuma.io/origin": "zone"}),
    )
    assert merge_order(capsys, path, "web") == ["o-a", "o-b", "o-d", "o-c", "o-e"]


def test_role_rank(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # §2.4 + §4.1 key 5: unknown 0 < system/absent/empty 1 < producer 2 < consumer 3 <
    # workload-owner 4 (consumer and workload-owner need the proxy's namespace).
    demo = {"k8s.kuma.io/namespace": "demo"}
    path = write(
        tmp_path,
        mesh(),
        WEB,
        mt("r-a", to_mesh({"kind": "Mesh"}), {"kuma.io/policy-role": "team-x"}),
        mt("r-b", to_mesh({"kind": "Mesh"}), {"kuma.io/policy-role": "system"}),
        mt("r-c", to_mesh({"kind": "Mesh"}), {"kuma.io/policy-role": ""}),
        mt("r-d", to_mesh({"kind": "Mesh"}), {"kuma.io/policy-role": "producer"}),
        mt("r-e", to_mesh({"kind": "Mesh"}), {"kuma.io/policy-role": "consumer", **demo}),
        mt("r-f", to_mesh({"kind": "Mesh"}), {"kuma.io/policy-role": "workload-owner", **demo}),
        mt("r-g", to_mesh({"kind": "Mesh"})),
    )
    assert merge_order(capsys, path, "web") == ["r-a", "r-g", "r-c", "r-b", "r-d", "r-e", "r-f"]


def test_key_precedence_kind_then_origin_then_role(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # TV2/TV5: kind beats origin and role; origin beats role.
    owner = {"kuma.io/policy-role": "workload-owner", "k8s.kuma.io/namespace": "demo"}
    path = write(
        tmp_path,
        mesh(),
        WEB,
        mt("x1", to_mesh({"kind": "Mesh"}), {"kuma.io/origin": "zone", **owner}),
        mt("x2", to_mesh({"kind": "Dataplane"}), {"kuma.io/origin": "global"}),
        mt("x3", to_mesh({"kind": "Mesh"}), {"kuma.io/origin": "global", **owner}),
        mt("x4", to_mesh({"kind": "Mesh"}), {"kuma.io/origin": "zone"}),
    )
    assert merge_order(capsys, path, "web") == ["x3", "x4", "x1", "x2"]


def test_display_name_descending(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # TV4: the display-name label (when non-empty) replaces the store name; descending.
    def named(store: str, display: str) -> Doc:
        return mt(store, to_mesh({"kind": "Mesh"}), {"kuma.io/display-name": display})

    path = write(
        tmp_path, mesh(), WEB, named("p1", "b"), named("p2", "c"), named("p3", "a"), named("p4", "")
    )
    assert merge_order(capsys, path, "web") == ["p4", "p2", "p1", "p3"]


def test_dataplane_refinement_is_not_transitive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # TV11: labels-based < name-based; "all" is tied with both at key 2. Store order
    # a-all, b-labels, c-name; Go's insertion sort: b<a (names) -> [b,a,c]; c<a (names)
    # -> [b,c,a]; c vs b: name-based after labels-based -> stop. A plain sort by keys
    # would give c-name, b-labels, a-all.
    ref = {"kind": "Dataplane"}
    path = write(
        tmp_path,
        mesh(),
        WEB,
        mt("a-all", with_rules(ref)),
        mt("b-labels", with_rules({**ref, "labels": {"app": "web"}})),
        mt("c-name", with_rules({**ref, "name": "web", "namespace": "demo"})),
    )
    assert merge_order(capsys, path, "web") == ["b-labels", "c-name", "a-all"]


def test_dataplane_refinement_section_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # TV11: by-labels < by-name < by-name with sectionName, whatever the names.
    ref = {"kind": "Dataplane"}
    path = write(
        tmp_path,
        mesh(),
        WEB,
        mt(
            "a-name-section",
            with_rules({**ref, "name": "web", "namespace": "demo", "sectionName": "http"}),
        ),
        mt("b-name", with_rules({**ref, "name": "web", "namespace": "demo"})),
        mt("c-labels", with_rules({**ref, "labels": {"app": "web"}})),
        mt(
            "d-labels-section", with_rules({**ref, "labels": {"app": "web"}, "sectionName": "http"})
        ),
    )
    # labels vs name decides first (key 2a), sectionName only between equals (key 2b):
    # c-labels < d-labels-section (section) ; d-labels-section < b-name (labels < name).
    assert merge_order(capsys, path, "web") == [
        "c-labels",
        "d-labels-section",
        "b-name",
        "a-name-section",
    ]


def test_mesh_gateway_tag_count_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # §4.1 key 4 (2.10): after origin, before role: fewer MeshGateway `tags` first.
    gw = gateway("gw", {"kuma.io/service": "edge"})
    gw["conf"] = {
        "listeners": [{"port": 80, "protocol": "HTTP", "tags": {"listener": "x", "port": "http"}}]
    }

    def on_gw(name: str, tags: dict[str, str], labels: dict[str, str] | None = None) -> Doc:
        ref: Doc = {"kind": "MeshGateway", "name": "gw"}
        if tags:
            ref["tags"] = tags
        return mt(name, to_mesh(ref), labels)

    path = write(
        tmp_path,
        mesh(),
        builtin(),
        gw,
        on_gw("g-a", {"listener": "x"}),
        on_gw("g-m", {"listener": "x", "port": "http"}, {"kuma.io/origin": "global"}),
        on_gw("g-u", {"listener": "x"}, {"kuma.io/policy-role": "team-x"}),
        on_gw("g-z", {}),
    )
    assert merge_order(capsys, path, "bgw") == ["g-m", "g-z", "g-u", "g-a"]


def test_more_than_twelve_full_ties_follow_pdqsort(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # §4.1: ties after key 6 are Go's unstable sort's business. 14 policies in store
    # order p00..p13 whose display names come in equal pairs (n0, n0, n1, n1, ...):
    # pdqsort's result is GO_VECTORS[0] (a stable sort would keep each pair in order).
    docs = [
        mt(f"p{i:02d}", to_mesh({"kind": "Mesh"}), {"kuma.io/display-name": f"n{i // 2}"})
        for i in range(14)
    ]
    path = write(tmp_path, mesh(), WEB, *docs)
    assert merge_order(capsys, path, "web") == [f"p{i:02d}" for i in GO_VECTORS[0][2]]


def test_more_than_twelve_dataplane_refs_follow_pdqsort(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The non-transitive Dataplane refinement over 16 policies: GO_VECTORS[3].
    refs: list[Doc] = [
        {"kind": "Dataplane"},
        {"kind": "Dataplane", "labels": {"app": "web"}},
        {"kind": "Dataplane", "name": "web", "namespace": "demo"},
    ]
    docs = [mt(f"n{i:02d}", with_rules(refs[i % 3])) for i in range(16)]
    path = write(tmp_path, mesh(), WEB, *docs)
    assert merge_order(capsys, path, "web") == [f"n{i:02d}" for i in GO_VECTORS[3][2]]


# ---------------------------------------------------------------------------------------
# warnings (§3.1, `kuma-rules.md` §2.2) and inbound selection, through `inspect rules`


def test_unresolved_route_warning_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "unable to resolve TargetRef on policy: mesh:%s name:%s error:%q" (Go %q quoting)
    path = write(
        tmp_path,
        mesh(),
        WEB,
        mt("base", to_mesh({"kind": "Mesh"})),
        mt("via-route", to_mesh({"kind": "MeshHTTPRoute", "name": 'a"b\\c'})),
        # pre-filtered before the kind switch: no warning
        mt(
            "elsewhere",
            to_mesh({"kind": "MeshHTTPRoute", "name": "nope"}),
            {"kuma.io/policy-role": "consumer", "k8s.kuma.io/namespace": "other"},
        ),
    )
    block = rules_block(capsys, path, "web")
    assert block["warnings"] == [
        "unable to resolve TargetRef on policy: mesh:default name:via-route"
        " error:\"couldn't resolve MeshHTTPRoute targetRef with name 'a\\\"b\\\\c'\""
    ]


def test_warning_from_a_route_names_the_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The recursion returns the route's error; MatchedPolicies words it with the policy.
    path = write(
        tmp_path,
        mesh(),
        WEB,
        route("r1", {"kind": "MeshHTTPRoute", "name": "missing"}),
        mt("base", to_mesh({"kind": "Mesh"})),
        mt("via-r1", to_mesh({"kind": "MeshHTTPRoute", "name": "r1"})),
    )
    block = rules_block(capsys, path, "web")
    assert block["warnings"] == [
        "unable to resolve TargetRef on policy: mesh:default name:via-r1"
        " error:\"couldn't resolve MeshHTTPRoute targetRef with name 'missing'\""
    ]


@pytest.mark.parametrize(
    ("go", "text"),
    [
        # outputs of Go's fmt.Sprintf("%q", text)
        ('"tab\\there\\nnl\\x01\\x7f"', "tab\there\nnl\x01\x7f"),
        ('"é\\u200b😀 ok"', "é\u200b😀 ok"),
        ("\"unsupported targetRef kind 'Foo'\"", "unsupported targetRef kind 'Foo'"),
    ],
)
def test_go_quote(go: str, text: str) -> None:
    assert go_quote(text) == go


def test_ignored_inbound_gets_no_inbound_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # TV18 (2.10): Mesh/Dataplane kinds skip Ignored inbounds.
    path = write(
        tmp_path,
        mesh(),
        dp(
            "web",
            inbounds=[
                {
                    "port": 8080,
                    "name": "http",
                    "state": "Ignored",
                    "tags": {"kuma.io/service": "web"},
                },
                {"port": 9090, "tags": {"kuma.io/service": "admin"}},
            ],
        ),
        mt("all", with_rules({"kind": "Mesh"})),
        mt("by-dp", with_rules({"kind": "Dataplane"}, 2)),
    )
    block = rules_block(capsys, path, "web")
    assert [e["inbound"]["port"] for e in block["inboundRules"]] == [9090]
    assert block["inboundRules"][0]["rules"][0]["conf"] == [{"idleTimeout": "2s"}]


def test_section_name_selects_by_inbound_name_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # TV9 (2.10): sectionName compares with the inbound's name; "9090" names no inbound.
    docs = [
        mesh(),
        dp(
            "web",
            inbounds=[
                {"port": 8080, "name": "http", "tags": {"kuma.io/service": "web"}},
                {"port": 9090, "tags": {"kuma.io/service": "admin"}},
            ],
        ),
    ]
    path = write(tmp_path, *docs, mt("s", with_rules({"kind": "Dataplane", "sectionName": "9090"})))
    assert rules_block(capsys, path, "web") is None
    path = write(tmp_path, *docs, mt("s", with_rules({"kind": "Dataplane", "sectionName": "http"})))
    block = rules_block(capsys, path, "web")
    assert [e["inbound"]["port"] for e in block["inboundRules"]] == [8080]


def test_top_level_mesh_service_selects_one_inbound(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # TV12: {kind: MeshService, name: web} attaches to the `web` inbound only; the
    # per-inbound list of 9090 holds only the Mesh policy.
    path = write(
        tmp_path,
        mesh(),
        dp(
            "web",
            inbounds=[
                {"port": 8080, "tags": {"kuma.io/service": "web"}},
                {"port": 9090, "tags": {"kuma.io/service": "admin"}},
            ],
        ),
        mt("base", with_rules({"kind": "Mesh"}, 1)),
        mt("svc", with_rules({"kind": "MeshService", "name": "web"}, 5)),
    )
    block = rules_block(capsys, path, "web")
    confs = {e["inbound"]["port"]: e["rules"][0]["conf"] for e in block["inboundRules"]}
    assert confs == {8080: [{"idleTimeout": "5s"}], 9090: [{"idleTimeout": "1s"}]}


# ---------------------------------------------------------------------------------------
# index.py candidate sets: the fast path must equal evaluating every candidate


def _labels(rng: random.Random, choices: Mapping[str, Sequence[str | None]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, values in choices.items():
        value = rng.choice(values)
        if value is not None:
            out[key] = value
    return out


def _random_mesh(seed: int) -> list[Doc]:
    rng = random.Random(seed)
    docs: list[Doc] = [mesh()]
    dp_choices: dict[str, Sequence[str | None]] = {
        "k8s.kuma.io/namespace": (None, "", "demo", "other"),
        "kuma.io/origin": (None, "", "zone", "global"),
        "kuma.io/zone": (None, "z1", "z2"),
        "app": (None, "web"),
    }
    for i in range(10):
        shape = rng.randrange(5)
        inbounds: list[Doc] = []
        gw: Doc | None = None
        if shape in (0, 1, 2):
            inbounds = [
                {"port": 8000 + k, "tags": {"kuma.io/service": f"s{k}", "v": rng.choice("ab")}}
                for k in range(rng.randint(1, 2))
            ]
        if shape == 1:
            inbounds[0]["state"] = "Ignored"
        if shape in (3, 4):
            gw = {"type": "DELEGATED", "tags": {"kuma.io/service": "edge"}}
            if shape == 4:
                inbounds = [{"port": 7000, "tags": {"kuma.io/service": "edge-in"}}]
        docs.append(dp(f"dp{i}", _labels(rng, dp_choices), inbounds, gateway=gw))
    policy_choices: dict[str, Sequence[str | None]] = {
        "kuma.io/policy-role": (None, "", "system", "producer", "consumer", "workload-owner", "x"),
        "k8s.kuma.io/namespace": (None, "", "demo", "other"),
        "kuma.io/origin": (None, "", "zone", "global"),
        "kuma.io/zone": (None, "", "z1", "z2"),
    }
    refs: list[Doc] = [
        {"kind": "Mesh"},
        {"kind": "Mesh", "proxyTypes": ["Sidecar"]},
        {"kind": "Mesh", "proxyTypes": ["Gateway"]},
        {"kind": "MeshSubset", "tags": {"v": "a"}},
        {"kind": "Dataplane", "labels": {"app": "web"}},
        {"kind": "Dataplane"},
    ]
    for i in range(25):
        labels = _labels(rng, policy_choices)
        labels["kuma.io/display-name"] = f"n{rng.randrange(8)}"
        docs.append(mt(f"p{i:02d}", with_rules(rng.choice(refs), i), labels))
    return docs


@pytest.mark.parametrize("seed", range(12))
def test_fast_path_equals_evaluating_every_candidate(seed: int) -> None:
    text = "\n---\n".join(json.dumps(d) for d in _random_mesh(seed))
    contents = parse_text(text, "random.yaml")
    assert not contents.problems
    result = parse_documents(contents.documents, ContextOptions(version=V2_10))
    index = build_index(result.resources, MESH, version=V2_10)
    for proxy in index.dataplanes.values():
        fast = [type_rules(index, proxy, kind, fast=True) for kind in POLICY_KINDS]
        slow = [type_rules(index, proxy, kind, fast=False) for kind in POLICY_KINDS]
        for f, s in zip(fast, slow, strict=True):
            assert f.matched == s.matched
            assert f.by_inbound == s.by_inbound
            assert f.warnings == s.warnings
        assert rules_body(index, proxy, computed=fast) == rules_body(index, proxy, computed=slow)
