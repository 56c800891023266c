"""MeshMetric: `pkg/plugins/policies/meshmetric/api/v1alpha1`.

A single-item policy: the top-level `default` is the merged conf. `SPEC`/`CONF` are the
Kuma 2.10.11 shapes; `CONF_WITH_BACKEND_REF`/`SPEC_WITH_BACKEND_REF` the 2.14 ones.
"""

from __future__ import annotations

from meshtui.kinds.gotypes import (
    BOOL,
    DURATION,
    STRING,
    UINT,
    Field,
    List,
    Struct,
    enum,
    opt,
    req,
)
from meshtui.kinds.schemas.common import BACKEND_RESOURCE_REF, TARGET_REF

PROFILE = Struct("Profile", (req("Name", "name", enum("All", "Basic", "None")),))

SELECTOR = Struct(
    "Selector",
    (
        req("Type", "type", enum("Prefix", "Regex", "Exact", "Contains")),
        req("Match", "match", STRING),
    ),
)

PROFILES = Struct(
    "Profiles",
    (
        opt("AppendProfiles", "appendProfiles", List(PROFILE)),
        opt("Exclude", "exclude", List(SELECTOR)),
        opt("Include", "include", List(SELECTOR)),
    ),
)
"""`appendProfiles` concatenates across policies; `exclude`/`include` are replaced."""

SIDECAR = Struct(
    "Sidecar",
    (
        opt("Profiles", "profiles", PROFILES),
        opt("IncludeUnused", "includeUnused", BOOL),
    ),
)

APPLICATION = Struct(
    "Application",
    (
        opt("Name", "name", STRING),
        opt("Path", "path", STRING, default="/metrics"),
        opt("Address", "address", STRING),
        req("Port", "port", UINT),
    ),
)

PROMETHEUS_TLS = Struct(
    "PrometheusTls",
    (
        Field(
            "Mode",
            "mode",
            enum("Disabled", "ProvidedTLS", "ActiveMTLSBackend"),
            omitempty=False,
            default="Disabled",
        ),
    ),
)

PROMETHEUS_BACKEND = Struct(
    "PrometheusBackend",
    (
        opt("ClientId", "clientId", STRING),
        Field("Port", "port", UINT, omitempty=False, default=5670),
        Field("Path", "path", STRING, omitempty=False, default="/metrics"),
        opt("Tls", "tls", PROMETHEUS_TLS),
    ),
)

OPEN_TELEMETRY_BACKEND = Struct(
    "OpenTelemetryBackend",
    (
        req("Endpoint", "endpoint", STRING),
        opt("RefreshInterval", "refreshInterval", DURATION),
    ),
)

BACKEND = Struct(
    "Backend",
    (
        req("Type", "type", enum("Prometheus", "OpenTelemetry")),
        opt("Prometheus", "prometheus", PROMETHEUS_BACKEND),
        opt("OpenTelemetry", "openTelemetry", OPEN_TELEMETRY_BACKEND),
    ),
)

CONF = Struct(
    "Conf",
    (
        opt("Sidecar", "sidecar", SIDECAR),
        opt("Applications", "applications", List(APPLICATION)),
        opt("Backends", "backends", List(BACKEND)),
    ),
)
"""The merged conf (the top-level `default`)."""

SPEC = Struct(
    "MeshMetric",
    (
        opt("TargetRef", "targetRef", TARGET_REF),
        Field("Default", "default", CONF, omitempty=True),
    ),
)
"""The whole `spec`, for validation, structural defaulting and display."""

OPEN_TELEMETRY_BACKEND_WITH_REF = Struct(
    "OpenTelemetryBackend",
    (
        Field("Endpoint", "endpoint", STRING, omitempty=False, default=""),
        opt("BackendRef", "backendRef", BACKEND_RESOURCE_REF),
        opt("RefreshInterval", "refreshInterval", DURATION),
    ),
)
"""2.14: `endpoint` is optional (CRD default `""`), or a `backendRef` names the backend."""

CONF_WITH_BACKEND_REF = Struct(
    "Conf",
    (
        opt("Sidecar", "sidecar", SIDECAR),
        opt("Applications", "applications", List(APPLICATION)),
        opt(
            "Backends",
            "backends",
            List(
                Struct(
                    "Backend",
                    (
                        req("Type", "type", enum("Prometheus", "OpenTelemetry")),
                        opt("Prometheus", "prometheus", PROMETHEUS_BACKEND),
                        opt("OpenTelemetry", "openTelemetry", OPEN_TELEMETRY_BACKEND_WITH_REF),
                    ),
                )
            ),
        ),
    ),
)

SPEC_WITH_BACKEND_REF = Struct(
    "MeshMetric",
    (
        opt("TargetRef", "targetRef", TARGET_REF),
        Field("Default", "default", CONF_WITH_BACKEND_REF, omitempty=True),
    ),
)
