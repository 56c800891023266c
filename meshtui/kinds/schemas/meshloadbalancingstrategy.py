"""MeshLoadBalancingStrategy.

Go package: `pkg/plugins/policies/meshloadbalancingstrategy/api/v1alpha1`. `SPEC`/`CONF`
are the Kuma 2.10.11 shapes; `SPEC_WITH_HASH_POLICIES`/`CONF_WITH_HASH_POLICIES` add the
`to[].default.hashPolicies` of 2.12.
"""

from __future__ import annotations

from meshtui.kinds.gotypes import (
    BOOL,
    DURATION,
    INT_OR_STRING,
    STRING,
    UINT,
    Field,
    List,
    Scalar,
    Struct,
    enum,
    opt,
    req,
)
from meshtui.kinds.schemas.common import TARGET_REF

AFFINITY_TAG = Struct(
    "AffinityTag",
    (
        req("Key", "key", STRING),
        opt("Weight", "weight", UINT),
    ),
)

LOCAL_ZONE = Struct("LocalZone", (opt("AffinityTags", "affinityTags", List(AFFINITY_TAG)),))

FROM_ZONE = Struct("FromZone", (req("Zones", "zones", List(STRING)),))

TO_ZONE = Struct(
    "ToZone",
    (
        req("Type", "type", enum("None", "Only", "Any", "AnyExcept")),
        opt("Zones", "zones", List(STRING)),
    ),
)

FAILOVER = Struct(
    "Failover",
    (
        opt("From", "from", FROM_ZONE),
        req("To", "to", TO_ZONE),
    ),
)

FAILOVER_THRESHOLD = Struct("FailoverThreshold", (req("Percentage", "percentage", INT_OR_STRING),))

CROSS_ZONE = Struct(
    "CrossZone",
    (
        Field("Failover", "failover", List(FAILOVER)),
        opt("FailoverThreshold", "failoverThreshold", FAILOVER_THRESHOLD),
    ),
)

LOCALITY_AWARENESS = Struct(
    "LocalityAwareness",
    (
        opt("Disabled", "disabled", BOOL),
        opt("LocalZone", "localZone", LOCAL_ZONE),
        opt("CrossZone", "crossZone", CROSS_ZONE),
    ),
)

ROUND_ROBIN = Struct("RoundRobin", ())

LEAST_REQUEST = Struct(
    "LeastRequest",
    (
        opt("ChoiceCount", "choiceCount", Scalar("uint", minimum=2)),
        opt("ActiveRequestBias", "activeRequestBias", INT_OR_STRING),
    ),
)

HEADER = Struct("Header", (req("Name", "name", STRING),))

COOKIE = Struct(
    "Cookie",
    (
        req("Name", "name", STRING),
        opt("TTL", "ttl", DURATION),
        opt("Path", "path", STRING),
    ),
)

CONNECTION = Struct("Connection", (opt("SourceIP", "sourceIP", BOOL),))

QUERY_PARAMETER = Struct("QueryParameter", (req("Name", "name", STRING),))

FILTER_STATE = Struct("FilterState", (req("Key", "key", STRING),))

HASH_POLICY = Struct(
    "HashPolicy",
    (
        req(
            "Type",
            "type",
            enum("Header", "Cookie", "Connection", "SourceIP", "QueryParameter", "FilterState"),
        ),
        opt("Terminal", "terminal", BOOL),
        opt("Header", "header", HEADER),
        opt("Cookie", "cookie", COOKIE),
        opt("Connection", "connection", CONNECTION),
        opt("QueryParameter", "queryParameter", QUERY_PARAMETER),
        opt("FilterState", "filterState", FILTER_STATE),
    ),
)

RING_HASH = Struct(
    "RingHash",
    (
        opt("HashFunction", "hashFunction", enum("XXHash", "MurmurHash2")),
        opt("MinRingSize", "minRingSize", Scalar("uint", minimum=1, maximum=8000000)),
        opt("MaxRingSize", "maxRingSize", Scalar("uint", minimum=1, maximum=8000000)),
        opt("HashPolicies", "hashPolicies", List(HASH_POLICY)),
    ),
)

RANDOM = Struct("Random", ())

MAGLEV = Struct(
    "Maglev",
    (
        opt("TableSize", "tableSize", Scalar("uint", minimum=1, maximum=5000011)),
        opt("HashPolicies", "hashPolicies", List(HASH_POLICY)),
    ),
)

LOAD_BALANCER = Struct(
    "LoadBalancer",
    (
        req("Type", "type", enum("RoundRobin", "LeastRequest", "RingHash", "Random", "Maglev")),
        opt("RoundRobin", "roundRobin", ROUND_ROBIN),
        opt("LeastRequest", "leastRequest", LEAST_REQUEST),
        opt("RingHash", "ringHash", RING_HASH),
        opt("Random", "random", RANDOM),
        opt("Maglev", "maglev", MAGLEV),
    ),
)

CONF = Struct(
    "Conf",
    (
        opt("LocalityAwareness", "localityAwareness", LOCALITY_AWARENESS),
        opt("LoadBalancer", "loadBalancer", LOAD_BALANCER),
    ),
)
"""The conf merged for `to[]` items (no top-level `hashPolicies` yet at 2.10)."""

_TO = Struct(
    "To",
    (
        Field("TargetRef", "targetRef", TARGET_REF, omitempty=False, required=True),
        Field("Default", "default", CONF, omitempty=True),
    ),
)

SPEC = Struct(
    "MeshLoadBalancingStrategy",
    (
        opt("TargetRef", "targetRef", TARGET_REF),
        Field("To", "to", List(_TO), omitempty=True),
    ),
)
"""The whole `spec`, for validation, structural defaulting and display."""

CONF_WITH_HASH_POLICIES = Struct(
    "Conf",
    (
        opt("LocalityAwareness", "localityAwareness", LOCALITY_AWARENESS),
        opt("LoadBalancer", "loadBalancer", LOAD_BALANCER),
        opt("HashPolicies", "hashPolicies", List(HASH_POLICY)),
    ),
)
"""The 2.12 conf: hash policies of their own, also allowed on a `to: MeshHTTPRoute` item."""

SPEC_WITH_HASH_POLICIES = Struct(
    "MeshLoadBalancingStrategy",
    (
        opt("TargetRef", "targetRef", TARGET_REF),
        Field(
            "To",
            "to",
            List(
                Struct(
                    "To",
                    (
                        Field("TargetRef", "targetRef", TARGET_REF, omitempty=False, required=True),
                        Field("Default", "default", CONF_WITH_HASH_POLICIES, omitempty=True),
                    ),
                )
            ),
            omitempty=True,
        ),
    ),
)
