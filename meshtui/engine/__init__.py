"""The policy engine: what a Kuma 2.10.11 control plane computes, without the control plane.

Pure and headless: no I/O, no clock, no Textual, kubernetes or yaml. The modules, by job:
`index` (one mesh's resources), `matching` (does a policy select a proxy), `ordering`
(merge order), `merging` (typed RFC 7396 conf merge), `subsets` (2.10's legacy tag
rules), `rules` (everything `_rules` shows for one proxy), `resource_rules` (its
per-destination outbound rules), `evaluation` (answers about one snapshot, shared
between proxies and carried from one snapshot to the next), `inspect` (the Kuma API
JSON bodies).

What the engine remembers, it remembers in a snapshot's `memo.Memo`, declared table
by table (`memo` tells how); `confs` names confs for it, `signatures` finds proxies no
selector tells apart, `bulk` pauses the garbage collector around bulk work.
"""
