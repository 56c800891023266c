"""Files in and out: YAML folders of Kubernetes objects, and kubeconfig files.

Owns reading a folder the way `kubectl apply -R -f` would see it (every `*.yaml` /
`*.yml`, recursively, multi-document, `kind: List` expanded) and writing a
kubeconfig that the official client's `new_client_from_config` accepts. Pure
file I/O; knows nothing about the server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.fakekube.protocol import Obj

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Document:
    """One Kubernetes-form object read from a file."""

    origin: str
    """`path#index` (and `.items[j]` inside a List), for messages."""
    obj: Obj


def yaml_files(folder: Path) -> list[Path]:
    """Every `*.yaml` / `*.yml` under `folder`, sorted, so load order (and rvs) are stable."""
    if not folder.is_dir():
        raise NotADirectoryError(f"not a folder: {folder}")
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def read_folder(folder: Path) -> tuple[list[Document], list[str]]:
    """The objects in `folder`, and a note for each document skipped (empty ones are silent).

    A YAML syntax error raises ValueError naming the file and line.
    """
    documents: list[Document] = []
    skipped: list[str] = []
    for path in yaml_files(folder):
        for origin, doc in _documents(path):
            if doc is None:
                continue
            if not _is_kube_object(doc):
                skipped.append(f"{origin}: not a Kubernetes object (apiVersion/kind/metadata.name)")
                continue
            items = doc.get("items")
            if doc["kind"].endswith("List") and isinstance(items, list):
                for j, item in enumerate(items):
                    if _is_kube_object(item):
                        documents.append(Document(f"{origin}.items[{j}]", item))
                    else:
                        skipped.append(f"{origin}.items[{j}]: not a Kubernetes object")
                continue
            documents.append(Document(origin, doc))
    return documents, skipped


def _documents(path: Path) -> Iterator[tuple[str, Any]]:
    with path.open(encoding="utf-8") as stream:
        try:
            for index, doc in enumerate(yaml.load_all(stream, Loader=_LOADER)):
                yield f"{path}#{index}", doc
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            raise ValueError(f"{path}{where}: invalid YAML: {err}") from err


def _is_kube_object(doc: object) -> bool:
    if not isinstance(doc, dict):
        return False
    if not isinstance(doc.get("apiVersion"), str) or not isinstance(doc.get("kind"), str):
        return False
    if doc["kind"].endswith("List") and isinstance(doc.get("items"), list):
        return True
    meta = doc.get("metadata")
    return isinstance(meta, dict) and isinstance(meta.get("name"), str)


def kubeconfig(
    server: str, token: str | None, contexts: Mapping[str, str | None], current: str
) -> Obj:
    """A kubeconfig with one cluster and user, and one context per (name -> namespace)."""
    user: Obj = {"token": token} if token is not None else {}
    entries: list[Obj] = []
    for name, namespace in contexts.items():
        context: Obj = {"cluster": "fakekube", "user": "fakekube"}
        if namespace:
            context["namespace"] = namespace
        entries.append({"name": name, "context": context})
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": "fakekube", "cluster": {"server": server}}],
        "users": [{"name": "fakekube", "user": user}],
        "contexts": entries,
        "current-context": current,
    }


def write_yaml(path: Path, data: Obj) -> None:
    """Write `data` as block-style YAML, atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    os.replace(partial, path)
