"""Policy confs named by explicit references, and their merges remembered per snapshot.

Every conf the engine merges belongs to a policy of one type: a `to[]`, `from[]` or
`rules[]` entry, or the top-level `default`. `conf_ref` names it by the policy's
serial number (`index.Lineage`: the same for as long as the policy is the same
object), the section and the entry's index: a plain int, so that a list of confs has a
cheap, exact key that stays valid when other policies of the type change. `merged` and
`canonical` remember their answers in the evaluation's `Memo` under (policy type,
refs); every conf of a type is merged with the type's conf struct (`rules.conf_type`),
so the type stands for the struct in the key.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from meshtui.engine.memo import Memo, Part, Table
from meshtui.engine.merging import merge_confs
from meshtui.kinds.gojson import canon
from meshtui.kinds.gotypes import Struct

ConfRef = int
"""A conf of one policy type, from `conf_ref`."""

_ITEM_BITS = 16
_SECTION_BITS = 2


class Section(IntEnum):
    """Where in a policy a conf sits."""

    TO = 0
    FROM = 1
    RULES = 2
    DEFAULT = 3


def conf_ref(serial: int, section: Section, index: int) -> ConfRef:
    """The conf of entry `index` of `section` of the policy with this serial number
    (`index.Lineage`)."""
    if not 0 <= index < 1 << _ITEM_BITS:
        raise ValueError(f"a policy section with more than {1 << _ITEM_BITS} entries")
    return (serial << (_ITEM_BITS + _SECTION_BITS)) | (section << _ITEM_BITS) | index


MERGED: Table[tuple[ConfRef, ...], list[Any]] = Table("merged confs", key=(Part.SERIALS,))
"""Per policy type: the confs in merge order → `merge_confs` of them."""
CANONICAL: Table[ConfRef, Any] = Table("canonical confs", key=(Part.SERIALS,))
"""Per policy type: a conf → `kinds.gojson.canon` of it."""


def canonical(memo: Memo, policy_type: str, ref: ConfRef, conf: Any, struct: Struct) -> Any:
    """`canon(conf, struct)` of the conf `ref` names, remembered."""
    entries = memo.part(CANONICAL, policy_type)
    try:
        return entries[ref]
    except KeyError:
        value = entries[ref] = canon(conf, struct)
        return value


def merged(
    memo: Memo,
    policy_type: str,
    refs: Sequence[ConfRef],
    confs: Sequence[Any],
    struct: Struct,
) -> list[Any]:
    """`merge_confs(confs, struct)`, remembered by `refs` (the confs' references, in order).

    The result may share structure with remembered values: treat it as read-only.
    """
    entries = memo.part(MERGED, policy_type)
    key = tuple(refs)
    hit = entries.get(key)
    if hit is not None:
        return hit
    ref_of = {id(conf): ref for conf, ref in zip(confs, refs, strict=True)}

    def canonical_of(conf: Any, conf_struct: Struct) -> Any:
        ref = ref_of.get(id(conf))
        if ref is None or conf_struct is not struct:
            return canon(conf, conf_struct)  # a copy made while merging (hostname groups)
        return canonical(memo, policy_type, ref, conf, struct)

    result = merge_confs(confs, struct, canonical=canonical_of)
    entries[key] = result
    return result
