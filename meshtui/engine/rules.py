"""Everything Kuma computes for one proxy and one policy type. (Kuma 2.10-2.14)

`type_rules` is `MatchedPolicies` plus the rule builders: which policies match, their
merge order, the legacy tag rules (`fromRules`, `toRules`, the single-item proxy rule),
the inbound rules, the per-resource outbound rules, and the warnings Kuma would report.

Two paths give the same answer:

- the *plain* path (`fast=False`, or with shadow policies) does it literally: every
  candidate tried, every list sorted with Go's algorithm, every conf merged; it keeps
  nothing, and the tests hold the other path to it;
- the *shared* path names each policy by its position in its type's store order
  (`index.Candidates`) and remembers, in the evaluation's `Memo`, everything that
  depends only on a set of positions: merge orders, inbound sides, outbound sides (built
  from a base shared by the whole snapshot, `resource_rules.shared_resource_rules`).
  What must outlive an edit of the type (merged confs, where entries resolve, ordering
  keys) is keyed by the policies' serial numbers instead (`index.Lineage`). Which
  policies select a proxy comes from `engine.candidates`.

Legacy tag rules (`TypeRules.from_rules`, `TypeRules.to_rules`, built by
`engine.tag_rules`) are computed when first read: the dashboard shows them folded, and
Kuma's `_rules` body reads them. Whether they fail (which empties a side and adds a
warning) is known up front.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from meshtui.engine.candidates import match_each, match_shared
from meshtui.engine.confs import ConfRef, Section, canonical, merged
from meshtui.engine.gosort import go_stable_sort
from meshtui.engine.index import Candidates, MeshIndex
from meshtui.engine.matching import Listener
from meshtui.engine.memo import Memo, Part, Table
from meshtui.engine.merging import merge_confs
from meshtui.engine.ordering import (
    MergeRanks,
    SortKey,
    attribute_key,
    compare_attributes,
    compare_names_descending,
    full_ties,
    keyable,
    keyed_sort,
    sort_key,
    sort_policies,
)
from meshtui.engine.resource_rules import (
    DESTINATIONS,
    Origin,
    ResourceRule,
    TypeOutbound,
    build_resource_rules,
    shared_resource_rules,
)
from meshtui.engine.tag_rules import (
    Item,
    LegacyRule,
    TagsError,
    entry_ref,
    legacy_error,
    legacy_rules,
    to_items,
)
from meshtui.kinds import KindInfo, kinds_for, policy_info
from meshtui.kinds.gojson import canon
from meshtui.kinds.gotypes import Struct
from meshtui.kinds.schemas import schemas_for
from meshtui.kinds.schemas.common import MATCH
from meshtui.model import (
    Dataplane,
    Policy,
    PolicyItem,
    Resource,
    ResourceKey,
    TargetRef,
)
from meshtui.versions import DEFAULT, KumaVersion

T = TypeVar("T")


class Lazy(Generic[T]):
    """A value computed on first read, then kept (a race computes it twice, keeps one).

    Compared by value (which computes both sides), as the field of a frozen dataclass.
    """

    __slots__ = ("_compute", "_value")

    def __init__(self, compute: Callable[[], T] | None, value: T | None = None) -> None:
        self._compute = compute
        self._value = value

    @classmethod
    def of(cls, value: T) -> Lazy[T]:
        """An already computed value."""
        return cls(None, value)

    @property
    def computed(self) -> bool:
        return self._compute is None

    def get(self) -> T:
        if self._compute is not None:
            self._value = self._produce()
            self._compute = None
        return self._value  # type: ignore[return-value]

    def _produce(self) -> T:
        assert self._compute is not None
        return self._compute()

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Lazy):
            return NotImplemented
        return bool(self.get() == other.get())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Lazy({self._value!r})" if self.computed else "Lazy(<not computed>)"


@dataclass(frozen=True, slots=True)
class InboundRule:
    """An inbound rule: up to 2.11 the merged `rules[]` (and from-as-rules) conf of one
    inbound; from 2.12 one entry's own conf, and from 2.14 one of its `matches`."""

    confs: tuple[Any, ...]
    origins: tuple[Origin, ...]
    match: Any = None
    """The `Match` this rule is for (2.14+); `None` for a catch-all rule."""


LegacyFrom = Lazy[Mapping[Listener, tuple[LegacyRule, ...]]]


def _no_from() -> LegacyFrom:
    return Lazy.of({})


def _no_to() -> Lazy[tuple[LegacyRule, ...]]:
    return Lazy.of(())


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeRules:
    """Kuma's `TypedMatchingPolicies` for one policy type and one proxy."""

    type: str
    matched: tuple[Policy, ...] = ()
    """Policies that apply to the proxy, in merge order (lowest priority first)."""
    by_inbound: Mapping[Listener, tuple[Policy, ...]] = field(default_factory=dict)
    inbound_rules: Mapping[Listener, tuple[InboundRule, ...]] = field(default_factory=dict)
    resource_rules: tuple[ResourceRule, ...] = ()
    single_rules: tuple[LegacyRule, ...] = ()
    warnings: tuple[str, ...] = ()
    """Kuma's warnings followed by meshtui's own notes (the ties below), for display."""
    kuma_warnings: tuple[str, ...] = ()
    """Only what Kuma itself reports (`TypedMatchingPolicies.Warnings`, the `_rules` field)."""
    ties: tuple[tuple[Policy, Policy], ...] = ()
    """Neighbours in merge order that Kuma's comparator cannot tell apart."""
    legacy_from: Lazy[Mapping[Listener, tuple[LegacyRule, ...]]] = field(default_factory=_no_from)
    """`from_rules`, computed when first read."""
    legacy_to: Lazy[tuple[LegacyRule, ...]] = field(default_factory=_no_to)
    """`to_rules`, computed when first read."""

    @property
    def from_rules(self) -> Mapping[Listener, tuple[LegacyRule, ...]]:
        """Legacy `fromRules` per inbound (every inbound the type's policies select)."""
        return self.legacy_from.get()

    @property
    def to_rules(self) -> tuple[LegacyRule, ...]:
        """Legacy `toRules`."""
        return self.legacy_to.get()

    def relabelled(self, listeners: Mapping[Listener, Listener]) -> TypeRules:
        """The same rules for a proxy whose inbound keys are `listeners`' values (one
        that every selector sees as it sees this one; see `evaluation`)."""
        if not self.by_inbound and not self.inbound_rules:
            return self
        return TypeRules(
            type=self.type,
            matched=self.matched,
            by_inbound={listeners[k]: v for k, v in self.by_inbound.items()},
            inbound_rules={listeners[k]: v for k, v in self.inbound_rules.items()},
            resource_rules=self.resource_rules,
            single_rules=self.single_rules,
            warnings=self.warnings,
            kuma_warnings=self.kuma_warnings,
            ties=self.ties,
            legacy_from=_RelabelledFrom(self.legacy_from, listeners),
            legacy_to=self.legacy_to,
        )


def _pending() -> Any:
    """Stands for a computation a `Lazy` subclass does itself (`_produce`)."""
    raise AssertionError("never called")


class _RelabelledFrom(Lazy[Mapping[Listener, tuple[LegacyRule, ...]]]):
    """Another proxy's legacy `fromRules` under this proxy's inbound keys, when read."""

    __slots__ = ("_listeners", "_source")

    def __init__(
        self,
        source: Lazy[Mapping[Listener, tuple[LegacyRule, ...]]],
        listeners: Mapping[Listener, Listener],
    ) -> None:
        super().__init__(_pending)
        self._source = source
        self._listeners = listeners

    def _produce(self) -> Mapping[Listener, tuple[LegacyRule, ...]]:
        listeners = self._listeners
        return {listeners[k]: v for k, v in self._source.get().items()}


def conf_type(policy_type: str, version: KumaVersion = DEFAULT) -> Struct:
    """The Go type merged for this policy type at this version (`to[]`/`from[]` items'):
    one struct per type and line, so a memo (one lineage, one version) sees one."""
    return schemas_for(version).conf(policy_type)


def rule_conf_type(policy_type: str, version: KumaVersion) -> Struct:
    """The Go type of a `rules[]` entry's `default` (MeshTrafficPermission's differs from
    its `from[]` conf: its entries are canonicalised on their own, not remembered)."""
    schemas = schemas_for(version)
    return schemas.rule_confs.get(policy_type) or schemas.conf(policy_type)


def has_rules(policy_type: str, version: KumaVersion) -> bool:
    """Whether the type has `rules[]` at this version (MeshTrafficPermission gained them in
    2.12, MeshFaultInjection in 2.13)."""
    info = kinds_for(version).policy(policy_type)
    return info is not None and info.has_rules


def _info(policy_type: str) -> KindInfo:
    """The facts of a policy type the index holds (known or generic)."""
    info = policy_info(policy_type)
    assert info is not None, policy_type
    return info


# ---------------------------------------------------------------------------------------
# confs: merged with or without remembering


@dataclass(frozen=True, slots=True)
class _Merger:
    """How one computation merges and canonicalises confs: remembered in `memo` (shared
    path) or not at all (plain path, `memo` is `None`)."""

    memo: Memo | None
    policy_type: str
    struct: Struct

    def merge(self, pairs: Sequence[tuple[ConfRef, Any]]) -> list[Any]:
        confs = [conf for _, conf in pairs]
        if self.memo is None:
            return merge_confs(confs, self.struct)
        return merged(self.memo, self.policy_type, [r for r, _ in pairs], confs, self.struct)

    def canon(self, ref: ConfRef, conf: Any, struct: Struct) -> Any:
        if self.memo is None or struct is not self.struct:
            return canon(conf, struct)
        return canonical(self.memo, self.policy_type, ref, conf, struct)


# ---------------------------------------------------------------------------------------
# one type's facts


@dataclass(frozen=True, slots=True, kw_only=True)
class _InboundBuild:
    """How one policy type's inbound side is built at one Kuma version."""

    struct: Struct
    """The conf type of `from[]` entries (and the merged conf)."""
    rule_struct: Struct
    """The conf type of `rules[]` entries."""
    has_rules: bool
    from_as_rules: bool
    unmerged: bool
    """S3 (2.12+): one rule per entry instead of one merged rule."""
    matches: bool
    """S4 (2.14+): one rule per `matches[]` item, sorted by match specificity."""
    match_struct: Struct
    """The version's `Match` type."""


def _inbound_build(policy_type: str, version: KumaVersion) -> _InboundBuild | None:
    info = _info(policy_type)
    if not info.has_from:
        return None
    return _InboundBuild(
        struct=conf_type(policy_type, version),
        rule_struct=rule_conf_type(policy_type, version),
        has_rules=has_rules(policy_type, version),
        from_as_rules=info.from_as_rules,
        unmerged=version.unmerged_inbound_rules,
        matches=version.inbound_rule_matches,
        match_struct=schemas_for(version).match or MATCH,
    )


@dataclass(frozen=True, slots=True)
class _TypeContext:
    """One policy type of one snapshot, as the shared path uses it."""

    policy_type: str
    candidates: Candidates
    ranks: MergeRanks | None
    struct: Struct
    inbound: _InboundBuild | None
    has_to: bool
    single_item: bool
    generic: bool
    outbound: TypeOutbound


_CONTEXT: Table[tuple[()], _TypeContext] = Table("type context", key=(Part.TYPE,))
_SORT_KEYS: Table[int, SortKey] = Table("merge order keys", key=(Part.SERIALS,))
"""Per type: serial number → what merge order reads of the policy (`ordering.sort_key`)."""


def _context(index: MeshIndex, memo: Memo, policy_type: str) -> _TypeContext:
    entries = memo.part(_CONTEXT, policy_type)
    key = ()
    found = entries.get(key)
    if found is None:
        candidates = index.candidates(policy_type)
        policies = candidates.policies
        keys = memo.part(_SORT_KEYS, policy_type)
        found_keys: list[SortKey] = []
        for policy, serial in zip(policies, candidates.serials, strict=True):
            known = keys.get(serial)
            if known is None:
                known = keys[serial] = sort_key(policy)
            found_keys.append(known)
        ranks = MergeRanks.of(policies, found_keys)
        struct = conf_type(policy_type, index.version)
        info = _info(policy_type)
        base = [p for p in candidates.fast_global if policies[p].to]
        if ranks is not None:
            base.sort(key=ranks.rank.__getitem__)
        found = _TypeContext(
            policy_type,
            candidates,
            ranks,
            struct,
            _inbound_build(policy_type, index.version),
            info.has_to,
            info.single_item,
            info.generic,
            TypeOutbound(policy_type, policies, candidates.serials, ranks, tuple(base), struct),
        )
        entries[key] = found
    return found


def prepare_type(index: MeshIndex, memo: Memo, policy_type: str) -> None:
    """Build what every proxy's rules of this type share (its outbound base)."""
    ctx = _context(index, memo, policy_type)
    if ctx.has_to:
        shared_resource_rules(memo, index, ctx.outbound, ctx.outbound.base)


# ---------------------------------------------------------------------------------------
# merge order


@dataclass(frozen=True, slots=True)
class _Ordered:
    """A set of matched policies in merge order, with what is derived from the order alone."""

    ordered: tuple[Policy, ...]
    positions: tuple[int, ...]
    """`ordered` as positions."""
    ties: tuple[tuple[Policy, Policy], ...]
    notes: tuple[str, ...]
    """meshtui's note on each full tie (never one of Kuma's warnings)."""
    to_positions: tuple[int, ...]
    """Those with `to[]` entries (or a top-level route, looked up even without any): the
    only ones that shape the outbound side, so proxies whose matched sets differ by
    inbound-only policies share it."""
    from_positions: tuple[int, ...]
    """Those with `from[]` or `rules[]` entries: the only ones that shape an inbound."""


_ORDERED: Table[tuple[int, ...], _Ordered] = Table("merge order", key=(Part.TYPE,))
"""Per type: matched positions, ascending → their `_Ordered`."""


_TIES: Table[tuple[int, int], tuple[tuple[Policy, Policy], str]] = Table(
    "full ties", key=(Part.TYPE,)
)
"""Per type: (position, position) → the two policies, and meshtui's note on their tie."""


def _tie_note(a: Policy, b: Policy) -> str:
    return (
        f"{a.resource.type} {a.resource.name} and {b.resource.name} tie on every ordering key "
        "(kind, origin, role, name): Kuma leaves their order undefined;"
        " meshtui orders them as Go's sort does from store order"
    )


def _is_to_relevant(policy: Policy) -> bool:
    return bool(policy.to) or policy.target_ref.kind == "MeshHTTPRoute"


def _ordered(ctx: _TypeContext, memo: Memo, positions: Sequence[int]) -> _Ordered:
    entries = memo.part(_ORDERED, ctx.policy_type)
    key = tuple(positions)
    hit = entries.get(key)
    if hit is None:
        policies = ctx.candidates.policies
        if ctx.ranks is not None:
            order, tied = ctx.ranks.sort(key)
        else:
            at = {id(policies[p]): p for p in key}  # transient: this call only
            order = [at[id(p)] for p in sort_policies([policies[p] for p in key])]
            tied = [(at[id(a)], at[id(b)]) for a, b in full_ties([policies[p] for p in order])]
        ordered = tuple(policies[p] for p in order)
        pairs = memo.part(_TIES, ctx.policy_type)
        found = []
        for a, b in tied:
            pair = pairs.get((a, b))
            if pair is None:
                pair = pairs[(a, b)] = (
                    (policies[a], policies[b]),
                    _tie_note(policies[a], policies[b]),
                )
            found.append(pair)
        hit = _Ordered(
            ordered,
            tuple(order),
            tuple(pair for pair, _ in found),
            tuple(note for _, note in found),
            tuple(p for p in order if _is_to_relevant(policies[p])),
            tuple(p for p in order if policies[p].from_ or policies[p].rules),
        )
        entries[key] = hit
    return hit


# ---------------------------------------------------------------------------------------
# the two paths


def type_rules(
    index: MeshIndex,
    dataplane: Dataplane,
    policy_type: str,
    *,
    gateway: Resource | None = None,
    include_shadow: bool = False,
    cache: Memo | None = None,
    fast: bool = True,
) -> TypeRules:
    """Match and build every rule of `policy_type` for `dataplane`.

    Args:
        index: The dataplane's mesh.
        dataplane: The proxy.
        policy_type: E.g. `MeshTimeout`.
        gateway: The MeshGateway `matching.select_gateway` picked for this proxy.
        include_shadow: Also consider `kuma.io/effect: shadow` policies (plain path).
        cache: The evaluation's memo, shared across calls on the same index.
        fast: The shared path (`False`: the plain one; see the module docstring).
    """
    if include_shadow or not fast:
        return _plain_type_rules(index, dataplane, policy_type, gateway, include_shadow)
    memo = cache if cache is not None else Memo()
    ctx = _context(index, memo, policy_type)
    positions, per_listener, warnings = match_shared(
        ctx.policy_type, ctx.candidates, index, memo, dataplane, gateway
    )
    merge_order = _ordered(ctx, memo, positions)
    per_inbound = {listener: _ordered(ctx, memo, ps) for listener, ps in per_listener.items()}
    legacy_from, inbound_rules = _from_side_shared(ctx, index, memo, per_inbound, warnings)
    to_side = _to_side_shared(ctx, index, memo, merge_order)
    if to_side.error:
        warnings.append(f"couldn't create To rules: {to_side.error}")
    single: tuple[LegacyRule, ...] = ()
    if ctx.single_item:
        singles = memo.part(_SINGLE, policy_type)
        found_single = singles.get(merge_order.positions)
        if found_single is None:
            found_single = singles[merge_order.positions] = _single_item_rules(
                _single_items(
                    merge_order.ordered,
                    [ctx.candidates.serials[p] for p in merge_order.positions],
                    generic=ctx.generic,
                ),
                _Merger(memo, policy_type, ctx.struct),
            )
        single = found_single
    return TypeRules(
        type=policy_type,
        matched=merge_order.ordered,
        by_inbound={listener: o.ordered for listener, o in per_inbound.items()},
        inbound_rules=inbound_rules,
        resource_rules=to_side.resource_rules,
        single_rules=single,
        warnings=(*warnings, *merge_order.notes),
        kuma_warnings=tuple(warnings),
        ties=merge_order.ties,
        legacy_from=legacy_from,
        legacy_to=to_side.legacy,
    )


def _plain_type_rules(
    index: MeshIndex,
    dataplane: Dataplane,
    policy_type: str,
    gateway: Resource | None,
    include_shadow: bool,
) -> TypeRules:
    """Kuma's steps one by one, nothing shared or remembered."""
    candidates = index.policies_of(policy_type, include_shadow=include_shadow)
    matched, per_listener, warnings = match_each(candidates, dataplane, gateway, index)
    ordered = tuple(sort_policies(matched))
    ties = tuple(full_ties(ordered))
    per_inbound = {listener: tuple(sort_policies(ps)) for listener, ps in per_listener.items()}
    struct = conf_type(policy_type, index.version)
    merger = _Merger(None, policy_type, struct)
    build = _inbound_build(policy_type, index.version)
    from_rules: dict[Listener, tuple[LegacyRule, ...]] = {}
    inbound_rules: dict[Listener, tuple[InboundRule, ...]] = {}
    if build is not None:
        for listener, policies in per_inbound.items():
            relevant = [p for p in policies if p.from_ or p.rules]
            side = _one_inbound([(p, -1) for p in relevant], build, merger)
            if side.error:
                warnings.append(f"couldn't create From rules: {side.error}")
                from_rules, inbound_rules = {}, {}
                break
            from_rules[listener] = side.legacy.get()
            if side.rules:
                inbound_rules[listener] = side.rules
    resource_rules: tuple[ResourceRule, ...] = ()
    to_rules: tuple[LegacyRule, ...] = ()
    info = _info(policy_type)
    if info.has_to:
        to_relevant = [(p, -1) for p in ordered if _is_to_relevant(p)]
        try:
            items = to_items(to_relevant, index)
        except TagsError as err:
            warnings.append(f"couldn't create To rules: {err}")
        else:
            to_rules = tuple(legacy_rules(items, merger.merge, negations=False))
            resource_rules = tuple(build_resource_rules([p for p, _ in to_relevant], index, struct))
    single: tuple[LegacyRule, ...] = ()
    if info.single_item:
        single = _single_item_rules(
            _single_items(ordered, [-1] * len(ordered), generic=info.generic), merger
        )
    return TypeRules(
        type=policy_type,
        matched=ordered,
        by_inbound=per_inbound,
        inbound_rules=inbound_rules,
        resource_rules=resource_rules,
        single_rules=single,
        warnings=(*warnings, *(_tie_note(a, b) for a, b in ties)),
        kuma_warnings=tuple(warnings),
        ties=ties,
        legacy_from=Lazy.of(from_rules),
        legacy_to=Lazy.of(to_rules),
    )


# ---------------------------------------------------------------------------------------
# inbound side


@dataclass(frozen=True, slots=True)
class _InboundSide:
    """One inbound's legacy `fromRules` (when first read) and its inbound rules."""

    error: str
    """Why the legacy rules cannot be built (Kuma then drops the whole inbound side)."""
    legacy: Lazy[tuple[LegacyRule, ...]]
    rules: tuple[InboundRule, ...]


_INBOUND: Table[tuple[int, ...], _InboundSide] = Table("inbound side", key=(Part.TYPE,))
"""Per type: the inbound's policies with `from[]`/`rules[]`, merge order → its side."""


def _from_side_shared(
    ctx: _TypeContext,
    index: MeshIndex,
    memo: Memo,
    per_inbound: Mapping[Listener, _Ordered],
    warnings: list[str],
) -> tuple[LegacyFrom, dict[Listener, tuple[InboundRule, ...]]]:
    build = ctx.inbound
    if build is None:
        return _no_from(), {}
    policies = ctx.candidates.policies
    entries = memo.part(_INBOUND, ctx.policy_type)
    sides: dict[Listener, _InboundSide] = {}
    for listener, ordered in per_inbound.items():
        key = ordered.from_positions
        side = entries.get(key)
        if side is None:
            serials = ctx.candidates.serials
            pairs = [(policies[p], serials[p]) for p in ordered.from_positions]
            side = _one_inbound(pairs, build, _Merger(memo, ctx.policy_type, ctx.struct))
            entries[key] = side
        if side.error:
            warnings.append(f"couldn't create From rules: {side.error}")
            return _no_from(), {}
        sides[listener] = side
    inbound_rules = {listener: s.rules for listener, s in sides.items() if s.rules}
    legacy: LegacyFrom
    if all(s.legacy.computed for s in sides.values()):
        legacy = Lazy.of({listener: s.legacy.get() for listener, s in sides.items()})
    else:
        legacy = _LegacyFrom(tuple((listener, s.legacy) for listener, s in sides.items()))
    return legacy, inbound_rules


class _LegacyFrom(Lazy[Mapping[Listener, tuple[LegacyRule, ...]]]):
    """Each inbound's legacy `fromRules`, when read."""

    __slots__ = ("_sides",)

    def __init__(self, sides: tuple[tuple[Listener, Lazy[tuple[LegacyRule, ...]]], ...]) -> None:
        super().__init__(_pending)
        self._sides = sides

    def _produce(self) -> Mapping[Listener, tuple[LegacyRule, ...]]:
        return {listener: legacy.get() for listener, legacy in self._sides}


def _one_inbound(
    pairs: Sequence[tuple[Policy, int]], build: _InboundBuild, merger: _Merger
) -> _InboundSide:
    """One inbound of the policies in `pairs` (policy, position; merge order)."""
    items: list[Item] = [
        (p, item, entry_ref(position, Section.FROM, item.index))
        for p, position in pairs
        for item in p.from_
    ]
    error = legacy_error(items)
    legacy: Lazy[tuple[LegacyRule, ...]] = (
        Lazy.of(())
        if error or not items
        else Lazy(lambda: tuple(legacy_rules(items, merger.merge, negations=True)))
    )
    if error or not build.has_rules:
        return _InboundSide(error, legacy, ())
    entries = _inbound_entries(pairs, from_as_rules=build.from_as_rules)
    if not entries:
        return _InboundSide("", legacy, ())
    if build.unmerged:
        return _InboundSide("", legacy, _unmerged_inbound_rules(entries, build, merger))
    origins: dict[tuple[ResourceKey, int], Origin] = {}
    for policy, item, _ in entries:
        origins.setdefault((policy.key, item.index), Origin(policy, item.index))
    confs = merger.merge([(ref, item.conf) for _, item, ref in entries])
    return _InboundSide("", legacy, (InboundRule(tuple(confs), tuple(origins.values())),))


def _inbound_entries(pairs: Sequence[tuple[Policy, int]], *, from_as_rules: bool) -> list[Item]:
    """Each policy's `rules[]`, else (from-as-rules types) its `from[]` (targetRef
    ignored), in entry order: attributes, then display name descending (stable)."""
    entries: list[Item] = []
    for policy, position in pairs:
        if policy.rules:
            entries.extend(
                (policy, item, entry_ref(position, Section.RULES, item.index))
                for item in policy.rules
            )
        elif from_as_rules and policy.from_:
            entries.extend(
                (policy, item, entry_ref(position, Section.FROM, item.index))
                for item in policy.from_
            )
    if not entries:
        return entries

    def compare(a: Item, b: Item) -> int:
        return compare_attributes(a[0], b[0]) or compare_names_descending(a[0], b[0])

    if keyable([p for p, _, _ in entries]):
        return keyed_sort(entries, lambda e: e[0], lambda e: attribute_key(e[0]))
    return go_stable_sort(entries, compare)


def _unmerged_inbound_rules(
    entries: Sequence[Item], build: _InboundBuild, merger: _Merger
) -> tuple[InboundRule, ...]:
    """S3/S4: one rule per entry with the entry's own conf (a `from[]` entry's conf has
    the `from` type); from 2.14 one per match, then stably sorted by `match_key`."""
    out: list[InboundRule] = []
    for policy, item, ref in entries:
        struct = build.rule_struct if item.target_ref is None else build.struct
        conf = merger.canon(ref, item.conf, struct)
        origin = (Origin(policy, item.index),)
        if build.matches and item.matches:
            out.extend(
                InboundRule((conf,), origin, match=canon(match, build.match_struct))
                for match in item.matches
            )
        else:
            out.append(InboundRule((conf,), origin))
    if build.matches:
        out.sort(key=lambda rule: match_key(rule.match))
    return tuple(out)


def match_key(match: Any) -> tuple[int, int, int]:
    """O2 (`CompareMatch`): a spiffeID before none, Exact before Prefix before any other
    type; then an SNI before none. A catch-all (`None`) sorts last."""
    spiffe = match.get("spiffeID") if isinstance(match, Mapping) else None
    sni = match.get("sni") if isinstance(match, Mapping) else None
    if isinstance(spiffe, Mapping):
        score = {"Exact": 2, "Prefix": 1}.get(str(spiffe.get("type")), 0)
        spiffe_key = (0, -score)
    else:
        spiffe_key = (1, 0)
    return (*spiffe_key, 0 if isinstance(sni, Mapping) else 1)


# ---------------------------------------------------------------------------------------
# outbound side


@dataclass(frozen=True, slots=True)
class _ToSide:
    """The outbound side of one set of policies."""

    error: str
    """Why the legacy rules cannot be built (Kuma then drops every outbound rule)."""
    resource_rules: tuple[ResourceRule, ...]
    legacy: Lazy[tuple[LegacyRule, ...]]


_NO_TO_SIDE = _ToSide("", (), Lazy.of(()))
_TO_SIDE: Table[tuple[int, ...], _ToSide] = Table(
    "outbound side", key=(Part.TYPE,), reads=DESTINATIONS
)
"""Per type: the matched policies that shape the outbound side, merge order → the side."""
_SINGLE: Table[tuple[int, ...], tuple[LegacyRule, ...]] = Table("proxy rule", key=(Part.TYPE,))
"""Per single-item type: matched positions in merge order → the proxy rule."""


def _to_side_shared(
    ctx: _TypeContext, index: MeshIndex, memo: Memo, merge_order: _Ordered
) -> _ToSide:
    if not ctx.has_to:
        return _NO_TO_SIDE
    entries = memo.part(_TO_SIDE, ctx.policy_type)
    key = merge_order.to_positions
    hit = entries.get(key)
    if hit is None:
        hit = entries[key] = _build_to_side(ctx, index, memo, merge_order.to_positions)
    return hit


def _build_to_side(
    ctx: _TypeContext, index: MeshIndex, memo: Memo, positions: tuple[int, ...]
) -> _ToSide:
    policies, serials = ctx.candidates.policies, ctx.candidates.serials
    error = _to_error(ctx, index, memo, [(policies[p], serials[p]) for p in positions])
    if error:
        return _ToSide(error, (), Lazy.of(()))
    ordered = [p for p in positions if policies[p].target_ref.kind != "MeshHTTPRoute"]
    rules = shared_resource_rules(memo, index, ctx.outbound, ordered)
    return _ToSide("", rules, _LegacyTo(ctx, index, memo, positions) if positions else Lazy.of(()))


class _LegacyTo(Lazy[tuple[LegacyRule, ...]]):
    """The legacy `toRules` of a set of policies (known not to fail), when read."""

    __slots__ = ("_ctx", "_index", "_memo", "_positions")

    def __init__(
        self, ctx: _TypeContext, index: MeshIndex, memo: Memo, positions: tuple[int, ...]
    ) -> None:
        super().__init__(_pending)
        self._ctx, self._index, self._memo, self._positions = ctx, index, memo, positions

    def _produce(self) -> tuple[LegacyRule, ...]:
        ctx = self._ctx
        policies, serials = ctx.candidates.policies, ctx.candidates.serials
        items = to_items([(policies[p], serials[p]) for p in self._positions], self._index)
        merger = _Merger(self._memo, ctx.policy_type, ctx.struct)
        return tuple(legacy_rules(items, merger.merge, negations=False))


_TO_ERRORS: Table[int, tuple[str, str]] = Table(
    "to[] legacy errors", key=(Part.SERIALS,), reads={"MeshHTTPRoute"}
)
"""Per type: serial number → why the policy's legacy to-items cannot be built: (its top-level
route is missing, an entry's kind is not a tag kind); ``""`` for no reason."""


def _to_error(
    ctx: _TypeContext, index: MeshIndex, memo: Memo, pairs: Sequence[tuple[Policy, int]]
) -> str:
    """What `to_items` would fail with: the first missing route (items are built policy
    by policy), else the first entry of a kind tags cannot represent. `pairs`: (policy,
    serial number)."""
    entries = memo.part(_TO_ERRORS, ctx.policy_type)
    found = []
    for policy, serial in pairs:
        errors = entries.get(serial)
        if errors is None:
            errors = entries[serial] = _policy_to_errors(policy, index)
        found.append(errors)
    return next((e for e, _ in found if e), "") or next((e for _, e in found if e), "")


def _policy_to_errors(policy: Policy, index: MeshIndex) -> tuple[str, str]:
    try:
        items = to_items([(policy, -1)], index, check=False)
    except TagsError as err:
        return str(err), ""
    return "", legacy_error(items)


def _single_items(
    ordered: Sequence[Policy], positions: Sequence[int], *, generic: bool
) -> list[Item]:
    """Each policy's top-level `default` as one item for `Mesh`; a generic kind's policies
    without one are not items (their kind may have sections instead)."""
    return [
        (p, PolicyItem(target_ref=TargetRef(kind="Mesh"), conf=p.default, index=0),
         entry_ref(position, Section.DEFAULT, 0))
        for p, position in zip(ordered, positions, strict=True)
        if not generic or p.default is not None
    ]  # fmt: skip


def _single_item_rules(items: Sequence[Item], merger: _Merger) -> tuple[LegacyRule, ...]:
    return tuple(legacy_rules(items, merger.merge, negations=False))
