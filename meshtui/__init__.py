"""meshtui: see which Kuma / Kong Mesh policies apply to each data plane proxy, live."""

__version__ = "0.1.0"
