"""The navigator alone (no Textual): selection, history, jumps and opened sections."""

from __future__ import annotations

from meshtui.present.navigator import HISTORY_LIMIT, Navigator, NavState
from meshtui.views import ProblemRow, ResourceRow


def dp(name: str) -> ResourceRow:
    return ResourceRow("dataplanes", "Dataplane", name)


def mt(name: str) -> ResourceRow:
    return ResourceRow("policies", "MeshTimeout", name)


A, B, C = dp("a"), dp("b"), dp("c")


def test_each_view_keeps_its_own_selection() -> None:
    nav = Navigator(NavState(mesh="default"))
    assert nav.state.selected_key is None
    nav.select(B)
    nav.show("policies")
    assert nav.state.view == "policies" and nav.state.selected_key is None
    nav.select(mt("t"))
    nav.show("dataplanes")
    assert nav.state.selected_key == B
    nav.show("problems")
    nav.select(ProblemRow(2))
    assert nav.state.selected == {"dataplanes": B, "policies": mt("t"), "problems": ProblemRow(2)}


def test_show_clears_the_filter_and_back_returns_to_the_views_left() -> None:
    nav = Navigator()
    nav.set_filter("second")
    nav.show("policies")
    assert nav.state.filter == "" and nav.state.view == "policies"
    nav.show("services")
    assert nav.back() and nav.state.view == "policies"
    assert nav.back() and (nav.state.view, nav.state.filter) == ("dataplanes", "second")
    assert not nav.back(), "nothing left"
    assert nav.state.view == "dataplanes"


def test_the_filter_the_yaml_mode_and_the_selection_are_not_history_steps() -> None:
    nav = Navigator()
    nav.set_filter("x")
    nav.toggle_detail_mode()
    nav.select(A)
    nav.choose_namespace("kuma-demo")
    assert nav.history == ()
    assert nav.state.detail_mode == "yaml" and nav.state.namespaces == {"kuma-demo"}


def test_a_detail_mode_is_set_and_y_goes_to_the_yaml_from_any_of_them() -> None:
    nav = Navigator()
    nav.set_detail_mode("explain")
    assert nav.state.detail_mode == "explain" and nav.history == ()
    nav.toggle_detail_mode()
    assert nav.state.detail_mode == "yaml"
    nav.toggle_detail_mode()
    assert nav.state.detail_mode == "tree"


def test_a_jump_from_an_explanation_shows_the_target_as_a_tree_and_back_the_explanation() -> None:
    nav = Navigator()
    nav.select(A)
    nav.set_detail_mode("explain")
    nav.jump(mt("t"))
    assert (nav.state.selected_key, nav.state.detail_mode) == (mt("t"), "tree")
    assert nav.back()
    assert (nav.state.selected_key, nav.state.detail_mode) == (A, "explain")


def test_history_is_bounded() -> None:
    nav = Navigator()
    for i in range(HISTORY_LIMIT + 10):
        nav.show("policies" if i % 2 else "services")
    assert len(nav.history) == HISTORY_LIMIT


def test_a_jump_shows_its_target_unfiltered_and_back_returns() -> None:
    nav = Navigator(NavState(namespaces=frozenset({"ns"}), filter="x"))
    nav.select(A)
    nav.jump(mt("t"))
    state = nav.state
    assert (state.view, state.selected_key, state.filter, state.namespaces) == (
        "policies",
        mt("t"),
        "",
        frozenset(),
    )
    assert nav.back()
    assert (nav.state.view, nav.state.selected_key, nav.state.filter) == ("dataplanes", A, "x")


def test_a_jump_to_a_policy_keeps_the_kind_filter_only_for_that_kind_and_clears_the_role() -> None:
    nav = Navigator(NavState(view="policies", kind="MeshTimeout", role="producer"))
    nav.jump(mt("t"))
    assert (nav.state.kind, nav.state.role) == ("MeshTimeout", "")
    nav.jump(ResourceRow("policies", "MeshRetry", "r"))
    assert nav.state.kind == ""


def test_follow_keeps_the_row_else_takes_the_one_at_its_place() -> None:
    nav = Navigator()
    nav.follow("dataplanes", [A, B, C])
    assert nav.state.selected_key == A, "nothing selected: the first row"
    nav.select(B)
    nav.follow("dataplanes", [dp("0"), A, B, C])
    assert nav.state.selected_key == B, "a row added above: the selection stays on its row"
    nav.follow("dataplanes", [dp("0"), A, C])
    assert nav.state.selected_key == C, "its row went: the one now at its place"
    nav.follow("dataplanes", [dp("0")])
    assert nav.state.selected_key == dp("0"), "the list got shorter: its last row"
    nav.follow("dataplanes", [])
    assert nav.state.selected_key == dp("0"), "an empty list changes nothing"


def test_namespaces_one_several_or_all() -> None:
    nav = Navigator()
    nav.toggle_namespace("a")
    nav.toggle_namespace("b")
    assert nav.state.namespaces == {"a", "b"}
    nav.toggle_namespace("a")
    assert nav.state.namespaces == {"b"}
    nav.choose_namespace("c")
    assert nav.state.namespaces == {"c"}
    nav.toggle_namespace("")
    assert nav.state.namespaces == frozenset()


def test_a_role_shows_the_policies_and_all_roles_leaves_the_view() -> None:
    nav = Navigator()
    nav.choose_role("consumer")
    assert (nav.state.view, nav.state.role) == ("policies", "consumer")
    nav.show("services")
    nav.choose_role("")
    assert (nav.state.view, nav.state.role) == ("services", "")


def test_meshes_default_first_and_next() -> None:
    nav = Navigator(NavState(mesh="gone"))
    nav.ensure_mesh(["a", "default"])
    assert nav.state.mesh == "default"
    nav.ensure_mesh(["a", "b"])
    assert nav.state.mesh == "a"
    nav.select(A)
    nav.choose_namespace("x")
    assert nav.next_mesh(["a", "b"])
    assert (nav.state.mesh, nav.state.selected, nav.state.namespaces) == ("b", {}, frozenset())
    assert nav.next_mesh(["a", "b"]) and nav.state.mesh == "a"
    assert not nav.next_mesh(["a"]), "no other mesh"


def test_opened_sections_belong_to_the_subject_they_were_opened_for() -> None:
    nav = Navigator()
    nav.select(A)
    nav.open_section("tags")
    nav.open_section("matched")
    assert nav.opened == {"tags", "matched"}
    nav.select(B)
    assert nav.opened == frozenset(), "another subject starts folded"
    nav.open_section("unmatched")
    nav.select(A)
    assert nav.opened == frozenset(), "only the last subject's are kept"
