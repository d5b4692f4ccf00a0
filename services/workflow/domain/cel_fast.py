"""A fast path for the common subset of CEL: the expression compiled once to Python.

The `cel` interpreter converts the activation on every evaluation from a dict (about
60 µs for a rule's facts) or once into a `cel.Context` (about 55 µs, then 1-2 µs per
evaluation); the rules engine evaluates many conditions per item. `compile_fast` parses a
CEL expression with a small recursive-descent parser (the CEL spec grammar) and
generates one Python function over a plain activation of JSON-like values (dict, list,
str, int, float, bool, None; what `conditions.celify` gives), compiled once and cached.

Exactness: whenever the generated function returns, the value is exactly the one the
interpreter gives for the same expression and data (types included: bool is not int,
int is not float). Whenever it is not sure (a type mix, an error, an int outside int64,
a value that is not JSON-like) it raises `Fallback` and the caller evaluates with the
interpreter, which then gives its own answer or error. The checks below follow what the
interpreter was observed to do:

- `< <= > >=` only between two ints, two floats (neither NaN), two strings, two bools,
  or an int and a float when the int is within 2**53 (exact however it is converted);
  `== !=` likewise, plus lists and maps element-wise and null against anything (false,
  as the interpreter says); anything else falls back.
- `+ - * /` on int (int64, overflow falls back; `/` and `%` truncate toward zero, a zero
  divisor falls back), on float (`%` on floats is an error in CEL: falls back), `+` on
  strings and lists.
- `&&` and `||` are commutative with errors as in CEL: an absorbing operand (false for
  `&&`, true for `||`) wins over an error on the other side.
- `exists`, `all` run over a list in order and stop at the first deciding element, like
  the interpreter; an element that errs before that falls back. Over a map (its keys)
  every key is evaluated and any error falls back (the interpreter's order is not
  known). `map` and `filter` over maps fall back for the same reason.
- `size` of a string only for ASCII (the interpreter counts UTF-8 bytes).
- `int`, `double`, `string` only for the argument kinds checked against the
  interpreter (see `_int`, `_double`, `_string_of`).

The activation must be plain JSON-like data throughout (as `celify` makes it): the
interpreter converts the whole activation first and refuses, say, an arbitrary object
in a variable the expression never reads, which the fast path does not look at.

Not compiled (`compile_fast` returns None): uint literals, bytes, triple-quoted strings,
message construction, leading-dot names, reserved words, other functions, macros with a
non-identifier variable, anything the parser does not know.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

__all__ = ["Fallback", "compile_fast"]

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1

Node = tuple[Any, ...]
Fast = Callable[[Mapping[str, Any]], Any]


class Fallback(Exception):
    """The fast path is not sure; evaluate with the interpreter."""


class _Unsupported(Exception):
    """The source uses something the fast path does not compile."""


# --------------------------------------------------------------------------- lexer

_RESERVED = frozenset(
    {
        "as", "break", "const", "continue", "else", "for", "function", "if", "import",
        "let", "loop", "package", "namespace", "return", "var", "void", "while",
    }
)  # fmt: skip

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\n\r\f]+|//[^\n]*)
  | (?P<float>[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?
             |[0-9]+[eE][+-]?[0-9]+
             |\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<hex>0x[0-9a-fA-F]+[uU]?)
  | (?P<int>[0-9]+[uU]?)
  | (?P<string>[rR]?(?:'|"))
  | (?P<ident>[_a-zA-Z][_a-zA-Z0-9]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%<>!?:.,\[\](){}])
    """,
    re.VERBOSE,
)

_ESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    "\\": "\\", "'": "'", '"': '"', "`": "`", "?": "?",
}  # fmt: skip
_HEX = frozenset("0123456789abcdefABCDEF")


def _string(source: str, start: int) -> tuple[str, int]:
    """The string literal starting at `start` (after an optional r/R) and where it ends."""
    raw = source[start] in "rR"
    pos = start + 1 if raw else start
    quote = source[pos]
    if source.startswith(quote * 3, pos):
        raise _Unsupported("triple-quoted string")
    pos += 1
    out: list[str] = []
    while True:
        if pos >= len(source):
            raise _Unsupported("unterminated string")
        char = source[pos]
        if char == quote:
            return "".join(out), pos + 1
        if char in "\n\r":
            raise _Unsupported("newline in string")
        if char != "\\" or raw:
            out.append(char)
            pos += 1
            continue
        escape = source[pos + 1 : pos + 2]
        if escape in _ESCAPES:
            out.append(_ESCAPES[escape])
            pos += 2
        elif escape in ("x", "X", "u", "U"):
            width = {"x": 2, "X": 2, "u": 4, "U": 8}[escape]
            digits = source[pos + 2 : pos + 2 + width]
            if len(digits) != width or not set(digits) <= _HEX:
                raise _Unsupported("bad escape")
            code = int(digits, 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise _Unsupported("bad code point")
            out.append(chr(code))
            pos += 2 + width
        elif escape and escape in "0123":
            digits = source[pos + 1 : pos + 4]
            if len(digits) != 3 or not set(digits) <= set("01234567"):
                raise _Unsupported("bad octal escape")
            out.append(chr(int(digits, 8)))
            pos += 4
        else:
            raise _Unsupported("bad escape")


def _tokens(source: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(source):
        found = _TOKEN.match(source, pos)
        if found is None:
            raise _Unsupported(f"unexpected {source[pos]!r}")
        kind = found.lastgroup
        text = found.group()
        if kind == "string":
            value, pos = _string(source, pos)
            tokens.append(("lit", value))
            continue
        pos = found.end()
        if kind == "ws":
            continue
        if kind == "ident" and pos < len(source) and source[pos] in "'\"":
            raise _Unsupported("bytes or other prefixed literal")
        if kind in ("int", "hex"):
            if text[-1] in "uU":
                raise _Unsupported("uint literal")
            tokens.append(("int", int(text, 16 if kind == "hex" else 10)))
        elif kind == "float":
            if not math.isfinite(float(text)):
                raise _Unsupported("double literal out of range")  # CEL refuses it
            tokens.append(("lit", float(text)))
        elif kind == "ident":
            if text in _RESERVED:
                raise _Unsupported(f"reserved word {text}")
            if text in ("true", "false", "null"):
                tokens.append(("lit", {"true": True, "false": False, "null": None}[text]))
            elif text == "in":
                tokens.append(("op", "in"))
            else:
                tokens.append(("ident", text))
        else:
            tokens.append(("op", text))
    tokens.append(("end", None))
    return tokens


# --------------------------------------------------------------------------- parser


class _Parser:
    """Recursive descent over the CEL grammar; builds tuples ("kind", ...)."""

    def __init__(self, source: str) -> None:
        self.tokens = _tokens(source)
        self.pos = 0
        self.depth = 0

    def peek(self) -> tuple[str, Any]:
        return self.tokens[self.pos]

    def take(self, op: str) -> bool:
        if self.tokens[self.pos] == ("op", op):
            self.pos += 1
            return True
        return False

    def expect(self, op: str) -> None:
        if not self.take(op):
            raise _Unsupported(f"expected {op!r}")

    def parse(self) -> Node:
        node = self.expr()
        if self.peek()[0] != "end":
            raise _Unsupported("trailing input")
        return node

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > 100:
            raise _Unsupported("too deep")
        node = self.disjunction()
        if self.take("?"):
            then = self.disjunction()
            self.expect(":")
            node = ("cond", node, then, self.expr())
        self.depth -= 1
        return node

    def disjunction(self) -> Node:
        node = self.conjunction()
        while self.take("||"):
            node = ("or", node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.relation()
        while self.take("&&"):
            node = ("and", node, self.relation())
        return node

    def relation(self) -> Node:
        node = self.addition()
        while True:
            kind, value = self.peek()
            if kind == "op" and value in ("<", "<=", ">", ">=", "==", "!=", "in"):
                self.pos += 1
                node = ("binary", value, node, self.addition())
            else:
                return node

    def addition(self) -> Node:
        node = self.multiplication()
        while True:
            kind, value = self.peek()
            if kind == "op" and value in ("+", "-"):
                self.pos += 1
                node = ("binary", value, node, self.multiplication())
            else:
                return node

    def multiplication(self) -> Node:
        node = self.unary()
        while True:
            kind, value = self.peek()
            if kind == "op" and value in ("*", "/", "%"):
                self.pos += 1
                node = ("binary", value, node, self.unary())
            else:
                return node

    def unary(self) -> Node:
        kind, value = self.peek()
        if kind == "op" and value in ("!", "-"):
            count = 0
            while self.take(value):
                count += 1
            if value == "-" and count == 1 and self.peek() == ("int", 2**63):
                # The one literal only valid negated: -9223372036854775808.
                self.pos += 1
                node: Node = self.member_suffix(("lit", INT_MIN))
                count -= 1
            else:
                node = self.member()
            for _ in range(count):
                node = ("unary", value, node)
            return node
        return self.member()

    def member(self) -> Node:
        return self.member_suffix(self.primary())

    def member_suffix(self, node: Node) -> Node:
        while True:
            if self.take("."):
                kind, name = self.peek()
                if kind != "ident":
                    raise _Unsupported("expected a field name")
                self.pos += 1
                if self.take("("):
                    node = ("call", name, node, self.arguments(")"))
                else:
                    node = ("select", node, name)
            elif self.take("["):
                index = self.expr()
                self.expect("]")
                node = ("index", node, index)
            elif self.peek() == ("op", "{"):
                raise _Unsupported("message construction")
            else:
                return node

    def arguments(self, close: str) -> list[Node]:
        args: list[Node] = []
        if self.take(close):
            return args
        while True:
            args.append(self.expr())
            if self.take(close):
                return args
            self.expect(",")
            if close == "]" and self.take(close):  # a trailing comma in a list
                return args

    def primary(self) -> Node:
        kind, value = self.peek()
        self.pos += 1
        if kind == "lit":
            return ("lit", value)
        if kind == "int":
            if value > INT_MAX:
                raise _Unsupported("int literal out of range")
            return ("lit", value)
        if kind == "ident":
            if self.take("("):
                return ("call", value, None, self.arguments(")"))
            return ("ident", value)
        if kind == "op":
            following = self.peek()
            if value == "-" and (following[0] == "int" or type(following[1]) is float):
                # A signed number literal, as after `!` in `!-1`.
                self.pos += 1
                if following[1] == 2**63:
                    return ("lit", INT_MIN)
                if following[1] > INT_MAX:
                    raise _Unsupported("int literal out of range")
                return ("lit", -following[1])
            if value == "(":
                node = self.expr()
                self.expect(")")
                return node
            if value == "[":
                return ("list", self.arguments("]"))
            if value == "{":
                return ("map", self.map_entries())
        raise _Unsupported(f"unexpected {value!r}")

    def map_entries(self) -> list[tuple[Node, Node]]:
        entries: list[tuple[Node, Node]] = []
        if self.take("}"):
            return entries
        while True:
            key = self.expr()
            self.expect(":")
            entries.append((key, self.expr()))
            if self.take("}"):
                return entries
            self.expect(",")
            if self.take("}"):
                return entries


# --------------------------------------------------------------------------- runtime


def _in_range(value: int) -> bool:
    return INT_MIN <= value <= INT_MAX


def _truth(value: Any) -> bool:
    if value is True or value is False:
        return value
    raise Fallback


def _junction(absorbing: bool, left: Callable[[], Any], right: Callable[[], Any]) -> bool:
    """`&&` (`absorbing` False) or `||` (True), commutative with errors as in CEL: an
    operand equal to `absorbing` decides whatever the other gives; two booleans that are
    not decide the other way; anything else falls back."""
    a: object
    b: object
    try:
        a = left()
    except Exception:
        a = None
    if a is absorbing:
        return absorbing
    try:
        b = right()
    except Exception:
        b = None
    if b is absorbing:
        return absorbing
    if a is (not absorbing) and b is (not absorbing):
        return not absorbing
    raise Fallback


def _not(value: Any) -> bool:
    if value is True:
        return False
    if value is False:
        return True
    raise Fallback


def _neg(value: Any) -> Any:
    kind = type(value)
    if kind is int and INT_MIN < value <= INT_MAX:
        return -value
    if kind is float:
        return -value
    raise Fallback


_EXACT = 2**53  # an int no larger compares with a double the same way however converted


def _ordered(a: Any, b: Any) -> bool:
    """Whether `a` and `b` compare (< <= > >=) the same way in Python and CEL."""
    kind = type(a)
    other = type(b)
    result: bool
    if kind is not other:
        if kind is int and other is float:
            result = -_EXACT <= a <= _EXACT and b == b
        elif kind is float and other is int:
            result = -_EXACT <= b <= _EXACT and a == a
        else:
            result = False
    elif kind is int:
        result = INT_MIN <= a <= INT_MAX and INT_MIN <= b <= INT_MAX
    elif kind is float:
        result = a == a and b == b  # NaN does not compare in CEL
    else:
        result = kind is str or kind is bool
    return result


def _lt(a: Any, b: Any) -> bool:
    if _ordered(a, b):
        return bool(a < b)
    raise Fallback


def _le(a: Any, b: Any) -> bool:
    if _ordered(a, b):
        return bool(a <= b)
    raise Fallback


def _gt(a: Any, b: Any) -> bool:
    if _ordered(a, b):
        return bool(a > b)
    raise Fallback


def _ge(a: Any, b: Any) -> bool:
    if _ordered(a, b):
        return bool(a >= b)
    raise Fallback


_JSON_KINDS = frozenset({bool, int, float, str, list, dict})


def _eq(a: Any, b: Any) -> bool:
    kind = type(a)
    if kind is type(b):
        if kind is str or kind is float or kind is bool:
            return bool(a == b)
        if kind is int:
            if INT_MIN <= a <= INT_MAX and INT_MIN <= b <= INT_MAX:
                return bool(a == b)
            raise Fallback
        if a is None:
            return True
        if kind is list:
            if len(a) != len(b):
                return False
            return all(_eq(x, y) for x, y in zip(a, b, strict=True))
        if kind is dict:
            for key in a:
                if type(key) is not str:
                    raise Fallback
            for key in b:
                if type(key) is not str:
                    raise Fallback
            if a.keys() != b.keys():
                return False
            return all(_eq(x, b[key]) for key, x in a.items())
    elif (a is None and type(b) in _JSON_KINDS) or (b is None and kind in _JSON_KINDS):
        return False
    elif (kind is int and type(b) is float and -_EXACT <= a <= _EXACT) or (
        kind is float and type(b) is int and -_EXACT <= b <= _EXACT
    ):
        return bool(a == b)
    raise Fallback


def _ne(a: Any, b: Any) -> bool:
    return not _eq(a, b)


def _in(item: Any, container: Any) -> bool:
    kind = type(container)
    if kind is list:
        return any(_eq(item, element) for element in container)
    if kind is dict and type(item) is str:
        return item in container
    raise Fallback


def _int_result(value: int) -> int:
    if INT_MIN <= value <= INT_MAX:
        return value
    raise Fallback


def _add(a: Any, b: Any) -> Any:
    kind = type(a)
    if kind is type(b):
        if kind is int:
            if _in_range(a) and _in_range(b):
                return _int_result(a + b)
        elif kind is float or kind is str or kind is list:
            return a + b
    raise Fallback


def _sub(a: Any, b: Any) -> Any:
    kind = type(a)
    if kind is type(b):
        if kind is int:
            if _in_range(a) and _in_range(b):
                return _int_result(a - b)
        elif kind is float:
            return a - b
    raise Fallback


def _mul(a: Any, b: Any) -> Any:
    kind = type(a)
    if kind is type(b):
        if kind is int:
            if _in_range(a) and _in_range(b):
                return _int_result(a * b)
        elif kind is float:
            return a * b
    raise Fallback


def _div(a: Any, b: Any) -> Any:
    kind = type(a)
    if kind is type(b):
        if kind is int:
            if _in_range(a) and _in_range(b) and b != 0:
                quotient = abs(a) // abs(b)
                return _int_result(-quotient if (a < 0) != (b < 0) else quotient)
        elif kind is float and b != 0.0:
            return a / b
    raise Fallback


def _mod(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int and _in_range(a) and _in_range(b) and b != 0:
        if a == INT_MIN and b == -1:
            raise Fallback
        remainder = abs(a) % abs(b)
        return -remainder if a < 0 else remainder
    raise Fallback


def _index(container: Any, key: Any) -> Any:
    kind = type(container)
    if kind is list:
        if type(key) is int and 0 <= key < len(container):
            return container[key]
    elif kind is dict and type(key) is str and key in container:
        return container[key]
    raise Fallback


def _has(container: Any, name: str) -> bool:
    if type(container) is dict:
        return name in container
    raise Fallback


def _size(value: Any) -> int:
    kind = type(value)
    if kind is list or kind is dict or (kind is str and value.isascii()):
        return len(value)
    raise Fallback


def _str_pair(a: Any, b: Any) -> None:
    if type(a) is not str or type(b) is not str:
        raise Fallback


def _contains(a: Any, b: Any) -> bool:
    _str_pair(a, b)
    return b in a


def _starts_with(a: Any, b: Any) -> bool:
    _str_pair(a, b)
    return bool(a.startswith(b))


def _ends_with(a: Any, b: Any) -> bool:
    _str_pair(a, b)
    return bool(a.endswith(b))


_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_DOUBLE_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _int(value: Any) -> int:
    kind = type(value)
    if kind is int:
        return _int_result(value)
    if kind is float and math.isfinite(value) and -(2.0**63) < value < 2.0**63:
        return int(value)
    if kind is str and _INT_TEXT.fullmatch(value):
        return _int_result(int(value))
    raise Fallback


def _double(value: Any) -> float:
    kind = type(value)
    if kind is float:
        same: float = value
        return same
    if kind is int and _in_range(value):
        return float(value)
    if kind is str and _DOUBLE_TEXT.fullmatch(value):
        return float(value)
    raise Fallback


def _string_of(value: Any) -> str:
    kind = type(value)
    if kind is str:
        same: str = value
        return same
    if kind is int and _in_range(value):
        return str(value)
    if kind is float and math.isfinite(value):
        # The interpreter prints the shortest round-trip digits without an exponent.
        text = format(Decimal(repr(value)), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    raise Fallback


def _items(receiver: Any) -> list[Any]:
    """The elements a macro runs over; a map gives its keys (order unknown)."""
    kind = type(receiver)
    if kind is list:
        elements: list[Any] = receiver
        return elements
    if kind is dict:
        return list(receiver)
    raise Fallback


def _exists(receiver: Any, predicate: Callable[[Any], Any]) -> bool:
    if type(receiver) is list:  # in order, stopping at the first true, like CEL
        return any(_truth(predicate(element)) for element in receiver)
    found = False
    for element in _items(receiver):
        found = _truth(predicate(element)) or found
    return found


def _all(receiver: Any, predicate: Callable[[Any], Any]) -> bool:
    if type(receiver) is list:
        return all(_truth(predicate(element)) for element in receiver)
    every = True
    for element in _items(receiver):
        every = _truth(predicate(element)) and every
    return every


def _exists_one(receiver: Any, predicate: Callable[[Any], Any]) -> bool:
    count = 0
    for element in _items(receiver):
        if _truth(predicate(element)):
            count += 1
    return count == 1


def _list_only(receiver: Any) -> list[Any]:
    if type(receiver) is list:
        return receiver
    raise Fallback  # over a map the interpreter's order is not known


def _map(receiver: Any, transform: Callable[[Any], Any]) -> list[Any]:
    return [transform(element) for element in _list_only(receiver)]


def _map_filtered(
    receiver: Any, predicate: Callable[[Any], Any], transform: Callable[[Any], Any]
) -> list[Any]:
    return [transform(e) for e in _list_only(receiver) if _truth(predicate(e))]


def _filter(receiver: Any, predicate: Callable[[Any], Any]) -> list[Any]:
    return [element for element in _list_only(receiver) if _truth(predicate(element))]


def _map_literal(*pairs: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for i in range(0, len(pairs), 2):
        if type(pairs[i]) is not str:
            raise Fallback
        result[pairs[i]] = pairs[i + 1]
    return result


def _out(value: Any) -> Any:
    """The result as the interpreter gives it, or Fallback (ints beyond int64 become
    uint or double there; tuples become lists; other objects are converted)."""
    kind = type(value)
    if kind is bool or kind is str or kind is float or value is None:
        return value
    if kind is int:
        return _int_result(value)
    if kind is list:
        for element in value:
            _out(element)
        return value
    if kind is dict:
        for key, element in value.items():
            if type(key) is not str:
                raise Fallback
            _out(element)
        return value
    raise Fallback


_RUNTIME: dict[str, Any] = {
    "_truth": _truth, "_junction": _junction, "_not": _not, "_neg": _neg,
    "_lt": _lt, "_le": _le, "_gt": _gt, "_ge": _ge, "_eq": _eq, "_ne": _ne, "_in": _in,
    "_add": _add, "_sub": _sub, "_mul": _mul, "_div": _div, "_mod": _mod,
    "_index": _index, "_has": _has, "_size": _size, "_contains": _contains,
    "_starts_with": _starts_with, "_ends_with": _ends_with, "_int": _int,
    "_double": _double, "_string_of": _string_of, "_exists": _exists, "_all": _all,
    "_exists_one": _exists_one, "_map": _map, "_map_filtered": _map_filtered,
    "_filter": _filter, "_map_literal": _map_literal, "_out": _out, "Fallback": Fallback,
    "Exception": Exception,
}  # fmt: skip

_BINARY = {
    "<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge", "==": "_eq", "!=": "_ne", "in": "_in",
    "+": "_add", "-": "_sub", "*": "_mul", "/": "_div", "%": "_mod",
}  # fmt: skip
_GLOBAL_FUNCTIONS = {"size": "_size", "int": "_int", "double": "_double", "string": "_string_of"}
_METHODS = {
    "size": ("_size", 0),
    "contains": ("_contains", 1),
    "startsWith": ("_starts_with", 1),
    "endsWith": ("_ends_with", 1),
}
_MACROS = {"exists": "_exists", "all": "_all", "exists_one": "_exists_one", "filter": "_filter"}


# --------------------------------------------------------------------------- codegen


class _Generator:
    """Python source for an AST; CEL iteration variables become lambda parameters."""

    def __init__(self) -> None:
        self.constants: dict[str, Any] = {}
        self.counter = 0

    def literal(self, value: Any) -> str:
        if value is None or isinstance(value, (bool, int, str)):
            return repr(value)
        if isinstance(value, float) and math.isfinite(value):
            return repr(value)
        name = f"_k{len(self.constants)}"
        self.constants[name] = value
        return name

    def fresh(self) -> str:
        self.counter += 1
        return f"_v{self.counter}"

    def gen(self, node: Node, scope: dict[str, str]) -> str:
        kind = node[0]
        if kind == "lit":
            return self.literal(node[1])
        if kind == "ident":
            return scope.get(node[1]) or f"act[{node[1]!r}]"
        if kind == "select":
            if node[1][0] in ("lit", "list", "map"):  # Python would warn on `1['x']`
                return f"_index({self.gen(node[1], scope)}, {node[2]!r})"
            # Only a dict subscripts with a string; anything else raises -> Fallback.
            return f"{self.gen(node[1], scope)}[{node[2]!r}]"
        if kind == "index":
            return f"_index({self.gen(node[1], scope)}, {self.gen(node[2], scope)})"
        if kind == "list":
            return "[" + "".join(f"{self.gen(item, scope)}, " for item in node[1]) + "]"
        if kind == "map":
            parts = [f"{self.gen(k, scope)}, {self.gen(v, scope)}" for k, v in node[1]]
            return f"_map_literal({', '.join(parts)})"
        if kind == "unary":
            function = "_not" if node[1] == "!" else "_neg"
            return f"{function}({self.gen(node[2], scope)})"
        if kind == "binary":
            left, right = self.gen(node[2], scope), self.gen(node[3], scope)
            return f"{_BINARY[node[1]]}({left}, {right})"
        if kind in ("and", "or"):
            left, right = self.gen(node[1], scope), self.gen(node[2], scope)
            return f"_junction({kind == 'or'}, lambda: {left}, lambda: {right})"
        if kind == "cond":
            test = self.gen(node[1], scope)
            then, otherwise = self.gen(node[2], scope), self.gen(node[3], scope)
            return f"({then} if _truth({test}) else {otherwise})"
        if kind == "call":
            return self.call(node[1], node[2], node[3], scope)
        raise _Unsupported(kind)

    def call(self, name: str, target: Node | None, args: list[Node], scope: dict[str, str]) -> str:
        if target is None:
            if name == "has":
                if len(args) != 1 or args[0][0] != "select":
                    raise _Unsupported("has() needs a field selection")
                return f"_has({self.gen(args[0][1], scope)}, {args[0][2]!r})"
            if name in _GLOBAL_FUNCTIONS and len(args) == 1:
                return f"{_GLOBAL_FUNCTIONS[name]}({self.gen(args[0], scope)})"
            raise _Unsupported(f"function {name}")  # contains() & co. are methods only
        receiver = self.gen(target, scope)
        if name in _METHODS and len(args) == _METHODS[name][1]:
            rest = "".join(f", {self.gen(a, scope)}" for a in args)
            return f"{_METHODS[name][0]}({receiver}{rest})"
        if name in _MACROS or name == "map":
            if len(args) not in (2, 3) or args[0][0] != "ident":
                raise _Unsupported(f"macro {name}")
            if len(args) == 3 and name != "map":
                raise _Unsupported(f"macro {name}")
            variable = self.fresh()
            inner = {**scope, args[0][1]: variable}
            bodies = [f"lambda {variable}: {self.gen(a, inner)}" for a in args[1:]]
            function = _MACROS.get(name) or ("_map" if len(args) == 2 else "_map_filtered")
            return f"{function}({receiver}, {', '.join(bodies)})"
        raise _Unsupported(f"method {name}")


def _build(source: str) -> Fast:
    generator = _Generator()
    body = generator.gen(_Parser(source).parse(), {})
    code = (
        "def _fast(act):\n"
        "    try:\n"
        f"        return _out({body})\n"
        "    except Fallback:\n"
        "        raise\n"
        "    except Exception:\n"
        "        raise Fallback from None\n"
    )
    namespace: dict[str, Any] = {"__builtins__": {}, **_RUNTIME, **generator.constants}
    exec(compile(code, "<cel_fast>", "exec"), namespace)  # generated from our own AST
    function: Fast = namespace["_fast"]
    return function


@lru_cache(maxsize=4096)
def compile_fast(source: str) -> Fast | None:
    """A Python function computing the CEL expression on a plain activation, raising
    `Fallback` when the interpreter must decide; None when the expression is outside
    the compiled subset."""
    try:
        return _build(source)
    except (_Unsupported, RecursionError, SyntaxError, MemoryError, ValueError):
        return None
