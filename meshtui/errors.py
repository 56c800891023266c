"""meshtui's exceptions.

```
MeshtuiError            anything meshtui reports to the user as a one-line message
├── ConfigError         bad command line or kubeconfig
├── SourceError         a source cannot be read (missing folder, unreachable cluster)
└── NotFoundError       an inspect query names a mesh, dataplane or policy that does not exist
```

Problems in the resources themselves are not exceptions: they are `model.Problem`s.
"""

from __future__ import annotations


class MeshtuiError(Exception):
    """Base class: the message is shown to the user as is."""


class ConfigError(MeshtuiError):
    """A bad command line, flag combination or kubeconfig."""


class SourceError(MeshtuiError):
    """A source cannot be read at all."""


class NotFoundError(MeshtuiError):
    """A mesh, dataplane or policy named by the user does not exist."""
