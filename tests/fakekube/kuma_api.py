"""A control plane's inspect API answered by meshtui's own engine, over what a
`FakeKubeAPI` serves: a `FakeControlPlane` responder for trying the cross-check by hand
(`python -m tests.fakekube serve … --control-plane 2.14.3`) and for tests of the
dashboard's wiring (which requests go out, what a match looks like). It says nothing about
whether meshtui's answers are right: tests of the answers use bodies worked out apart.

Each request reads the served objects again, parses them as a zone control plane of
`version` would label them, and answers with `engine.api.InspectApi`.
"""

from __future__ import annotations

from meshtui.engine.api import InspectApi
from meshtui.inventory import Inventory, OriginUpdate
from meshtui.model import SourceRef
from meshtui.parse import ContextOptions
from meshtui.raw import RawDocument
from meshtui.versions import KumaVersion
from tests.fakekube.controlplane import Responder
from tests.fakekube.resources import KUMA_RESOURCES, NEWER_KUMA_RESOURCES
from tests.fakekube.server import FakeKubeAPI

PLURALS = tuple(
    rt.plural
    for rt in (*KUMA_RESOURCES, *(rt for rts in NEWER_KUMA_RESOURCES.values() for rt in rts))
)


def meshtui_answers(fake: FakeKubeAPI, version: KumaVersion) -> Responder:
    """A responder answering every inspect request as meshtui computes it."""

    def respond(path: str) -> tuple[int, object]:
        objects = [obj for plural in PLURALS for obj in fake.snapshot(plural)]
        docs = tuple(RawDocument(SourceRef("server", i), o) for i, o in enumerate(objects, 1))
        options = ContextOptions(cp_mode="zone", version=version)
        inventory, _ = Inventory.empty(options).apply([OriginUpdate("server", docs)])
        answer = InspectApi(inventory.resources, version).get(path)
        return answer.status, answer.body

    return respond
