"""The project's error types (one hierarchy), and the bounds on what YAML may expand to.

Everything that reads user input raises `InputError` and nothing else, so every
edge can turn it into one clear line (`where: problem`) instead of a traceback.
YAML and JSON documents are read by `documents.py`; a kubeconfig's node graph is
checked with `check_aliases` (sources/kube.py), under the same bounds.
"""

from __future__ import annotations

from typing import Any

# What aliases may add to a document, in nodes: anchors for a few shared labels are fine;
# a "billion laughs" (nine aliases of nine aliases of ...) is refused before it is built.
ALIAS_EXPANSION_LIMIT = 100_000
# How deep a document may nest. Kubernetes objects are a few levels deep, CRD schemas a few
# dozen; deeper ones would only make later steps (str, copy, JSON) fail on Python's recursion limit.
MAX_NESTING = 200


class MtlsTuiError(Exception):
    """Everything the project raises on purpose: an edge catches this one type and prints
    one line (exit status 2), so a new error kind cannot turn into a traceback."""


class CannotRun(MtlsTuiError):
    """The command cannot run at all (no cluster, no nginx, a bad flag value): exit status 2,
    one line on stderr."""


class OpenSSLUnavailable(CannotRun):
    """Python's ssl module is not linked with an OpenSSL that has the symbols nginx's verdict
    needs (certs/openssl_binding.py): without them there is no verdict to give."""


class InputError(MtlsTuiError):
    """Input it cannot use: `where` is the file, key or line, `problem` what is wrong there."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


class PassphraseNeeded(InputError):
    """An encrypted key or PKCS#12 file and no pass phrase: the edge may prompt and retry."""


def yaml_input_error(
    exc: Exception, origin: str, what: str = "YAML", first_line: int = 1, last_line: int | None = None
) -> InputError:
    """Point at the line where the broken construct starts (PyYAML's context mark),
    which is where a person has to look, rather than where the parser gave up.
    `first_line`, `last_line`: the file's lines the parsed text spans (a document cut from a
    stream; a parser that ran to its end points past the last line, which is not in it)."""
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    line = mark.line + first_line if mark else None
    where = f"{origin}:{min(line, last_line or line)}" if line is not None else origin
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    return InputError(where, f"is not valid {what} ({context + ': ' if context else ''}{problem})")


class Refused(Exception):
    """A YAML node graph refused before it is built (too deep, or aliases that expand without bound)."""

    def __init__(self, node: Any, problem: str) -> None:
        super().__init__(problem)
        self.node = node
        self.problem = problem


def _too_deep(node: Any) -> Refused:
    return Refused(node, f"nests deeper than {MAX_NESTING} levels: refused (no Kubernetes object is that deep)")


def check_aliases(root: Any, limit: int = ALIAS_EXPANSION_LIMIT, depth_limit: int = MAX_NESTING) -> None:
    """Raise `Refused` when aliases make the node graph under `root` expand to more than
    `limit` nodes beyond the ones written, refer to a node that contains them, or when it
    nests deeper than `depth_limit`. One pass, no recursion: each node is counted once,
    with the expanded size and the height of its children."""
    import yaml

    size: dict[int, int] = {}
    height: dict[int, int] = {}
    open_: set[int] = set()  # the nodes on the path from the root: an alias to one is a cycle
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_.discard(key)
            children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else node.value
            size[key] = 1 + sum(size[id(c)] for c in children)
            height[key] = 1 + max((height[id(c)] for c in children), default=0)
            if height[key] > depth_limit:
                raise _too_deep(node)
            continue
        if key in size:
            continue
        if key in open_:
            raise Refused(node, "a YAML alias refers to a node that contains it (a recursive structure): refused")
        if isinstance(node, yaml.ScalarNode):
            size[key], height[key] = 1, 1
            continue
        open_.add(key)
        stack.append((node, True))
        children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else node.value
        stack.extend((child, False) for child in children if id(child) not in size)
    extra = size[id(root)] - len(size)
    if extra > limit:
        raise Refused(
            root,
            f"YAML aliases expand it by {extra:,} nodes (limit {limit:,}): refused, as a 'billion laughs' would be",
        )
