"""Which Kuma control plane meshtui answers as.

One engine serves every supported release line; where behaviour differs between lines
(or between patches of a line, for backported fixes) the engine asks a `KumaVersion`
through one of the named switches below, never by comparing numbers itself. Each
switch names the rule of ../shared/spec/kuma-2.14.md it stands for.

A `--kuma-version X.Y` profile is the latest patch of that line (`PROFILES`); a version
detected on a cluster keeps its own patch, so a backported fix is applied exactly from
the patch that has it. Stdlib only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.+-]*)?$")


@dataclass(frozen=True, slots=True, order=True)
class KumaVersion:
    """A Kuma release (`2.14.3`); compared numerically."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> KumaVersion | None:
        """`2.14.3`, `v2.14.3`, `2.14.3-rc1`, or `2.14` (its line's profile); else `None`."""
        found = _VERSION.match(text.strip())
        if found is None:
            return None
        major, minor, patch = found.group(1), found.group(2), found.group(3)
        if patch is None:
            profile = PROFILES.get(f"{int(major)}.{int(minor)}")
            return profile if profile is not None else cls(int(major), int(minor), 0)
        return cls(int(major), int(minor), int(patch))

    @classmethod
    def profile(cls, line: str) -> KumaVersion:
        """The profile of a supported line (`--kuma-version`), else `ValueError`."""
        version = PROFILES.get(line.strip().removeprefix("v"))
        if version is None:
            known = ", ".join(PROFILES)
            raise ValueError(f"unsupported Kuma version {line!r} (supported: {known})")
        return version

    @property
    def line(self) -> str:
        """`2.14`."""
        return f"{self.major}.{self.minor}"

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def supported(self) -> KumaVersion:
        """The profile answering for this version: itself if its line is supported, else
        the nearest supported line (an older line reads as 2.10, a newer one as the
        default) at its latest patch."""
        if self.line in PROFILES:
            return self
        if self < MIN_SUPPORTED:
            return MIN_SUPPORTED
        return DEFAULT

    def _since(self, *firsts: tuple[int, int, int]) -> bool:
        """A change that arrived at each `(major, minor, patch)` of its own line (a
        backport), and for every later line than the newest of them."""
        own = (self.major, self.minor)
        for first in firsts:
            if first[:2] == own:
                return (self.major, self.minor, self.patch) >= first
        newest = max(firsts)
        return own > newest[:2]

    # -- matching (spec §1) ----------------------------------------------------------

    @property
    def ignored_inbounds_match_by_tags(self) -> bool:
        """M2: an `Ignored` inbound is selected by Mesh/MeshSubset/MeshService/
        MeshServiceSubset/MeshGateway refs (no longer skipped)."""
        return self._since((2, 11, 13), (2, 12, 10), (2, 13, 5), (2, 14, 0))

    @property
    def ignored_inbounds_match_by_dataplane(self) -> bool:
        """M2: an `Ignored` inbound is selected by a `kind: Dataplane` ref."""
        return self._since((2, 11, 16), (2, 12, 10), (2, 13, 5), (2, 14, 0))

    @property
    def section_name_by_port(self) -> bool:
        """M3, S6: a section name is an inbound's (or port's) name, else its decimal port."""
        return self >= _V2_12

    @property
    def dataplane_ref_selects_delegated(self) -> bool:
        """M4: a selecting `kind: Dataplane` ref matches a delegated gateway."""
        return self._since((2, 12, 8), (2, 13, 3), (2, 14, 0))

    @property
    def zone_proxy_listeners(self) -> bool:
        """M5: embedded zone-proxy `listeners[]` are selected like inbounds."""
        return self >= _V2_14

    # -- roles (spec §2) -------------------------------------------------------------

    @property
    def route_items_are_producer(self) -> bool:
        """R1: a `to[]` item naming a MeshHTTPRoute in the policy's namespace is a producer item."""
        return self >= _V2_11

    # -- rules (spec §3, §4) ---------------------------------------------------------

    @property
    def to_route_items(self) -> bool:
        """S7: `to[]` may target a MeshHTTPRoute (route-keyed resource rules)."""
        return self >= _V2_11

    @property
    def mtp_rules(self) -> bool:
        """§7: MeshTrafficPermission has `rules[]`."""
        return self >= _V2_12

    @property
    def mfi_rules(self) -> bool:
        """§7: MeshFaultInjection has `rules[]` (with `matches`)."""
        return self >= _V2_13

    @property
    def unmerged_inbound_rules(self) -> bool:
        """S3, O4: one `InboundRule` per `rules[]` (or from-as-rules) entry, not merged."""
        return self >= _V2_12

    @property
    def inbound_rule_matches(self) -> bool:
        """S4, O2: `rules[].matches` expand into one rule each, sorted by match specificity."""
        return self >= _V2_14

    @property
    def rules_keep_resource_only_types(self) -> bool:
        """S1: a type with only resource rules still gets its `_rules` block."""
        return self >= _V2_14

    @property
    def http_matches_from_resource_rules(self) -> bool:
        """S8: `httpMatches` also hashes the route rules of resource-rule confs."""
        return self >= _V2_14

    @property
    def route_rules_fall_back_by_section(self) -> bool:
        """O5: MeshExternalService / MeshHTTPRoute keys fall back to their section-less key."""
        return self >= _V2_12

    # -- kinds and schemas (spec §7, §1 M5/M8, §6 K2) -----------------------------------

    @property
    def identity_kinds(self) -> bool:
        """§7: the MeshIdentity and MeshTrust kinds exist (KRI `mid`, `mtrust`)."""
        return self >= _V2_12

    @property
    def identity_provider_optional(self) -> bool:
        """MeshIdentity `spec.provider` is no longer required (CRD, 2.13)."""
        return self >= _V2_13

    @property
    def identity_extension_provider(self) -> bool:
        """MeshIdentity `provider.type: Extension` with `provider.extension` (CRD, 2.14)."""
        return self >= _V2_14

    @property
    def workload_kind(self) -> bool:
        """§7: the Workload kind exists (KRI `wl`)."""
        return self >= _V2_13

    @property
    def otel_backend_kinds(self) -> bool:
        """§7: the MeshOpenTelemetryBackend and MeshZoneAddress kinds exist (KRI `motb`,
        `mza`)."""
        return self >= _V2_14

    @property
    def zone_kri(self) -> bool:
        """K2: KRI knows the short name `z` of Zone."""
        return self >= _V2_14

    @property
    def rule_matches(self) -> bool:
        """§7: MeshTimeout, MeshAccessLog and MeshRateLimit `rules[].matches`; a `Match`
        may carry `sni`."""
        return self >= _V2_14

    @property
    def lb_hash_policies(self) -> bool:
        """§7: MeshLoadBalancingStrategy `to[].default.hashPolicies`, and `to:
        MeshHTTPRoute` items that set only them."""
        return self >= _V2_12

    @property
    def otel_backend_ref(self) -> bool:
        """§7: OpenTelemetry backends of MeshAccessLog, MeshTrace and MeshMetric take a
        `backendRef`; `endpoint` becomes optional."""
        return self >= _V2_14

    @property
    def route_ref_name_or_labels(self) -> bool:
        """§7: a `kind: MeshHTTPRoute` targetRef takes `name` or `labels`, no `sectionName`."""
        return self >= _V2_11

    @property
    def empty_to_accepted(self) -> bool:
        """§7: MeshRetry and MeshLoadBalancingStrategy accept an empty `to`."""
        return self >= _V2_14

    @property
    def external_service_health(self) -> bool:
        """§7: MeshCircuitBreaker and MeshHealthCheck accept `to: MeshExternalService`."""
        return self >= _V2_14

    @property
    def typed_reachable_backends(self) -> bool:
        """E1: `transparentProxying.reachableBackends` is read by `_layout`, so it is typed."""
        return self >= _V2_12

    @property
    def spiffe_service_identities(self) -> bool:
        """MeshService `identities[].type` may be `SpiffeID` (CRD enum, 2.12)."""
        return self >= _V2_12

    @property
    def service_dataplane_labels(self) -> bool:
        """MeshService `selector.dataplaneLabels` and MeshExternalService
        `endpoints[].priority` (CRDs, 2.14)."""
        return self >= _V2_14

    # -- deprecations (spec §1 M9): warnings only ---------------------------------------

    @property
    def top_level_subset_deprecated(self) -> bool:
        """M9: a top-level MeshService, MeshServiceSubset or MeshSubset is deprecated."""
        return self >= _V2_11

    @property
    def deprecation_names_kind(self) -> bool:
        """M9: the top-level deprecation names the kind used (before: always `MeshSubset`)."""
        return self >= _V2_13

    @property
    def top_level_route_deprecated(self) -> bool:
        """M9: a top-level MeshHTTPRoute is deprecated."""
        return self >= _V2_13

    @property
    def from_deprecated_for_rules(self) -> bool:
        """M9: `from` is deprecated on MeshTrafficPermission and MeshFaultInjection."""
        return self >= _V2_14

    # -- API (spec §5, §6) -----------------------------------------------------------

    @property
    def policies_endpoints(self) -> bool:
        """E1-E6: `_layout`, `_policies`, `_inbounds/…`, `_outbounds/…`."""
        return self >= _V2_12

    @property
    def mesh_service_dataplanes_endpoint(self) -> bool:
        """E8: `/meshes/{m}/meshservices/{name}/_dataplanes`."""
        return self >= _V2_13

    @property
    def kri_endpoint(self) -> bool:
        """E7: `GET /_kri/{kri}`."""
        return self >= _V2_13

    @property
    def deduplicated_inbound_origins(self) -> bool:
        """E3: `_inbounds/{kri}/_policies` origins deduplicated by (mesh, name)."""
        return self >= _V2_14

    @property
    def inbound_protocol_field(self) -> bool:
        """M8, E1: a Dataplane inbound may carry a `protocol` field, which `_layout` reads
        before its `kuma.io/protocol` tag."""
        return self >= _V2_14

    @property
    def kri_section_joins_parts(self) -> bool:
        """K3: a KRI of more than 7 parts keeps the rest as its section (2.11: exactly 7)."""
        return self >= _V2_12


_V2_11 = KumaVersion(2, 11, 0)
_V2_12 = KumaVersion(2, 12, 0)
_V2_13 = KumaVersion(2, 13, 0)
_V2_14 = KumaVersion(2, 14, 0)

PROFILES: dict[str, KumaVersion] = {
    "2.10": KumaVersion(2, 10, 11),
    "2.11": KumaVersion(2, 11, 18),
    "2.12": KumaVersion(2, 12, 14),
    "2.13": KumaVersion(2, 13, 10),
    "2.14": KumaVersion(2, 14, 3),
}
"""Each supported line at its latest patch, oldest first."""

MIN_SUPPORTED = PROFILES["2.10"]
DEFAULT = PROFILES["2.14"]
"""What meshtui answers as when nothing says otherwise."""
