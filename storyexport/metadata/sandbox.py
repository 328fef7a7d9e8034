"""A Jinja2 sandbox with bounded time and memory: rules files are data anyone may add, and one template such as
``{{ 'x' * 10**9 }}`` or two nested loops over ``range(100000)`` must not exhaust memory or hang a build.

Jinja's own sandbox blocks Python internals but not cost. Here each costly operation is checked before it runs:
``*``, ``**``, ``+`` and ``%`` (``intercepted_binops``, which also stops Jinja folding them at compile time), the
``~`` concatenation, the filters and methods that size their result from an argument, ``range`` and joins. Every
loop step, call and operator also checks the render's deadline and, every few hundred loop steps, how much the
process grew; the output as a whole is capped. A breach raises ``TemplateLimitError`` naming the limit.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeGuard, TypeVar

from jinja2 import nodes, pass_eval_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.filters import do_join
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_TEXT = 100_000  # characters of any string or output, items of any list a template builds
MAX_INT_BITS = 1_024  # about 308 decimal digits
MAX_RANGE = 10_000
MAX_RENDER_SECONDS = 2.0
MAX_GROWTH_BYTES = 64 * 1024 * 1024
_MEMORY_CHECK_EVERY = 256
_LOOP_FILTER = "_bounded_loop"
_NUMBERS_IN_FORMAT = re.compile(r"\d+")
_STAR_WIDTH = re.compile(r"%[-#0 +]*\*|%[-#0 +]*\d*\.\*")
# Filters whose keyword or positional argument (after the value) sets the size of what they build.
_SIZING_FILTERS = ("center", "indent", "wordwrap", "batch", "slice")
_SIZING_METHODS = ("ljust", "rjust", "center", "zfill", "expandtabs", "format", "format_map", "replace", "join")


class TemplateLimitError(RuntimeError):
    """A template went past one of the sandbox's limits of size or time."""


@dataclass
class _Budget:
    seconds: float
    deadline: float
    start_bytes: int | None = None  # measured at the first memory check: most renders never get there
    steps: int = 0


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("template_budget", default=None)


def _resident_bytes() -> int:
    """The process's resident memory now (Linux), or its peak where /proc is missing."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        try:
            import resource
        except ImportError:  # Windows: no memory check, the size and time bounds still hold
            return 0
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


@contextlib.contextmanager
def limits(seconds: float = MAX_RENDER_SECONDS) -> Iterator[None]:
    """Bound the templates rendered inside: a deadline ``seconds`` from now and a cap on memory growth."""
    token = _budget.set(_Budget(seconds, time.monotonic() + seconds))
    try:
        yield
    finally:
        _budget.reset(token)


def _tick(loop_step: bool = False) -> None:
    budget = _budget.get()
    if budget is None:
        return
    if time.monotonic() > budget.deadline:
        raise TemplateLimitError(f"rendering took longer than {budget.seconds:g} s")
    if loop_step:
        budget.steps += 1
        if budget.steps % _MEMORY_CHECK_EVERY == 0:
            _check_growth(budget)


def _check_growth(budget: _Budget) -> None:
    now = _resident_bytes()
    if budget.start_bytes is None:
        budget.start_bytes = now
    elif now - budget.start_bytes > MAX_GROWTH_BYTES:
        raise TemplateLimitError(f"rendering used more than {MAX_GROWTH_BYTES // 2**20} MB")


def _size(value: object) -> int:
    """Characters of a string; items of a list plus the characters of the strings in it (a list of a thousand
    long strings is as costly to print or join as one long string). Stops counting past the cap."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, list | tuple | dict | range):
        total = 0
        for item in value:
            total += 1 + (_size(item) if isinstance(item, str | bytes | list | tuple | dict) else 0)
            if total > MAX_TEXT:
                break
        return total
    return 0


def _check_size(size: int, what: str) -> None:
    if size > MAX_TEXT:
        raise TemplateLimitError(f"{what} would hold {size:,} characters or items (at most {MAX_TEXT:,})")


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_int_bits(bits: float) -> None:
    if bits > MAX_INT_BITS:
        raise TemplateLimitError(f"a number would need about {int(bits):,} bits (at most {MAX_INT_BITS:,})")


def _check_binop(op: str, left: object, right: object) -> None:
    if op == "**" and _is_int(left) and _is_int(right) and right > 0:
        _check_int_bits(max(abs(left), 2).bit_length() * right)
    elif op == "*":
        if _is_int(left) and _is_int(right):
            _check_int_bits(abs(left).bit_length() + abs(right).bit_length())
        elif _is_int(right):
            _check_size(_size(left) * max(right, 0), "a repeated string or list")
        elif _is_int(left):
            _check_size(_size(right) * max(left, 0), "a repeated string or list")
    elif op == "+":
        _check_size(_size(left) + _size(right), "a joined string or list")
    elif op == "%" and isinstance(left, str):
        _check_format(left, right if isinstance(right, tuple) else (right,))


def _check_format(template: str, args: Iterable[object] = ()) -> None:
    """Widths and precisions in a format string (``'%9999999d'``, ``'{:>9999999}'``) size the result; so do the
    arguments a ``*`` width takes (``'%*d' % (9999999, 1)``)."""
    for number in _NUMBERS_IN_FORMAT.findall(template):
        _check_size(int(number) if len(number) < 10 else MAX_TEXT + 1, "a formatted field")
    if _STAR_WIDTH.search(template):
        _check_arguments("format", args)


def _check_repeated_layout(name: str, text: object, width: object, per: str) -> None:
    """``indent`` adds its width to every line and ``expandtabs`` its tab size for every tab."""
    text = str(text)
    size = len(width) if isinstance(width, str) else width if _is_int(width) else 0
    _check_size(len(text) + (text.count(per) + 1) * abs(size), f"{name}()")


def _check_replace(text: object, old: object = "", new: object = "", *_: object) -> None:
    text, old, new = str(text), str(old), str(new)
    occurrences = len(text) + 1 if not old else text.count(old)
    _check_size(len(text) + occurrences * len(new), "replace()")


def _check_arguments(what: str, args: Iterable[object]) -> None:
    """Whole-number arguments of a filter or method that sizes its result (a width, a count)."""
    for value in args:
        if _is_int(value):
            _check_size(abs(value), f"{what}()")


def _bounded_filter(name: str, func: Callable[..., object]) -> Callable[..., object]:
    """``func`` with the deadline checked and, for a filter that sizes its result, its arguments checked."""
    value_at = 1 if hasattr(func, "jinja_pass_arg") else 0  # a context or environment comes first

    @functools.wraps(func)
    def bounded(*args: object, **kwargs: object) -> object:
        _tick()
        if name == "format":
            _check_format(str(args[value_at]), [*args[value_at + 1:], *kwargs.values()])
        elif name == "indent":
            _check_repeated_layout(name, args[value_at], args[value_at + 1] if len(args) > value_at + 1
                                   else kwargs.get("width", 4), "\n")
        elif name == "replace":
            _check_replace(*args[value_at:value_at + 3])
        elif name in _SIZING_FILTERS:
            _check_arguments(name, [*args[value_at + 1:], *kwargs.values()])
        return func(*args, **kwargs)

    return bounded


@pass_eval_context
def _bounded_join(eval_ctx: EvalContext, value: Iterable[object], d: str = "", attribute: str | int | None = None
                  ) -> str:
    """``join`` that adds up the size of what it would build before building it."""
    items = list(value)
    size = sum(len(str(item)) for item in items) + len(str(d)) * max(len(items) - 1, 0)
    _check_size(size if attribute is None else 0, "a join")
    return do_join(eval_ctx, items, d, attribute)


_Item = TypeVar("_Item")


def _bounded_loop(iterable: Iterable[_Item]) -> Iterator[_Item]:
    for item in iterable:
        _tick(loop_step=True)
        yield item


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateLimitError(f"range of {len(numbers):,} numbers (at most {MAX_RANGE:,})")
    return numbers


def _bounded_concat(parts: Iterable[str]) -> str:
    """Join output as it is produced, stopping once it passes the cap (the whole output or a captured block)."""
    collected: list[str] = []
    total = 0
    for part in parts:
        total += len(part)
        _check_size(total, "the output")
        collected.append(part)
    return "".join(collected)


class _OutputBuffer(list[object]):
    """The buffer a macro, call block or ``{% set %}`` block collects its output in, capped as it grows."""

    size = 0

    def append(self, part: object) -> None:
        self._count(part)
        super().append(part)

    def extend(self, parts: Iterable[object]) -> None:
        for part in parts:
            self.append(part)

    def _count(self, part: object) -> None:
        self.size += len(part) if isinstance(part, str) else 0
        _check_size(self.size, "a captured block")


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` to a size-checked join (Jinja's ``~`` is not an interceptable operator) and collects
    captured output in a capped buffer."""

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.output_buffer()")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile or frame.eval_ctx.autoescape:
            super().visit_Concat(node, frame)
            return
        self.write("environment.bounded_concat((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with every costly operation bounded (see the module's docstring)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _BoundedCodeGenerator
    concat = staticmethod(_bounded_concat)

    def __init__(self, **options: Any) -> None:  # Jinja's own Environment options, passed through
        super().__init__(**options)
        self.filters = {name: _bounded_filter(name, func) for name, func in self.filters.items()}
        self.filters["join"] = _bounded_join
        self.filters[_LOOP_FILTER] = _bounded_loop
        self.globals["range"] = _bounded_range
        self.globals.pop("lipsum", None)  # builds paragraphs of filler text on request: no use in a caption

    output_buffer = _OutputBuffer

    def bounded_concat(self, parts: Iterable[object]) -> str:
        _tick()
        text = "".join(map(str, parts))
        _check_size(len(text), "a joined string")
        return text

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parse, then make every ``for`` loop iterate through ``_bounded_loop`` (one deadline check a step)."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, _LOOP_FILTER, [], [], None, None, lineno=loop.iter.lineno)
        tree.set_environment(self)
        return tree

    def call_binop(self, context: Context, op: str, left: object, right: object) -> object:
        _tick()
        _check_binop(op, left, right)
        return self.binop_table[op](left, right)

    def call(__self, __context: Context, __obj: object, *args: object, **kwargs: object) -> object:
        _tick()
        target = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
        owner, method = getattr(target, "__self__", None), getattr(target, "__name__", "")
        if isinstance(owner, str) and method in _SIZING_METHODS:
            _check_arguments(method, [*args, *kwargs.values()])
            if method.startswith("format"):
                _check_format(owner)
            elif method == "expandtabs":
                _check_repeated_layout(method, owner, args[0] if args else kwargs.get("tabsize", 8), "\t")
            elif method == "replace":
                _check_replace(owner, *args)
            elif method == "join" and args and isinstance(args[0], Iterable):
                items = list(args[0])
                args = (items, *args[1:])
                _check_size(_size(items) + len(owner) * len(items), "join()")
        return super().call(__context, __obj, *args, **kwargs)

