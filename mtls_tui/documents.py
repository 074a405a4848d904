"""YAML and JSON documents, read one at a time and bounded: the one reader of both.

Why not `yaml.safe_load_all`: PyYAML composes a node graph of each whole document first (a
`kubectl get -A -o yaml` dump is one document) and then builds the values from it in Python.
On a 5,000-Ingress dump (15 MB) that took 7 s and 180 MB, most of it Python's collector
walking the node graph, and the old bounds walked that graph once more. Here libyaml's
events are built into dicts, lists and scalars as they come, so no node graph exists, and
the bounds are counted as the events pass:

- aliases may add at most ALIAS_EXPANSION_LIMIT nodes to a document, counted at each alias
  (a "billion laughs" is refused at the alias that crosses the limit, before anything is
  expanded), and may not refer to a node that contains them;
- collections may nest at most MAX_NESTING levels, an alias's expansion included.

The values are `yaml.safe_load`'s: the same resolver and scalar constructors (`on` is True,
`0x10` is 16, an unquoted date is a date), merge keys, `!!binary`, `!!set`, `!!omap`, and the
same errors for what it refuses (an unknown tag, an unhashable key, a duplicate anchor).

A stream of several documents is cut at its `---` lines, as kubectl cuts a file, and each
part is parsed on its own: a broken document is one error with its file and line, and the
documents after it are still read. The objects of a List (`kubectl get -A -o yaml` writes one
List of them all) may be handed out one at a time as they are read, so that a reader can
free each before the next is built. JSON (`kubectl get -o json`) is read by the json module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import ScalarNode

from mtls_tui.errors import ALIAS_EXPANSION_LIMIT, MAX_NESTING, InputError, yaml_input_error

_TOO_DEEP = f"nests deeper than {MAX_NESTING} levels: refused (no Kubernetes object is that deep)"

_AFTER_MARKER = (b"", b" ", b"\t", b"\r", b"\n")  # what may follow `---` on a line that starts a document
_JSON_START = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*[{\[]")
_PART_READ = 1 << 16  # bytes handed to libyaml at a time from a part of the input
_CACHED_PLAIN = 128  # plain scalars up to this length are resolved once per file (keys, names, numbers)

_MAP, _SEQ, _SET, _OMAP, _PAIRS = (f"tag:yaml.org,2002:{name}" for name in ("map", "seq", "set", "omap", "pairs"))
_MERGE, _VALUE, _STR = "tag:yaml.org,2002:merge", "tag:yaml.org,2002:value", "tag:yaml.org,2002:str"


@dataclass(frozen=True)
class Document:
    """One document of a file: its value, or why it could not be read; `lines` are the first and
    last line of the part of the file it came from (a person looks there). `item`: one element
    of a List's `items`, handed out on its own (`documents(items=True)`)."""

    lines: tuple[int, int]
    value: Any = None
    error: InputError | None = None
    item: bool = False


_OPEN = object()  # an anchor whose collection is still being read: an alias to it would be recursive
_NO_KEY = object()  # a mapping waits for its next key
_MERGE_KEY = object()  # a `<<` key: the mapping (or list of mappings) after it is merged into this one


def documents(data: bytes, origin: str, what: str = "YAML", items: bool = False) -> Iterator[Document]:
    """Every document in `data`, in order; one that cannot be read comes as a Document with its
    `error` (`origin:line: problem`), and the reading goes on with the next part of the stream.
    `items`: the elements of a YAML document's top-level `items` list come one at a time as they
    are read (`item` True; its document follows, its `items` empty), as kubectl reads a List:
    by that field, whatever the kind (apimachinery's unstructuredJSONScheme.decode)."""
    if _JSON_START.match(data) and (text := _json_text(data)) is not None:
        del data  # parsed from the text on: the bytes are not held beside it (a 20 MB dump is 20 MB less at the peak)
        value = _json_value(text)
        if value is not _NOT_JSON:
            lines = (1, text.count("\n") + 1)
            del text
            yield Document(lines, error=InputError(origin, _TOO_DEEP)) if _too_deep(value) else Document(lines, value)
            return
        data = text.encode("utf-8", "surrogatepass")
    plain: dict[str, Any] = {}  # the plain scalars of this file already resolved
    line = 1
    for start, end in _parts(data):
        newlines = data.count(b"\n", start, end)
        lines = (line, max(line, line + newlines - (data[end - 1 : end] == b"\n")))
        try:
            for value, item in _build(
                data if (start, end) == (0, len(data)) else _Part(data, start, end), plain, items
            ):
                yield Document(lines, value, item=item)
        except _Refused as refused:
            yield Document(
                lines, error=InputError(f"{origin}:{min(line + refused.mark.line, lines[1])}", refused.problem)
            )
        except yaml.YAMLError as exc:
            yield Document(lines, error=yaml_input_error(exc, origin, what, first_line=line, last_line=lines[1]))
        except _ScalarError as exc:
            yield Document(lines, error=InputError(f"{origin}:{line + exc.line}", f"is not valid {what} ({exc.text})"))
        line += newlines


def yaml_documents(data: bytes, origin: str, what: str = "YAML") -> list[Any]:
    """Every document's value (None for an empty one); the first that cannot be read raises
    its InputError: a file given to `inspect` is read whole or not at all."""
    values = []
    for document in documents(data, origin, what):
        if document.error is not None:
            raise document.error
        values.append(document.value)
    return values


# --- JSON ------------------------------------------------------------------------------------

_NOT_JSON = object()


def _json_text(data: bytes) -> str | None:
    """`data` decoded as json.loads decodes it (UTF-8, 16 or 32), or None when it cannot be."""
    try:
        return data.decode(json.detect_encoding(data), "surrogatepass")
    except (UnicodeDecodeError, LookupError):
        return None


def _json_value(text: str) -> Any:
    """`text` as one JSON value, or _NOT_JSON: then the YAML reader takes it (flow-style YAML,
    several documents, or broken JSON, whose error YAML gives with its line)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON


def _too_deep(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether dicts and lists nest deeper than `limit`: one level at a time, no recursion, and
    only collections are kept (json's own recursion bound stops far deeper values first)."""
    level, depth = ([value] if value.__class__ is dict or value.__class__ is list else []), 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below = []
        for item in level:
            for child in item.values() if item.__class__ is dict else item:
                if child.__class__ is dict or child.__class__ is list:
                    below.append(child)
        level = below
    return False


# --- YAML ------------------------------------------------------------------------------------


def _parts(data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each part of `data` that begins with a document start (the first part
    may begin without one); a part holds one document, or several separated by `...`. A
    document start is a line `---` (then a space, a comment or the line's end), with the
    directive lines (`%YAML 1.1`) just before it: where kubectl cuts a file too."""
    start, found = 0, data.find(b"\n---")
    while found >= 0:
        line = found + 1
        if data[line + 3 : line + 4] in _AFTER_MARKER:
            cut = _directives_before(data, line)
            if cut > start:
                yield start, cut
                start = cut
        found = data.find(b"\n---", line)
    if start < len(data) or not data:
        yield start, len(data)


def _directives_before(data: bytes, line: int) -> int:
    """Where the directives that belong to the document starting at `line` begin (`%YAML 1.1`
    at the start of a line, after the stream's start or a `...` line; comments and blank lines
    may stand between); `line` itself when there are none."""
    cut = begin = line
    while begin > 0:
        begin = data.rfind(b"\n", 0, begin - 1) + 1
        text = data[begin : data.index(b"\n", begin)]
        if text.startswith(b"%"):
            cut = begin
        elif text.strip() and not text.lstrip().startswith(b"#"):
            return cut if text.rstrip() == b"..." or text.startswith(b"... ") else line
    return cut


class _Part:
    """A part of the input as a stream for libyaml, read in pieces: never a copy of all of it."""

    def __init__(self, data: bytes, start: int, end: int) -> None:
        self.data, self.position, self.end = data, start, end

    def read(self, size: int) -> bytes:
        piece = self.data[self.position : min(self.position + max(size, _PART_READ), self.end)]
        self.position += len(piece)
        return piece


class _ScalarError(Exception):
    """A scalar PyYAML's constructors refuse with a plain exception (a 5,000-digit number, month 13)."""

    def __init__(self, line: int, text: str) -> None:
        super().__init__(text)
        self.line, self.text = line, text


class _Refused(Exception):
    """A document the bounds refuse (too deep, aliases that expand without bound, a recursive alias)."""

    def __init__(self, mark: Any, problem: str) -> None:
        super().__init__(problem)
        self.mark, self.problem = mark, problem


_PARSER: Any
try:
    from yaml._yaml import CParser  # libyaml's parser, when PyYAML was built with it

    _PARSER = CParser
except ImportError:  # pragma: no cover - PyYAML without libyaml: its own parser, same events, slower
    _PARSER = None
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_CONSTRUCTORS = yaml.constructor.SafeConstructor.yaml_constructors
# The node kind each collection tag of the safe constructor needs (every other known tag needs a scalar).
_COLLECTION_TAGS = {_MAP: "mapping", _SET: "mapping", _SEQ: "sequence", _OMAP: "sequence", _PAIRS: "sequence"}


def _parser(stream: Any) -> Any:
    return _PARSER(stream) if _PARSER is not None else yaml.SafeLoader(stream)


def _unknown_tag(tag: str, mark: Any) -> yaml.YAMLError:
    return yaml.constructor.ConstructorError(None, None, f"could not determine a constructor for the tag {tag!r}", mark)


def _kind(value: Any) -> str:
    return "mapping" if value.__class__ is dict else "sequence" if value.__class__ is list else "scalar"


def _scalar(event: ScalarEvent, tag: str) -> Any:
    """A scalar with a resolved or explicit tag, built by PyYAML's safe constructor for that tag."""
    if tag == _STR:
        return event.value
    mark: Any = event.start_mark  # libyaml's or PyYAML's Mark: the same attributes
    if tag in _COLLECTION_TAGS:
        raise yaml.constructor.ConstructorError(
            None, None, f"expected a {_COLLECTION_TAGS[tag]} node, but found scalar", mark
        )
    if tag not in _CONSTRUCTORS:  # `!foo`, `!!python/object`, `!!merge`
        raise _unknown_tag(tag, mark)
    try:
        return _CONSTRUCTORS[tag](
            _CONSTRUCTOR, ScalarNode(tag, event.value, mark, cast(Any, event.end_mark), event.style)
        )
    except (ValueError, TypeError, OverflowError) as exc:
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if "integer string conversion" in text:
            text = "a number of more than 4,300 digits"
        raise _ScalarError(mark.line, text) from None


def _plain(event: ScalarEvent, cache: dict[str, Any], as_key: bool) -> Any:
    """An untagged plain scalar (`on`, `12`, `meow.com`), resolved once per distinct value. Only a
    mapping's key may be `<<` (a merge) or `=` (the string): those are never cached."""
    value = event.value
    tag = _RESOLVER.resolve(ScalarNode, value, event.implicit)
    if tag in (_MERGE, _VALUE):
        if not as_key:
            raise _unknown_tag(tag, event.start_mark)
        return _MERGE_KEY if tag == _MERGE else "="
    built = _scalar(event, tag)
    if len(value) <= _CACHED_PLAIN:
        cache[value] = built
    return built


def _merged(container: dict[Any, Any], merges: list[tuple[Any, Any]]) -> dict[Any, Any]:
    """A mapping with its `<<` keys applied as PyYAML applies them: the mapping's own keys win,
    then later `<<` keys over earlier ones, and in a list the first mapping over the later ones."""
    merged: dict[Any, Any] = {}
    sources: Iterable[Any]
    for value, value_mark in merges:
        if value.__class__ is list:
            for source in value:
                if source.__class__ is not dict:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        None,
                        f"expected a mapping for merging, but found {_kind(source)}",
                        value_mark,
                    )
            sources = reversed(value)
        elif value.__class__ is dict:
            sources = [value]
        else:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                None,
                f"expected a mapping or list of mappings for merging, but found {_kind(value)}",
                value_mark,
            )
        for source in sources:
            merged.update(source)
    merged.update(container)
    return merged


def _tagged(container: Any, tag: str, mark: Any) -> Any:
    """A collection with an explicit tag, as the safe constructor builds it (`!!set`, `!!omap`)."""
    kind = _kind(container)
    if tag not in _CONSTRUCTORS:
        raise _unknown_tag(tag, mark)
    if tag in (_OMAP, _PAIRS) and kind != "sequence":
        what = "while constructing an ordered map" if tag == _OMAP else "while constructing pairs"
        raise yaml.constructor.ConstructorError(what, mark, f"expected a sequence, but found {kind}", mark)
    if _COLLECTION_TAGS.get(tag) != kind:
        raise yaml.constructor.ConstructorError(
            None, None, f"expected a {_COLLECTION_TAGS.get(tag, 'scalar')} node, but found {kind}", mark
        )
    if tag == _SET:
        return set(container)
    if tag in (_OMAP, _PAIRS):
        what = "while constructing an ordered map" if tag == _OMAP else "while constructing pairs"
        for item in container:
            if item.__class__ is not dict:
                raise yaml.constructor.ConstructorError(
                    what, mark, f"expected a mapping of length 1, but found {_kind(item)}", mark
                )
            if len(item) != 1:
                raise yaml.constructor.ConstructorError(
                    what, mark, f"expected a single mapping item, but found {len(item)} items", mark
                )
        return [next(iter(item.items())) for item in container]
    return container


def _build(stream: Any, plain: dict[str, Any], items: bool) -> Iterator[tuple[Any, bool]]:
    """The documents of one part of the input, built from libyaml's events as `safe_load` builds
    them, with the bounds counted on the way: `extra` counts the nodes aliases added to this
    document, `deepest` the deepest collection level reached (aliases' expansions included),
    `written` the nodes written (for the expanded size of each anchored collection). Each comes
    as (value, False); with `items`, each element of a top-level `items` list (untagged, with
    no anchor) comes as (element, True) when it is read, and is not kept in the list."""
    parser = _parser(stream)
    get_event = parser.get_event
    stack: list[tuple[Any, Any, Any, Any]] = []  # (container, pending key, extras, mark) of the collections above
    container: Any = None  # the collection being filled; None at a document's top
    key: Any = _NO_KEY  # in a mapping: its pending key, or _NO_KEY when a key comes next
    extras: Any = None  # the open collection's [tag, merges, anchor, written, extra, deepest], when it has any
    mark: Any = None  # where the open collection starts
    ended: Any = None  # where the collection that ended last started
    anchors: dict[str, Any] = {}  # name -> (value, expanded size, collection levels), or _OPEN while it is read
    root: Any = None
    handed_out: Any = None  # the `items` list whose elements are handed out instead of kept
    written = extra = deepest = 0
    try:
        while True:
            event = get_event()
            cls = event.__class__
            if cls is ScalarEvent:
                written += 1
                tag = event.tag
                if tag is not None and tag != "!":
                    value = _scalar(event, tag)
                elif event.implicit[0]:
                    value = plain.get(event.value, _NO_KEY)
                    if value is _NO_KEY:
                        value = _plain(event, plain, container.__class__ is dict and key is _NO_KEY)
                else:
                    value = event.value
                if event.anchor is not None:
                    _anchor(anchors, event, (value, 1, 0))
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                written += 1
                stack.append((container, key, extras, mark))
                if len(stack) > MAX_NESTING:
                    raise _Refused(event.start_mark, _TOO_DEEP)
                if len(stack) > deepest:
                    deepest = len(stack)
                extras = None
                if event.anchor is not None or (event.tag is not None and event.tag != "!"):
                    extras = [event.tag, None, event.anchor, written - 1, extra, deepest]
                    deepest = len(stack)
                    if event.anchor is not None:
                        _anchor(anchors, event, _OPEN)
                container = {} if cls is MappingStartEvent else []
                if (
                    items
                    and len(stack) == 2
                    and extras is None
                    and stack[1][1] == "items"
                    and stack[1][2] is None
                    and container.__class__ is list
                ):
                    handed_out = container
                key = _NO_KEY
                mark = event.start_mark
                continue
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                value, ended = container, mark
                if extras is not None:
                    tag, merges, anchor, written_before, extra_before, deepest_before = extras
                    if merges:
                        value = _merged(value, merges)
                    if tag is not None and tag != "!":
                        value = _tagged(value, tag, mark)
                    if anchor is not None:
                        anchors[anchor] = (
                            value,
                            written - written_before + extra - extra_before,
                            deepest - len(stack) + 1,
                        )
                    deepest = max(deepest, deepest_before)
                container, key, extras, mark = stack.pop()
            elif cls is AliasEvent:
                target = anchors.get(event.anchor)
                if target is None:
                    raise yaml.composer.ComposerError(
                        None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                    )
                if target is _OPEN:
                    raise _Refused(
                        event.start_mark,
                        "a YAML alias refers to a node that contains it (a recursive structure): refused",
                    )
                value, size, levels = target
                extra += size
                if extra > ALIAS_EXPANSION_LIMIT:
                    raise _Refused(
                        event.start_mark,
                        f"YAML aliases expand it by more than {ALIAS_EXPANSION_LIMIT:,} nodes: "
                        "refused, as a 'billion laughs' would be",
                    )
                if len(stack) + levels > MAX_NESTING:
                    raise _Refused(event.start_mark, _TOO_DEEP)
                deepest = max(deepest, len(stack) + levels)
            elif cls is DocumentStartEvent:
                anchors, root, handed_out, written, extra, deepest = {}, None, None, 0, 0, 0
                continue
            elif cls is DocumentEndEvent:
                yield root, False
                continue
            elif event is None:
                return
            else:  # the stream's start and end
                continue
            if container is None:
                root = value
            elif container.__class__ is list:
                if container is handed_out:
                    yield value, True
                else:
                    container.append(value)
            elif key is not _NO_KEY:
                if key is _MERGE_KEY:
                    if extras is None:
                        extras = [None, None, None, written, extra, deepest]
                    extras[1] = (extras[1] or []) + [(value, _start(event, ended))]
                else:
                    container[key] = value
                key = _NO_KEY
            elif value.__class__ is dict or value.__class__ is list or value.__class__ is set:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", None, "found unhashable key", _start(event, ended)
                )
            else:
                key = value
    finally:
        parser.dispose()


def _start(event: Any, ended: Any) -> Any:
    """Where the value just read starts: its event's mark, or for a collection (`event` is its
    end) the mark of its start, `ended`."""
    return ended if event.__class__ in (MappingEndEvent, SequenceEndEvent) else event.start_mark


def _anchor(anchors: dict[str, Any], event: Any, value: Any) -> None:
    if event.anchor in anchors:
        raise yaml.composer.ComposerError(
            "found duplicate anchor; first occurrence", None, "second occurrence", event.start_mark
        )
    anchors[event.anchor] = value
