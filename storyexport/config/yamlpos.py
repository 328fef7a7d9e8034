"""Safe YAML loading that remembers where every value came from, so errors can name file:line:col.

PyYAML's SafeLoader builds plain Python data and forgets positions; here we compose the node tree once, construct
the data with the same safe constructors, and walk the tree to map each JSON path to its 1-based (line, column).
Duplicate mapping keys, which PyYAML silently collapses, are reported as problems.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from storyexport.config.problems import Problem

JsonPath = tuple[str | int, ...]

# libyaml's parser when PyYAML was built with it: the same safe constructors, several times faster.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
# Aliases may expand a document to at most this many values plus this many times the values it is written with:
# far above any real file (merge keys sharing defaults among thousands of stories), far below a "billion laughs"
# bomb, which every later step (positions, schema checks) would otherwise walk value by value.
MAX_EXPANDED_FLOOR = 100_000
MAX_EXPANSION_RATIO = 10
MAX_INT_DIGITS = 4_000  # below the 4,300 digits Python converts to int
_INT_TAG = "tag:yaml.org,2002:int"
_LONG_DIGITS = re.compile(rf"[0-9_]{{{MAX_INT_DIGITS + 1}}}")


class Position(NamedTuple):
    """A 1-based place in a file, as editors and ``file:line:col`` messages count."""

    line: int
    col: int


@dataclass
class LoadedYaml:
    path: Path
    data: Any
    positions: dict[JsonPath, Position] = field(default_factory=dict)
    key_positions: dict[JsonPath, Position] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def where(self, path: JsonPath, key: bool = False) -> Position:
        """Closest known position of ``path`` (walking up to a parent if needed)."""
        table = self.key_positions if key else self.positions
        while path:
            if path in table:
                return table[path]
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), Position(1, 1))

    def problem(self, path: JsonPath, message: str, key: bool = False) -> Problem:
        at = self.where(path, key=key)
        return Problem(str(self.path), at.line, at.col, message, json_path_str(path))


def json_path_str(path: JsonPath) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _position(mark: yaml.Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)  # PyYAML counts from 0


def _walk(node: yaml.Node, path: JsonPath, loaded: LoadedYaml) -> None:
    loaded.positions[path] = _position(node.start_mark)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            loaded.key_positions[child] = _position(key_node.start_mark)
            _walk(value_node, child, loaded)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), loaded)


def _duplicate_keys(root: yaml.Node, loaded: LoadedYaml) -> None:
    """Report keys written twice in one mapping. Runs on the composed tree, before construction folds merge keys
    (``<<: *defaults``) into the mappings: a key that overrides a merged one is no duplicate. Each node is
    visited once, however often an alias repeats it."""
    if not isinstance(root, yaml.CollectionNode):
        return
    seen_nodes: set[int] = set()
    pending: list[tuple[yaml.Node, JsonPath]] = [(root, ())]
    while pending:
        node, path = pending.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            pending.extend((item, (*path, index)) for index, item in enumerate(node.value)
                           if isinstance(item, yaml.CollectionNode))
            continue
        first: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if isinstance(value_node, yaml.CollectionNode):
                pending.append((value_node, (*path, key_node.value)))
            if key_node.tag == _MERGE_TAG:
                continue
            earlier = first.setdefault(key_node.value, key_node)
            if earlier is not key_node:
                loaded.problems.append(Problem(
                    str(loaded.path), key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                    f"duplicate key '{key_node.value}' (first defined on line {earlier.start_mark.line + 1})",
                    json_path_str((*path, key_node.value))))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _graph_problem(path: Path, text: str, node: yaml.Node) -> Problem | None:
    """A problem the composed document would cause once constructed: a whole number too long to convert, an alias
    inside its own anchor, or aliases that expand it far beyond its written size. Files without the telltale text
    (a run of thousands of digits, an anchor) skip the walk, so ordinary manifests pay nothing."""
    if _LONG_DIGITS.search(text):
        problem = _long_number_problem(path, node)
        if problem is not None:
            return problem
    return _expansion_problem(path, node) if "&" in text else None  # no anchor, no alias


def _long_number_problem(path: Path, root: yaml.Node) -> Problem | None:
    """Python refuses to convert an integer of over 4,300 digits, and would raise, unpositioned, in construction."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag == _INT_TAG and len(node.value) > MAX_INT_DIGITS:
            return _problem_at(path, node, f"number with {len(node.value):,} digits is too long "
                                           f"(at most {MAX_INT_DIGITS:,})")
        stack.extend(_children(node))
    return None


def _expansion_problem(path: Path, root: yaml.Node) -> Problem | None:
    """Aliases that expand the document far beyond the values it is written with, or refer to a value containing
    themselves. Found on the composed graph, where an alias is one shared node, so nothing is expanded: each
    collection is visited once, without recursion, its expanded size summed from its children's (a scalar counts
    one). The problem points at the first collection whose expansion passes the limit (a bomb's inner level)."""
    sizes: dict[int, int] = {}
    finished: list[yaml.Node] = []
    ancestors: set[int] = set()
    written = 1
    stack = [root]
    while stack:
        node = stack[-1]
        key = id(node)
        if key in sizes or isinstance(node, yaml.ScalarNode):
            stack.pop()
            continue
        children = _children(node)
        if key not in ancestors:
            ancestors.add(key)
            written += len(children)
            pending = [c for c in children if not isinstance(c, yaml.ScalarNode) and id(c) not in sizes]
            looped = next((c for c in pending if id(c) in ancestors), None)
            if looped is not None:
                return _problem_at(path, looped, "YAML alias refers to a value that contains the alias itself")
            if pending:
                stack.extend(pending)
                continue
        stack.pop()
        ancestors.discard(key)
        sizes[key] = 1 + sum(1 if isinstance(c, yaml.ScalarNode) else sizes[id(c)] for c in children)
        finished.append(node)
    limit = MAX_EXPANDED_FLOOR + MAX_EXPANSION_RATIO * written
    culprit = next((n for n in finished if sizes[id(n)] > limit), None)
    if culprit is None:
        return None
    return _problem_at(path, culprit, f"YAML aliases expand this value to {sizes[id(culprit)]:,} values, more than "
                                      f"the {limit:,} allowed for this file (an alias bomb?)")


def _problem_at(path: Path, node: yaml.Node, message: str) -> Problem:
    return Problem(str(path), node.start_mark.line + 1, node.start_mark.column + 1, message)


def load_yaml(path: Path, text: str | None = None) -> LoadedYaml:
    """Load one YAML document safely. Syntax errors become a problem with their position, never an exception."""
    loaded = LoadedYaml(path=path, data=None)
    try:
        if text is None:
            text = path.read_text(encoding="utf-8")
    except OSError as exc:
        loaded.problems.append(Problem(str(path), 1, 1, f"cannot read file: {exc.strerror or exc}"))
        return loaded
    except UnicodeDecodeError as exc:
        loaded.problems.append(Problem(str(path), 1, 1, f"not UTF-8 text: {exc.reason}"))
        return loaded
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            loaded.problems.append(Problem(str(path), 1, 1, "file is empty"))
            return loaded
        problem = _graph_problem(path, text, node)
        if problem is not None:
            loaded.problems.append(problem)
            return loaded
        _duplicate_keys(node, loaded)
        loaded.data = loader.construct_document(node)
        _walk(node, (), loaded)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        if exc.context_mark and mark is not exc.context_mark:
            reason += f" (started on line {exc.context_mark.line + 1})"
        loaded.problems.append(Problem(str(path), line, col, f"YAML syntax error: {reason}"))
    except yaml.YAMLError as exc:
        loaded.problems.append(Problem(str(path), 1, 1, f"YAML error: {exc}"))
    finally:
        loader.dispose()
    return loaded
