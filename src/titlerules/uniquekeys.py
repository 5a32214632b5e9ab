"""A key given twice in one mapping is refused wherever YAML or JSON is read (bottom layer).

YAML loaders and ``json`` keep the last of two equal keys without a word, so a rule with
``when:`` twice, a record row with a fact twice or a test case with ``expect:`` twice would
be read as something its author did not write (a civil servant decided 符合).  Every reader
of YAML derives its loader from :class:`UniqueKeyLoader`, every reader of JSON passes
:func:`unique_object` as ``object_pairs_hook``, and both turn the refusal into
:func:`duplicate_key_error`: one :class:`InputFileError` (TR002) naming both places,
``file:line:column`` each.
"""

from __future__ import annotations

import json
import re
import typing
from typing import Any

import yaml

from titlerules.errors import InputFileError, Location

#: The JSON texts whose duplicate keys are placed by re-reading them as YAML (pure Python,
#: about a second a megabyte); a longer text names the key without the places.
MAX_LOCATED_CHARS = 2_000_000

_HINT = (
    "a key appears once in a mapping (the second would silently replace the first): "
    "remove one of them or merge the two"
)
_MERGE_TAG = "tag:yaml.org,2002:merge"

#: How many nodes aliases (``*name``) may add to a document beyond the nodes written in it.
#: Test cases share a base record with ``<<: *base`` (tens of nodes a case); each level of
#: ``b: [*a, *a, ...]`` multiplies, so a 600-byte file could otherwise stand for gigabytes.
MAX_ALIAS_NODES = 100_000


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A key given twice in one YAML mapping; ``first`` and ``second`` are the keys' marks."""

    def __init__(self, key: object, first: yaml.Mark, second: yaml.Mark) -> None:
        super().__init__(
            "while constructing a mapping", first, f"found duplicate key '{key}'", second
        )
        self.key = key
        self.first = first
        self.second = second


class AliasExpansionError(yaml.composer.ComposerError):
    """Aliases that stand for more than :data:`MAX_ALIAS_NODES` nodes (an "alias bomb")."""

    def __init__(self, mark: yaml.Mark | None) -> None:
        super().__init__(
            None,
            None,
            f"aliases (*name) expand the document by more than {MAX_ALIAS_NODES:,} nodes "
            "(write the shared parts out, or share fewer of them)",
            mark,
        )


class DuplicateJSONKeyError(ValueError):
    """A key given twice in one JSON object (``json`` does not say where)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"duplicate key '{key}'")
        self.key = key


class UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping, and aliases that
    expand to more than :data:`MAX_ALIAS_NODES` nodes."""

    def compose_document(self) -> yaml.Node | None:
        node: yaml.Node | None = super().compose_document()
        if node is not None:
            _check_aliases(node)
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # Checked before the base class flattens ``<<`` merges: a key written next to a
        # merge overrides the merged one on purpose; only keys written twice are refused.
        seen: dict[object, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, typing.Hashable):
                continue  # the base class reports the unhashable key with its position
            first = seen.setdefault(key, key_node)
            if first is not key_node:
                raise DuplicateKeyError(key, first.start_mark, key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


#: The longest whole number a YAML or JSON text may hold: nothing a policy, record or test
#: case counts needs more, and Python refuses to convert more than 4,300 digits (ValueError).
MAX_INT_DIGITS = 1000
_MAX_INT_BITS = 3322  # 10**1000 < 2**3322: bounds hexadecimal, octal and binary spellings too


class NumberTooLongError(ValueError):
    """A whole number longer than :data:`MAX_INT_DIGITS` digits in a JSON text."""

    def __init__(self, digits: str) -> None:
        super().__init__(f"a whole number of {len(digits):,} digits")
        self.digits = digits


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    value: int | None = None
    if sum(ch.isdigit() for ch in str(text)) <= MAX_INT_DIGITS:
        try:
            value = loader.construct_yaml_int(node)
        except ValueError:
            value = None
    if value is None or value.bit_length() > _MAX_INT_BITS:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"a whole number longer than {MAX_INT_DIGITS:,} digits",
            node.start_mark,
        )
    return value


UniqueKeyLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def json_int(text: str) -> int:
    """``parse_int`` for ``json.loads``: refuses a number longer than MAX_INT_DIGITS digits
    (:class:`NumberTooLongError`, a ValueError) before converting it."""
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise NumberTooLongError(text)
    return int(text)


class JSONContentError(ValueError):
    """A JSON text ``json`` reads but titlerules cannot use: nested too deeply for the
    interpreter's stack, or a ``\\u`` escape naming half of a surrogate pair, which is no
    character (it could never be written out as UTF-8)."""


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")


def loads_json(text: str | bytes, *, unique_keys: bool = True) -> Any:
    """``json.loads`` that fails only with ValueError: a key given twice
    (:class:`DuplicateJSONKeyError`, unless ``unique_keys`` is false), a number longer than
    :data:`MAX_INT_DIGITS` (:class:`NumberTooLongError`), nesting deeper than the stack
    allows or a lone surrogate (:class:`JSONContentError`), or not JSON (JSONDecodeError).
    Readers of rows and cells turn a ValueError into that row's error, so one line nested
    200,000 deep no longer aborts the whole batch."""
    try:
        data = json.loads(
            text, object_pairs_hook=unique_object if unique_keys else None, parse_int=json_int
        )
    except RecursionError:
        raise JSONContentError("nested too deeply") from None
    escape = (
        _SURROGATE_ESCAPE.search(text)
        if isinstance(text, str)
        else _SURROGATE_ESCAPE_BYTES.search(text)
    )
    if escape is not None:
        refuse_surrogates(data)
    return data


def refuse_surrogates(data: Any) -> None:
    """Refuse text anywhere in ``data`` holding half of a surrogate pair
    (:class:`JSONContentError`)."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as error:
                code = ord(value[error.start])
                raise JSONContentError(
                    f"the escape \\u{code:04x} is half of a surrogate pair, not a character"
                ) from None


def _check_aliases(root: yaml.Node) -> None:
    """Refuse a document whose aliases repeat more than MAX_ALIAS_NODES nodes.

    The composed document is a graph in which an alias is the anchored node itself; its
    size written out is counted per node once (linear in the file), before anything walks
    it.  ``<<`` merges count the same way: merging is copying the aliased mapping."""
    written: dict[int, int] = {}  # id(node) -> nodes it stands for written out
    distinct: set[int] = set()
    limit = MAX_ALIAS_NODES
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            total = 1 + sum(written.get(id(child), 0) for child in _node_children(node))
            written[key] = total
            if total - len(distinct) > limit:
                raise AliasExpansionError(node.start_mark)
            continue
        if key in written or key in on_path:  # shared (counted) or recursive (PyYAML's error)
            continue
        distinct.add(key)
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _node_children(node))
    if written.get(id(root), 0) - len(distinct) > limit:
        raise AliasExpansionError(root.start_mark)


def _node_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for ``json.loads``: the object, refusing a key given twice."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateJSONKeyError(key)
            seen.add(key)
    return result


def duplicate_key_error(
    error: DuplicateKeyError | DuplicateJSONKeyError,
    file: str | None,
    text: str | None = None,
    *,
    first_line: int | None = None,
) -> InputFileError:
    """The error for a key given twice, at the second place and naming the first.

    A JSON refusal carries no places: they are found by reading ``text`` (the JSON) again
    with :class:`UniqueKeyLoader`.  ``first_line`` is the line ``text`` starts on in
    ``file`` when it is one line of it (a JSON Lines row)."""
    marks: tuple[yaml.Mark, yaml.Mark] | None = None
    if isinstance(error, DuplicateKeyError):
        marks = error.first, error.second
    elif text is not None:
        marks = _json_marks(text, error.key)
    if marks is None:
        return InputFileError(
            f"duplicate key '{error.key}' in one mapping",
            location=Location(file=file, line=first_line),
            hint=_HINT,
        )
    first, second = ((m.line + (first_line or 1), m.column + 1) for m in marks)
    where = f"{file}:" if file else "line "
    return InputFileError(
        f"duplicate key '{error.key}' (first at {where}{first[0]}:{first[1]})",
        location=Location(file=file, line=second[0], column=second[1]),
        hint=_HINT,
    )


def _json_marks(text: str, key: str) -> tuple[yaml.Mark, yaml.Mark] | None:
    """Where ``key`` stands twice in a JSON text: the text read as YAML (a tab, JSON
    whitespace, becomes a space of the same width, as YAML wants)."""
    if len(text) > MAX_LOCATED_CHARS:
        return None
    try:
        yaml.load(text.replace("\t", " "), Loader=UniqueKeyLoader)  # a SafeLoader subclass
    except DuplicateKeyError as found:
        if found.key == key:
            return found.first, found.second
    except (yaml.YAMLError, ValueError, RecursionError):
        pass
    return None
