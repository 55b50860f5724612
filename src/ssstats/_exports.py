"""How ssstats' packages expose their public names (used by the package ``__init__`` files only).

- :func:`lazy` — names imported on first use (PEP 562), so ``import ssstats`` stays fast and a module's
  dependencies load only when one of its functions is used.
- :func:`reexport` — every public name (``__all__``) of every non-private submodule, imported at once
  (``ssstats.plots``, ``ssstats.simulate``).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, MutableMapping


def lazy(package: str, table: dict[str, str], namespace: MutableMapping, modules: Iterable[str] = ()
         ) -> tuple[Callable, Callable]:
    """``__getattr__`` and ``__dir__`` for ``package`` that import ``name`` from ``package.table[name]``, and the
    submodules named in ``modules`` themselves (``ssstats.simulate`` without an explicit import)."""
    modules = frozenset(modules)

    def __getattr__(name: str):
        if name in modules:
            value = importlib.import_module(f"{package}.{name}")
            namespace[name] = value
            return value
        try:
            module = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(table) | modules)

    return __getattr__, __dir__


def reexport(package: str, path: Iterable[str], namespace: MutableMapping) -> list[str]:
    """Import every non-private submodule of ``package`` and copy its ``__all__`` names into ``namespace``;
    returns the names."""
    names: list[str] = []
    for info in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{package}.{info.name}")
        for name in getattr(mod, "__all__", ()):
            namespace[name] = getattr(mod, name)
            names.append(name)
    return names
