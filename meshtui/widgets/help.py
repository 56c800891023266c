"""The help screen: keys, commands, and a short page of Kuma concepts."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = """\
Keys
  /            filter the list (live; a leading ! inverts; esc clears)
  :            command line (see below)
  enter        open: a row's details, or the policy / dataplane a tree line points at
  esc          back: close the filter or command line, return from a jump
  tab          next pane        shift+tab  previous pane
  y            YAML of the selected resource (again: back to the tree)
  1 2 3        dataplanes, policies, services         !  problems
  m            next mesh         space  (namespaces) add/remove from the selection
  ?            this help         ctrl+p  command palette (themes, keys)         q  quit

Commands (after :)
  dp  pol  svc  problems   switch the list          ns NAME | ns all   namespace focus
  mesh NAME                switch mesh               role NAME | role all
  mt mtp mr mhc ...        policies of one kind (kind names and short names work; `all` clears)
  help  q
"""

CONCEPTS = """\
Kuma concepts (2.10)
  Top-level targetRef picks the proxies a policy configures: Mesh (all), MeshSubset (by inbound
  tags), MeshService / MeshServiceSubset (by kuma.io/service), Dataplane (by name or labels,
  sectionName = an inbound), MeshGateway, MeshHTTPRoute. A policy applies to a proxy as soon as it
  selects one of its inbounds; its to[] then configures every outbound, its from[] / rules[] the
  inbounds it selected.

  Merge order, lowest priority first: targetRef kind (Mesh < Dataplane < MeshSubset < MeshGateway <
  MeshService < ... < MeshHTTPRoute), then origin (global < unlabelled < zone), then role (system <
  producer < consumer < workload-owner), then name (descending, so "a" beats "b"). Later entries
  override earlier ones field by field (RFC 7396); lists are replaced, except append* lists.
  Per destination, to[] entries are additionally ordered by destination kind (Mesh < MeshService)
  and section.

  Roles (Kubernetes): system = in kuma-system; producer = in the namespace of the MeshService it
  targets by name (applies mesh-wide, syncs to other zones); consumer = targets other services
  (applies only in its namespace, overrides the producer there); workload-owner = from[], rules[]
  or single-item policies (its namespace only).
"""


class HelpScreen(ModalScreen[None]):
    """Keys and concepts; any of esc, q, ? closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 100; max-width: 95%; height: 90%; border: round $accent; background: $surface;
        padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(KEYS), markup=False)
            yield Static(Text(CONCEPTS), markup=False)
