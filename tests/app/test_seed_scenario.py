"""The seed scenario in the real app: what a person sees for the two consumers (each
leaf names the entry whose value is final)."""

from __future__ import annotations

from tests.app.harness import (
    SAMPLE,
    dataplane,
    detail_labels,
    fixed_clock,
    folder_app,
    jumped,
    loaded,
)


def _outbound_demo_app(labels: list[str]) -> list[str]:
    start = next(
        i for i, label in enumerate(labels) if label.startswith("Outbound MeshService demo-app")
    )
    return labels[start : start + 6]


async def test_first_consumer_gets_3s_from_producer_then_consumer() -> None:
    app = folder_app(SAMPLE, clock=fixed_clock)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app)
        await jumped(pilot, app, dataplane("consumer.first-consumer"))
        block = _outbound_demo_app(detail_labels(app))
        assert block[1] == "MeshTimeout"
        assert block[2:4] == [
            "http:",
            "  requestTimeout: 3s  ← consumer-timeout to[0] · overrides 1s",
        ]
        assert block[4].startswith("← MeshTimeout producer-timeout (kuma-demo · producer")
        assert block[5].startswith("← MeshTimeout consumer-timeout (first-consumer · consumer")


async def test_second_consumer_gets_1s_from_the_producer_only() -> None:
    app = folder_app(SAMPLE, clock=fixed_clock)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app)
        await jumped(pilot, app, dataplane("consumer.second-consumer"))
        block = _outbound_demo_app(detail_labels(app))
        assert block[2:4] == ["http:", "  requestTimeout: 1s  ← producer-timeout to[0]"]
        assert block[4].startswith("← MeshTimeout producer-timeout (kuma-demo · producer")
        assert not block[5].startswith("← MeshTimeout consumer-timeout")
