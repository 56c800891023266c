"""The help screen (keys, commands, a short page of Kuma concepts) and the F1 side panel,
both naming the Kuma version meshtui answers as."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import HelpPanel, Static

from meshtui.widgets.scroll import TextScroll

KEYS = """\
Keys
  /            filter the list (live; a leading ! inverts; esc clears)
  :            command line (see below)
  enter        open: a row's details, or what a tree line points at
  esc          back: close the filter or command line, return from a jump
  tab          next pane                 shift+tab   previous pane
  y            YAML of the selection (press again for the tree)
  e            explain the conf under the cursor (or the dataplane): who set what, and why
  w            why (not): does the policy apply to the dataplane selected last (or reverse)
  c            copy the KRI or the conf under the cursor (the selection's KRI elsewhere)
  f            full screen for the focused pane (f or esc again to restore)
  1 2 3 4      dataplanes, policies, services, changes    !  problems
  m            next mesh                 space       pick several namespaces
  ?            this help                 ctrl+p      command palette
  F1           the focused pane's keys and what it shows, in a side panel
  q            quit
  j k  g G     down, up, first, last     pgup pgdn   a page (lists and the tree)
  h l          fold or go to the parent, unfold or go to the first child (tree)
  mouse        click selects, double click opens, the wheel scrolls

Commands (after :)
  dp  pol  svc  problems     switch the list
  changes                    live changes since start, newest first (what each did)
  draft PATH  draft off      what-if: overlay draft files on the live state, or stop
  ns NAME[,NAME]  ns all     namespace focus
  mesh NAME                  switch mesh
  role NAME  role all        policy role filter
  mt  mtp  mr  mhc ...       policies of one kind (kind or short names; all clears)
  help  q
"""

CONCEPTS = (
    "Kuma concepts (2.10)",
    "A policy's top-level targetRef picks the proxies it configures: Mesh (all of them), "
    "MeshSubset (by inbound tags), MeshService or MeshServiceSubset (by kuma.io/service), "
    "Dataplane (by name or labels; sectionName picks an inbound), MeshGateway, MeshHTTPRoute. "
    "A policy applies to a proxy as soon as it selects one of its inbounds; its to[] then "
    "configures every outbound, its from[] and rules[] only the inbounds it selected.",
    "Merge order, lowest priority first: targetRef kind (Mesh, Dataplane, MeshSubset, "
    "MeshGateway, MeshService, ..., MeshHTTPRoute), then origin (global, unlabelled, zone), "
    "then role (system, producer, consumer, workload-owner), then name, descending, so 'a' "
    "beats 'b'. Later entries override earlier ones field by field (RFC 7396); lists are "
    "replaced, except the append* lists, which concatenate. Per destination, to[] entries are "
    "also ordered by destination kind (Mesh before MeshService) and section.",
    "Roles (Kubernetes): system = in kuma-system; producer = in the namespace of the "
    "MeshService it targets by name (applies everywhere, syncs to other zones); consumer = "
    "targets other services (applies only in its own namespace, and overrides the producer "
    "there); workload-owner = from[], rules[] or single-item policies (its namespace only).",
)


class HelpScreen(ModalScreen[None]):
    """The Kuma version answered as, keys and concepts; any of esc, q, ? closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > TextScroll {
        width: 100; max-width: 95%; height: 90%; border: round $accent; background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, profile: str = "") -> None:
        """Args:
        profile: Which Kuma version meshtui answers as, and why (one sentence).
        """
        super().__init__()
        self.profile = profile

    def compose(self) -> ComposeResult:
        with TextScroll():  # j/k scroll it, as everywhere else
            if self.profile:
                yield Static(Text(f"{self.profile}\n", style="bold"), markup=False)
            yield Static(Text(KEYS), markup=False)
            yield Static(Text("\n\n".join(CONCEPTS)), markup=False)


class ProfileHelpPanel(HelpPanel):
    """Textual's F1 panel (the focused pane's keys and help), ending with the Kuma version
    meshtui answers as."""

    DEFAULT_CSS = """
    ProfileHelpPanel > #profile-help { height: auto; padding: 1 0 0 0; color: $text-muted; }
    """

    def __init__(self, profile: str) -> None:
        super().__init__()
        self.profile = profile

    def compose(self) -> ComposeResult:
        yield from super().compose()
        if self.profile:
            yield Static(Text(self.profile), id="profile-help", markup=False)
