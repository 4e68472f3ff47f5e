"""The code that ran, on the page: a function's own source, read from its file at build time.

The report shows the implementations the homework asks for (the KerasTuner model builder,
the windowing, batch normalisation forward and backward, Grad-CAM) as they are in the
modules the rules imported, never retyped. ``report/listings.yaml`` names each one::

    batchnorm_forward:
      file: scripts/hw4/methods/batchnorm.py
      function: batchnorm_forward      # a top-level function, or Class.method
      section: q6

The function is found with ``ast`` (nothing is imported, so the report stack never loads
TensorFlow) and highlighted with Pygments.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

# The CSS class of a listing's <pre>; the stylesheet's rules for Pygments' token classes
# are scoped under it (listing_css).
LISTING_CLASS = "listing"


class ListingError(LookupError):
    """A listing names a file or a function that does not exist."""


@dataclass(frozen=True)
class Listing:
    """One function's source: ``file`` relative to the repository, its ``first_line`` and
    ``last_line`` (1-based, inclusive, decorators included) and the ``source`` text of those
    lines exactly as the file has them."""

    key: str
    file: str
    function: str
    first_line: int
    last_line: int
    source: str
    html: str


def highlighted(source: str) -> str:
    """``source`` highlighted by Pygments as HTML, left to right whatever the page's direction."""
    body = highlight(source, PythonLexer(), HtmlFormatter(nowrap=True))
    return f'<pre class="{LISTING_CLASS}" dir="ltr" lang="en">{body}</pre>'


def find_function(tree: ast.Module, qualified_name: str) -> ast.AST | None:
    """The definition of ``name`` or ``Class.name`` at the top of a module, else None."""
    scope: list[ast.stmt] = tree.body
    node = None
    for part in qualified_name.split("."):
        node = next(
            (
                item
                for item in scope
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and item.name == part
            ),
            None,
        )
        if node is None:
            return None
        scope = node.body
    return node


def read_listing(repo: str | Path, key: str, file: str, function: str) -> Listing:
    """The lines of ``function`` in ``repo/file``.

    Raises ``ListingError`` naming the listing, the file and the function when either is
    missing.
    """
    path = Path(repo) / file
    if not path.is_file():
        raise ListingError(f"listing {key}: {file} does not exist")
    text = path.read_text(encoding="utf-8")
    node = find_function(ast.parse(text, filename=file), function)
    if node is None:
        raise ListingError(f"listing {key}: {file} has no function {function!r}")
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    source = "\n".join(text.splitlines()[first - 1 : node.end_lineno]) + "\n"
    return Listing(key, file, function, first, node.end_lineno, source, highlighted(source))


def read_listings(repo: str | Path, catalogue: dict[str, dict]) -> dict[str, Listing]:
    """Every listing of ``report/listings.yaml`` (``{key: {file, function, section}}``)."""
    return {
        key: read_listing(repo, key, entry["file"], entry["function"])
        for key, entry in catalogue.items()
    }


def listing_css() -> str:
    """Pygments' colours for its token classes, scoped to the listings."""
    return HtmlFormatter(style="default").get_style_defs(f".{LISTING_CLASS}")
