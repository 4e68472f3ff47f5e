"""Which of the project's modules a rule's script runs, and one digest of their text.

Snakemake reruns a rule when its ``script:`` file changes, not when a module that script
imports does: an edited ``hw4/methods/shapes.py`` would leave the Q5 table stale. Each rule
therefore carries, as a parameter, the digest of every ``hw4`` module its script reaches
through imports (read statically from the source, nothing is imported). Snakemake's
``params`` rerun trigger then reruns exactly the rules whose code changed, and everything
downstream of them; an unrelated edit or an unchanged checkout reruns nothing.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

# The project's own package: only its modules are followed (libraries are pinned instead).
PACKAGE = "hw4"


def imported_modules(source: str, module: str = "") -> set[str]:
    """The ``hw4`` modules that ``source`` imports, as dotted names, wherever the import
    stands (inside a function too). ``module`` is the dotted name of ``source`` itself, for
    relative imports; ``from hw4.x import y`` counts ``hw4.x`` and ``hw4.x.y`` (``y`` may be
    a module), the caller keeps the names that exist."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")[: -node.level]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {name for name in found if name == PACKAGE or name.startswith(PACKAGE + ".")}


def module_file(scripts: Path, name: str) -> Path | None:
    """The file of dotted module ``name`` under ``scripts`` (a module or a package), or None."""
    path = scripts.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def reachable_sources(script: str | Path, scripts: str | Path) -> list[Path]:
    """Every ``hw4`` source file that ``script`` reaches through imports, the packages'
    ``__init__.py`` files on the way included, sorted. ``scripts`` is the folder holding the
    ``hw4`` package."""
    scripts = Path(scripts)
    seen: dict[str, Path] = {}
    pending = list(imported_modules(Path(script).read_text(encoding="utf-8")))
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        parts = name.split(".")
        for depth in range(1, len(parts)):  # the packages that hold it run their __init__
            package = ".".join(parts[:depth])
            if package not in seen and module_file(scripts, package):
                pending.append(package)
        path = module_file(scripts, name)
        if path is None:
            continue
        seen[name] = path
        pending += imported_modules(path.read_text(encoding="utf-8"), name)
    return sorted(set(seen.values()))


def code_fingerprint(script: str | Path, scripts: str | Path) -> str:
    """SHA-256 over the paths (relative to ``scripts``) and contents of every ``hw4`` source
    ``script`` reaches: the same text gives the same digest on any machine or checkout."""
    digest = hashlib.sha256()
    for path in reachable_sources(script, scripts):
        digest.update(str(path.relative_to(scripts)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
