"""`ProxyPolicies` over an evaluation's shared, memoised rules answers every request of
the 2.12 policies family exactly as `InspectApi` does computing from scratch.

The dashboard's detail and its cross-check take the shared path; the headless
`inspect api` the plain one. Every proxy of the sample's Exclusive mesh, every inbound,
outbound and route, at each line that has the endpoints.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meshtui.engine.api import InspectApi, ProxyPolicies
from meshtui.engine.evaluation import MeshEvaluation
from meshtui.engine.index import build_index
from meshtui.engine.kri import Kri
from meshtui.parse import ContextOptions, parse_documents
from meshtui.sources.files import load_path
from meshtui.versions import KumaVersion
from tests.versions import V2_12, V2_13, V2_14

SHOP = Path(__file__).resolve().parents[2] / "sample-cluster" / "shop"


@pytest.mark.parametrize("version", [V2_12, V2_13, V2_14])
def test_shared_rules_answer_as_the_plain_computation(version: KumaVersion) -> None:
    documents, _ = load_path(SHOP)
    resources = parse_documents(documents, ContextOptions(version=version)).resources
    plain = InspectApi(resources, version)
    ev = MeshEvaluation(build_index(resources, "shop", version=version))
    names = sorted(ev.index.dataplanes, reverse=True)  # later proxies reuse earlier results
    compared: list[str] = []

    def same(base: str, path: str, ours: object) -> None:
        answer = plain.get(f"{base}/{path}")
        assert answer.status == 200, (path, answer.body)
        assert ours == answer.body, path
        compared.append(path)

    for name in names:
        rules = ev.rules(name)
        assert rules is not None
        proxy = ProxyPolicies(ev.index, rules.dataplane, rules.types)
        base = f"/meshes/shop/dataplanes/{name}"

        layout = proxy.layout()
        same(base, "_layout", layout)
        same(base, "_policies", proxy.proxy_body())
        for inbound in layout["inbounds"]:
            section = Kri.parse(inbound["kri"], version).section
            same(base, f"_inbounds/{inbound['kri']}/_policies", proxy.inbound_body(section))
        for outbound in layout["outbounds"]:
            text = outbound["kri"]
            parsed = Kri.parse(text, version)
            same(base, f"_outbounds/{text}/_policies", proxy.outbound_body(parsed))
            same(base, f"_outbounds/{text}/_routes", proxy.routes_body(parsed))
            for route in proxy.routes(parsed):
                for rule in route.rules:
                    if rule.origin is None:
                        continue
                    route_text = proxy.kri_text(rule.origin, as_type=route.type)
                    route_kri = Kri.parse(route_text, version)
                    same(
                        base,
                        f"_outbounds/{text}/_routes/{route_text}/_policies",
                        proxy.route_body(parsed, route_kri),
                    )
    assert len(compared) > 100, "every proxy of the mesh was walked"
