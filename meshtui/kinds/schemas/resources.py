"""The non-policy kinds meshtui reads, in their light shape.

`Mesh`, `Dataplane` and `MeshGateway` are protobuf messages (`api/mesh/v1alpha1/*.proto`,
JSON through protojson: camelCase keys, enums as their names, zero values omitted), so
every field here is `omitempty`. `MeshService`, `MeshExternalService` and
`MeshMultiZoneService` are Go structs (`pkg/core/resources/apis/<kind>/api/v1alpha1`).
Only what matching and display need is typed; the rest is kept as `json` leaves.

The module-level tables are the Kuma 2.10.11 shapes (`RESOURCE_SPECS`); the fields and
kinds later lines add are below them, and `resource_specs_for` assembles a line's set.
"""

from __future__ import annotations

from meshtui.kinds.gotypes import (
    BOOL,
    INT,
    INT_OR_STRING,
    JSON,
    STRING,
    UINT,
    Field,
    List,
    Map,
    Scalar,
    Struct,
    enum,
    opt,
    req,
)
from meshtui.kinds.schemas.common import TLS_VERSION

PORT_NUMBER = Scalar("uint", minimum=1, maximum=65535)

APP_PROTOCOLS = ("tcp", "http", "http2", "grpc", "kafka")
"""`core_mesh.Protocol` values Kuma knows (not a CRD enum on MeshService ports)."""

# ---------------------------------------------------------------------------------------
# Mesh (proto `Mesh`)

MESH_SERVICES_MODES = ("Disabled", "Everywhere", "ReachableBackends", "Exclusive")

MESH_MTLS = Struct(
    "Mesh_Mtls",
    (
        Field("EnabledBackend", "enabledBackend", STRING),
        Field("Backends", "backends", List(JSON)),
        Field("SkipValidation", "skipValidation", BOOL),
    ),
)

MESH_SERVICES = Struct("Mesh_MeshServices", (Field("Mode", "mode", enum(*MESH_SERVICES_MODES)),))
"""`meshServices.mode`: absent means `Disabled` (the proto zero value)."""

MESH = Struct(
    "Mesh",
    (
        opt("Mtls", "mtls", MESH_MTLS),
        Field("Tracing", "tracing", JSON),
        Field("Logging", "logging", JSON),
        Field("Metrics", "metrics", JSON),
        Field("Networking", "networking", JSON),
        Field("Routing", "routing", JSON),
        Field("Constraints", "constraints", JSON),
        Field("SkipCreatingInitialPolicies", "skipCreatingInitialPolicies", List(STRING)),
        opt("MeshServices", "meshServices", MESH_SERVICES),
    ),
)

# ---------------------------------------------------------------------------------------
# Dataplane (proto `Dataplane`)

INBOUND_STATES = ("Ready", "NotReady", "Ignored")
GATEWAY_TYPES = ("DELEGATED", "BUILTIN")

INBOUND_HEALTH = Struct("Dataplane_Networking_Inbound_Health", (Field("Ready", "ready", BOOL),))

INBOUND = Struct(
    "Dataplane_Networking_Inbound",
    (
        Field("Port", "port", UINT),
        Field("ServicePort", "servicePort", UINT),
        Field("ServiceAddress", "serviceAddress", STRING),
        Field("Address", "address", STRING),
        Field("Tags", "tags", Map(STRING)),
        opt("Health", "health", INBOUND_HEALTH),
        Field("ServiceProbe", "serviceProbe", JSON),
        Field("State", "state", enum(*INBOUND_STATES)),
        Field("Name", "name", STRING),
    ),
)
"""An inbound; `state` absent means `Ready`, `name` is what 2.10 `sectionName` compares."""

OUTBOUND_BACKEND_REF = Struct(
    "Dataplane_Networking_Outbound_BackendRef",
    (
        Field("Kind", "kind", STRING),
        Field("Name", "name", STRING),
        Field("Port", "port", UINT),
        Field("Labels", "labels", Map(STRING)),
    ),
)

OUTBOUND = Struct(
    "Dataplane_Networking_Outbound",
    (
        Field("Port", "port", UINT),
        Field("Address", "address", STRING),
        Field("Tags", "tags", Map(STRING)),
        opt("BackendRef", "backendRef", OUTBOUND_BACKEND_REF),
    ),
)

GATEWAY = Struct(
    "Dataplane_Networking_Gateway",
    (
        Field("Tags", "tags", Map(STRING)),
        Field("Type", "type", enum(*GATEWAY_TYPES)),
    ),
)
"""`type` absent means `DELEGATED` (the proto zero value)."""

ADMIN = Struct("EnvoyAdmin", (Field("Port", "port", UINT),))

NETWORKING = Struct(
    "Dataplane_Networking",
    (
        Field("Address", "address", STRING),
        Field("AdvertisedAddress", "advertisedAddress", STRING),
        Field("Inbound", "inbound", List(INBOUND)),
        Field("Outbound", "outbound", List(OUTBOUND)),
        opt("Gateway", "gateway", GATEWAY),
        Field("TransparentProxying", "transparentProxying", JSON),
        opt("Admin", "admin", ADMIN),
    ),
)

DATAPLANE = Struct(
    "Dataplane",
    (
        opt("Networking", "networking", NETWORKING),
        Field("Metrics", "metrics", JSON),
        Field("Probes", "probes", JSON),
    ),
)

# ---------------------------------------------------------------------------------------
# MeshGateway (proto `MeshGateway`)

LISTENER_PROTOCOLS = ("NONE", "TCP", "TLS", "HTTP", "HTTPS")
GATEWAY_TLS_MODES = ("NONE", "TERMINATE", "PASSTHROUGH")

GATEWAY_SELECTOR = Struct("Selector", (Field("Match", "match", Map(STRING)),))

GATEWAY_TLS = Struct(
    "MeshGateway_TLS_Conf",
    (
        Field("Mode", "mode", enum(*GATEWAY_TLS_MODES)),
        Field("Certificates", "certificates", List(JSON)),
        Field("Options", "options", JSON),
    ),
)

GATEWAY_RESOURCES = Struct(
    "MeshGateway_Listener_Resources", (Field("ConnectionLimit", "connectionLimit", UINT),)
)

GATEWAY_LISTENER = Struct(
    "MeshGateway_Listener",
    (
        Field("Hostname", "hostname", STRING),
        Field("Port", "port", UINT),
        Field("Protocol", "protocol", enum(*LISTENER_PROTOCOLS)),
        opt("Tls", "tls", GATEWAY_TLS),
        Field("Tags", "tags", Map(STRING)),
        Field("CrossMesh", "crossMesh", BOOL),
        opt("Resources", "resources", GATEWAY_RESOURCES),
    ),
)

GATEWAY_CONF = Struct(
    "MeshGateway_Conf", (Field("Listeners", "listeners", List(GATEWAY_LISTENER)),)
)

MESH_GATEWAY = Struct(
    "MeshGateway",
    (
        Field("Selectors", "selectors", List(GATEWAY_SELECTOR)),
        Field("Tags", "tags", Map(STRING)),
        opt("Conf", "conf", GATEWAY_CONF),
    ),
)

# ---------------------------------------------------------------------------------------
# MeshService

MESH_SERVICE_DATAPLANE_REF = Struct("DataplaneRef", (Field("Name", "name", STRING),))

MESH_SERVICE_SELECTOR = Struct(
    "Selector",
    (
        Field("DataplaneTags", "dataplaneTags", Map(STRING)),
        opt("DataplaneRef", "dataplaneRef", MESH_SERVICE_DATAPLANE_REF),
    ),
)

MESH_SERVICE_PORT = Struct(
    "Port",
    (
        Field("Name", "name", STRING),
        req("Port", "port", PORT_NUMBER),
        Field("TargetPort", "targetPort", INT_OR_STRING),
        Field("AppProtocol", "appProtocol", STRING, default="tcp"),
    ),
)
"""A port: `name` is optional (2.10 section names fall back to the number)."""

MESH_SERVICE_IDENTITY = Struct(
    "MeshServiceIdentity",
    (
        req("Type", "type", enum("ServiceTag")),
        req("Value", "value", STRING),
    ),
)
"""2.10-2.11: a MeshService identity is a service tag (`SpiffeID` arrives in 2.12)."""

MESH_SERVICE = Struct(
    "MeshService",
    (
        Field("State", "state", enum("Available", "Unavailable"), default="Unavailable"),
        Field("Selector", "selector", MESH_SERVICE_SELECTOR),
        Field("Ports", "ports", List(MESH_SERVICE_PORT)),
        Field("Identities", "identities", List(MESH_SERVICE_IDENTITY)),
    ),
)

# ---------------------------------------------------------------------------------------
# MeshExternalService

MES_MATCH = Struct(
    "Match",
    (
        opt("Type", "type", enum("HostnameGenerator"), default="HostnameGenerator"),
        req("Port", "port", PORT_NUMBER),
        Field("Protocol", "protocol", enum("tcp", "grpc", "http", "http2"), default="tcp"),
    ),
)

MES_EXTENSION = Struct(
    "Extension",
    (
        req("Type", "type", STRING),
        opt("Config", "config", JSON),
    ),
)

MES_ENDPOINT = Struct(
    "Endpoint",
    (
        req("Address", "address", STRING),
        opt("Port", "port", PORT_NUMBER),
    ),
)

MES_SAN_MATCH = Struct(
    "SANMatch",
    (
        opt("Type", "type", enum("Exact", "Prefix"), default="Exact"),
        req("Value", "value", STRING),
    ),
)

MES_SECRET_REF = Struct(
    "DataSource",
    (
        opt("Secret", "secret", STRING),
        opt("Inline", "inline", STRING),
        opt("InlineString", "inlineString", STRING),
    ),
)
"""A certificate or key given by secret name or inline (`inline` is base64)."""

MES_VERIFICATION = Struct(
    "Verification",
    (
        opt("Mode", "mode", enum("SkipSAN", "SkipCA", "Secured", "SkipAll"), default="Secured"),
        opt("ServerName", "serverName", STRING),
        opt("SubjectAltNames", "subjectAltNames", List(MES_SAN_MATCH)),
        opt("CaCert", "caCert", MES_SECRET_REF),
        opt("ClientCert", "clientCert", MES_SECRET_REF),
        opt("ClientKey", "clientKey", MES_SECRET_REF),
    ),
)
"""`tls.verification`: `mode` defaults to `Secured`, a SAN match's `type` to `Exact`."""

MES_TLS = Struct(
    "Tls",
    (
        Field("Enabled", "enabled", BOOL, default=False),
        opt("Version", "version", TLS_VERSION),
        Field("AllowRenegotiation", "allowRenegotiation", BOOL, default=False),
        opt("Verification", "verification", MES_VERIFICATION),
    ),
)

MESH_EXTERNAL_SERVICE = Struct(
    "MeshExternalService",
    (
        req("Match", "match", MES_MATCH),
        opt("Extension", "extension", MES_EXTENSION),
        Field("Endpoints", "endpoints", List(MES_ENDPOINT)),
        opt("Tls", "tls", MES_TLS),
    ),
)

# ---------------------------------------------------------------------------------------
# MeshMultiZoneService

MZS_MESH_SERVICE_SELECTOR = Struct(
    "MeshServiceSelector", (Field("MatchLabels", "matchLabels", Map(STRING)),)
)

MZS_SELECTOR = Struct(
    "Selector", (Field("MeshService", "meshService", MZS_MESH_SERVICE_SELECTOR, omitempty=False),)
)

MZS_PORT = Struct(
    "Port",
    (
        opt("Name", "name", STRING),
        req("Port", "port", PORT_NUMBER),
        Field("AppProtocol", "appProtocol", STRING, default="tcp"),
    ),
)

MESH_MULTI_ZONE_SERVICE = Struct(
    "MeshMultiZoneService",
    (
        req("Selector", "selector", MZS_SELECTOR),
        req("Ports", "ports", List(MZS_PORT)),
    ),
)

RESOURCE_SPECS: dict[str, Struct] = {
    "Mesh": MESH,
    "Dataplane": DATAPLANE,
    "MeshGateway": MESH_GATEWAY,
    "MeshService": MESH_SERVICE,
    "MeshExternalService": MESH_EXTERNAL_SERVICE,
    "MeshMultiZoneService": MESH_MULTI_ZONE_SERVICE,
}
"""`spec` (or, for Universal proto kinds, the body) of each non-policy kind."""


# ---------------------------------------------------------------------------------------
# Added after 2.10

TRANSPARENT_PROXYING_REF = Struct(
    "Dataplane_Networking_TransparentProxying_ReachableBackendRef",
    (
        Field("Kind", "kind", STRING),
        Field("Name", "name", STRING),
        Field("Namespace", "namespace", STRING),
        opt("Port", "port", UINT),
        Field("Labels", "labels", Map(STRING)),
    ),
)
"""A `reachableBackends.refs[]` item (`port` is a `UInt32Value`: a plain number in JSON)."""

TRANSPARENT_PROXYING = Struct(
    "Dataplane_Networking_TransparentProxying",
    (
        Field("RedirectPortInbound", "redirectPortInbound", UINT),
        Field("RedirectPortOutbound", "redirectPortOutbound", UINT),
        Field("DirectAccessServices", "directAccessServices", List(STRING)),
        Field("RedirectPortInboundV6", "redirectPortInboundV6", UINT),
        Field("ReachableServices", "reachableServices", List(STRING)),
        Field("IpFamilyMode", "ipFamilyMode", STRING),
        opt(
            "ReachableBackends",
            "reachableBackends",
            Struct(
                "Dataplane_Networking_TransparentProxying_ReachableBackends",
                (Field("Refs", "refs", List(TRANSPARENT_PROXYING_REF)),),
            ),
        ),
    ),
)
"""`transparentProxying`, typed where `_layout` reads `reachableBackends` (2.12)."""

INBOUND_WITH_PROTOCOL = Struct(
    "Dataplane_Networking_Inbound",
    (*INBOUND.fields, Field("Protocol", "protocol", STRING)),
)
"""2.14: an inbound may name its `protocol` (set when inbound tags are disabled, M8)."""

LISTENER = Struct(
    "Dataplane_Networking_Listener",
    (
        Field("Type", "type", enum("ZoneIngress", "ZoneEgress")),
        Field("Address", "address", STRING),
        Field("Port", "port", UINT),
        Field("Name", "name", STRING),
        Field("State", "state", enum("Ready", "NotReady")),
    ),
)
"""2.14 (M5): an embedded zone-proxy listener, selected like an inbound by Mesh/Dataplane."""


def _dataplane(*, reachable_backends: bool, listeners: bool, protocol: bool) -> Struct:
    inbound = INBOUND_WITH_PROTOCOL if protocol else INBOUND
    tp = (
        opt("TransparentProxying", "transparentProxying", TRANSPARENT_PROXYING)
        if reachable_backends
        else Field("TransparentProxying", "transparentProxying", JSON)
    )
    extra = (Field("Listeners", "listeners", List(LISTENER)),) if listeners else ()
    networking = Struct(
        "Dataplane_Networking",
        (
            Field("Address", "address", STRING),
            Field("AdvertisedAddress", "advertisedAddress", STRING),
            Field("Inbound", "inbound", List(inbound)),
            Field("Outbound", "outbound", List(OUTBOUND)),
            opt("Gateway", "gateway", GATEWAY),
            tp,
            opt("Admin", "admin", ADMIN),
            *extra,
        ),
    )
    return Struct(
        "Dataplane",
        (
            opt("Networking", "networking", networking),
            Field("Metrics", "metrics", JSON),
            Field("Probes", "probes", JSON),
        ),
    )


DATAPLANE_2_12 = _dataplane(reachable_backends=True, listeners=False, protocol=False)
DATAPLANE_2_14 = _dataplane(reachable_backends=True, listeners=True, protocol=True)


def _mesh_service(*, spiffe: bool, dataplane_labels: bool) -> Struct:
    identity = Struct(
        "MeshServiceIdentity",
        (
            req("Type", "type", enum("ServiceTag", "SpiffeID") if spiffe else enum("ServiceTag")),
            req("Value", "value", STRING),
        ),
    )
    labels = (
        (
            opt(
                "DataplaneLabels",
                "dataplaneLabels",
                Struct("DataplaneLabels", (Field("MatchLabels", "matchLabels", Map(STRING)),)),
            ),
        )
        if dataplane_labels
        else ()
    )
    selector = Struct(
        "Selector",
        (
            Field("DataplaneTags", "dataplaneTags", Map(STRING)),
            opt("DataplaneRef", "dataplaneRef", MESH_SERVICE_DATAPLANE_REF),
            *labels,
        ),
    )
    return Struct(
        "MeshService",
        (
            Field("State", "state", enum("Available", "Unavailable"), default="Unavailable"),
            Field("Selector", "selector", selector),
            Field("Ports", "ports", List(MESH_SERVICE_PORT)),
            Field("Identities", "identities", List(identity)),
        ),
    )


MESH_SERVICE_2_12 = _mesh_service(spiffe=True, dataplane_labels=False)
MESH_SERVICE_2_14 = _mesh_service(spiffe=True, dataplane_labels=True)

MES_ENDPOINT_2_14 = Struct(
    "Endpoint",
    (
        req("Address", "address", STRING),
        opt("Port", "port", PORT_NUMBER),
        opt("Priority", "priority", Scalar("uint", minimum=0, maximum=128)),
    ),
)
"""2.14: an endpoint may carry a failover `priority` (0-128)."""

MESH_EXTERNAL_SERVICE_2_14 = Struct(
    "MeshExternalService",
    (
        req("Match", "match", MES_MATCH),
        opt("Extension", "extension", MES_EXTENSION),
        Field("Endpoints", "endpoints", List(MES_ENDPOINT_2_14)),
        opt("Tls", "tls", MES_TLS),
    ),
)

# New kinds. The engine reads only MeshIdentity (`selector`, for `_layout`'s `spiffeId`);
# the others are typed so that they are validated and defaulted as the API server does.

LABEL_SELECTOR = Struct("LabelSelector", (Field("MatchLabels", "matchLabels", Map(STRING)),))

MESH_IDENTITY_SELECTOR = Struct("Selector", (opt("Dataplane", "dataplane", LABEL_SELECTOR),))

MESH_IDENTITY_SPIFFE_ID = Struct(
    "SpiffeID",
    (
        opt("TrustDomain", "trustDomain", STRING),
        opt("Path", "path", STRING),
    ),
)


def _mesh_identity(*, provider_required: bool, extension: bool) -> Struct:
    types = ("Bundled", "Spire", "Extension") if extension else ("Bundled", "Spire")
    extra = (opt("Extension", "extension", JSON),) if extension else ()
    provider = Struct(
        "Provider",
        (
            req("Type", "type", enum(*types)),
            opt("Bundled", "bundled", JSON),
            opt("Spire", "spire", JSON),
            *extra,
        ),
    )
    provider_field = (
        req("Provider", "provider", provider)
        if provider_required
        else opt("Provider", "provider", provider)
    )
    return Struct(
        "MeshIdentity",
        (
            opt("Selector", "selector", MESH_IDENTITY_SELECTOR),
            opt("SpiffeID", "spiffeID", MESH_IDENTITY_SPIFFE_ID),
            provider_field,
        ),
    )


MESH_IDENTITY_2_12 = _mesh_identity(provider_required=True, extension=False)
MESH_IDENTITY_2_13 = _mesh_identity(provider_required=False, extension=False)
MESH_IDENTITY_2_14 = _mesh_identity(provider_required=False, extension=True)

MESH_TRUST = Struct(
    "MeshTrust",
    (
        req(
            "CABundles",
            "caBundles",
            List(
                Struct(
                    "CABundle",
                    (
                        req("Type", "type", enum("Pem")),
                        opt("PEM", "pem", Struct("PEM", (req("Value", "value", STRING),))),
                    ),
                ),
                min_items=1,
            ),
        ),
        req("TrustDomain", "trustDomain", STRING),
        opt("Origin", "origin", Struct("Origin", (opt("KRI", "kri", STRING),))),
    ),
)

WORKLOAD = Struct("Workload", ())
"""A Workload's `spec` is empty: the object names a workload its Dataplanes label."""

MESH_OPEN_TELEMETRY_BACKEND = Struct(
    "MeshOpenTelemetryBackend",
    (
        opt(
            "Endpoint",
            "endpoint",
            Struct(
                "Endpoint",
                (
                    opt("Address", "address", STRING),
                    opt("Port", "port", INT),
                    opt("Path", "path", STRING),
                ),
            ),
        ),
        opt("Protocol", "protocol", enum("grpc", "http")),
        opt(
            "Env",
            "env",
            Struct(
                "EnvPolicy",
                (
                    opt(
                        "Mode", "mode", enum("Disabled", "Optional", "Required"), default="Optional"
                    ),
                    opt(
                        "Precedence",
                        "precedence",
                        enum("ExplicitFirst", "EnvFirst"),
                        default="EnvFirst",
                    ),
                    opt("AllowSignalOverrides", "allowSignalOverrides", BOOL),
                ),
            ),
        ),
    ),
)

MESH_ZONE_ADDRESS = Struct(
    "MeshZoneAddress",
    (
        req("Address", "address", STRING),
        req("Port", "port", Scalar("int", minimum=1, maximum=65535)),
    ),
)
