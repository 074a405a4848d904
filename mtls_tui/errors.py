"""The project's error types (one hierarchy) and the one YAML reader.

Everything that reads user input raises `InputError` and nothing else, so every
edge can turn it into one clear line (`where: problem`) instead of a traceback.
YAML (and JSON, which is YAML) is read by `yaml_documents` only, which bounds what
aliases may expand to and how deep documents may nest.
"""

from __future__ import annotations

import re
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


def yaml_input_error(exc: Exception, origin: str, what: str = "YAML") -> InputError:
    """Point at the line where the broken construct starts (PyYAML's context mark),
    which is where a person has to look, rather than where the parser gave up."""
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    where = f"{origin}:{mark.line + 1}" if mark else origin
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


def check_tree(root: Any, limit: int = MAX_NESTING) -> None:
    """Raise `Refused` when a node graph without aliases (a tree) nests deeper than `limit`.
    One pass over the collections; scalars are not even visited (4% of a load with libyaml)."""
    import yaml

    mapping, scalar = yaml.MappingNode, yaml.ScalarNode
    stack = [(root, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > limit:
            raise _too_deep(node)
        depth += 1
        if node.__class__ is mapping:
            for key, value in node.value:
                if value.__class__ is not scalar:
                    push((value, depth))
                if key.__class__ is not scalar:
                    push((key, depth))
        elif node.__class__ is not scalar:
            for value in node.value:
                if value.__class__ is not scalar:
                    push((value, depth))


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
        raise Refused(root, f"YAML aliases expand it by {extra:,} nodes (limit {limit:,}): refused, as a 'billion laughs' would be")


_ANCHOR = re.compile(rb"&[^\s]")  # an alias needs an anchor (&name) before it: none, and the nodes form a tree


def _loader() -> type:
    """The C loader when PyYAML has libyaml (ten times quicker on big manifest sets), with
    one addition: each document's node graph is checked (depth, aliases) before it is built."""
    import yaml

    base = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader

    class BoundedLoader(base):  # type: ignore[misc, valid-type]
        may_alias = True

        def construct_document(self, node: Any) -> Any:
            if self.may_alias:
                check_aliases(node)
            else:
                check_tree(node)
            return super().construct_document(node)

    return BoundedLoader


_LOADER: list[type] = []


_NOT_JSON = object()


def _json_document(data: bytes) -> Any:
    """`data` as JSON, or _NOT_JSON (then YAML reads it, with its line numbers for the error)."""
    import json

    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return _NOT_JSON


def _too_deep_value(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether dicts and lists nest deeper than `limit`, found without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values() if isinstance(child, (dict, list)))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item if isinstance(child, (dict, list)))
    return False


def yaml_documents(data: bytes, origin: str, what: str = "YAML") -> list[Any]:
    """Every document in `data` (None for empty ones). Raises only InputError: broken YAML
    with its line, nesting deeper than the parser or the constructor take, alias bombs."""
    import yaml

    if data.lstrip()[:1] in (b"{", b"["):  # JSON (kubectl get -o json): json's C parser, many times quicker
        document = _json_document(data)
        if document is not _NOT_JSON:
            if _too_deep_value(document):
                raise InputError(origin, f"nests deeper than {MAX_NESTING} levels: refused (no Kubernetes object is that deep)")
            return [document]
    if not _LOADER:
        _LOADER.append(_loader())
    loader = _LOADER[0](data)
    loader.may_alias = bool(_ANCHOR.search(data))
    documents: list[Any] = []
    try:
        while loader.check_data():
            documents.append(loader.get_data())
    except Refused as bomb:
        mark = getattr(bomb.node, "start_mark", None)
        raise InputError(f"{origin}:{mark.line + 1}" if mark else origin, bomb.problem) from None
    except yaml.YAMLError as exc:
        raise yaml_input_error(exc, origin, what) from None
    except RecursionError:
        raise InputError(origin, f"is nested too deeply to be read as {what}") from None
    except (ValueError, TypeError, OverflowError) as exc:  # a scalar PyYAML cannot build: a 5,000-digit number, month 13
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if "integer string conversion" in text:
            text = "a number of more than 4,300 digits"
        raise InputError(origin, f"is not valid {what} ({text})") from None
    except UnicodeDecodeError as exc:
        raise InputError(origin, f"is not valid {what} (not UTF-8 or UTF-16 text: {exc.reason} at byte {exc.start})") from None
    finally:
        loader.dispose()
    return documents
