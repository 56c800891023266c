"""The Kuma versions tests pin: every test written from the 2.10 specs says so explicitly."""

from __future__ import annotations

from meshtui.versions import KumaVersion

V2_10 = KumaVersion.profile("2.10")
V2_11 = KumaVersion.profile("2.11")
V2_12 = KumaVersion.profile("2.12")
V2_13 = KumaVersion.profile("2.13")
V2_14 = KumaVersion.profile("2.14")
