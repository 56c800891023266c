"""Comparing meshtui's inspect answer with the control plane's (`engine.crosscheck`)."""

from __future__ import annotations

from meshtui.engine.crosscheck import MISSING, compare


def rule(name: str, section: str, conf: object) -> dict[str, object]:
    return {
        "resourceMeta": {"type": "MeshService", "name": name},
        "resourceSectionName": section,
        "conf": [conf],
    }


def test_lists_kuma_leaves_unordered_compare_equal_in_any_order() -> None:
    ours = {"rules": [{"toResourceRules": [rule("a", "x", 1), rule("a", "y", 2)]}]}
    theirs = {"rules": [{"toResourceRules": [rule("a", "y", 2), rule("a", "x", 1)]}]}
    assert compare(ours, theirs) == ()


def test_differences_name_the_path_and_both_values() -> None:
    ours = {"rules": [{"type": "MeshTimeout", "toResourceRules": [rule("a", "", {"t": "1s"})]}]}
    theirs = {
        "rules": [{"type": "MeshTimeout", "toResourceRules": [rule("a", "", {"t": "2s"})]}],
        "x": 1,
    }
    found = compare(ours, theirs)
    assert [(d.path, d.ours, d.theirs) for d in found] == [
        ("rules[0].toResourceRules[0].conf[0].t", "1s", "2s"),
        ("x", MISSING, 1),
    ]
    assert (
        found[0].describe()
        == 'rules[0].toResourceRules[0].conf[0].t: meshtui "1s", control plane "2s"'
    )


def test_lists_of_other_lengths_differ_as_a_whole() -> None:
    [diff] = compare({"warnings": []}, {"warnings": ["w"]})
    assert (diff.path, diff.ours, diff.theirs) == ("warnings", [], ["w"])
