"""Reading YAML strictly: what ``yaml.safe_load`` lets through and our files must not contain.

``yaml.safe_load`` already refuses Python object tags. On top of that, `load` refuses
* a key given twice in one mapping (the last would win silently; ``1`` and ``"1"`` count as the same key,
  as they become the same variant or county name), naming both lines;
* anchors and aliases that expand beyond MAX_EXPANDED values or refer to themselves (a few hundred bytes of
  aliases can stand for billions of values, which every later check would walk);
* nesting deeper than MAX_DEPTH levels (the parser and our checks recurse);
* ``.nan`` and ``.inf``: only finite numbers are numbers.
Errors are `StrictLoadError` (a ``yaml.YAMLError``) with the 1-based line.
"""

from __future__ import annotations

import hashlib
import marshal
import math
import os
from pathlib import Path

import yaml

MAX_DEPTH = 40          # nesting of mappings and lists; scenario files need fewer than 10
MAX_EXPANDED = 100_000  # values that aliases add when expanded (a file's own values are not limited)


class StrictLoadError(yaml.YAMLError):
    """A YAML file our loaders refuse; `problem` says what is allowed instead, `line` is 1-based (0: unknown)."""

    def __init__(self, problem: str, line: int = 0):
        self.problem, self.line = problem, line
        super().__init__(problem)


class _PythonEvents(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's own reader, scanner and parser, for a PyYAML built without libyaml."""

    def __init__(self, stream):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


# The text is turned into events by libyaml where PyYAML has it: in Python, this takes about a second for the
# calibrated parameter file a default run reads (100 kB), a third of a command-line run. The composing and
# every check below stay in Python, so what is refused, and the line given, are the same either way.
_Events = yaml.cyaml.CParser if getattr(yaml, "__with_libyaml__", False) else _PythonEvents


class StrictLoader(yaml.composer.Composer, _Events, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """A safe loader (yaml.SafeLoader's constructor and resolver) that refuses duplicate keys, deep nesting,
    alias bombs and non-finite numbers."""

    def __init__(self, stream):
        _Events.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)

    def compose_document(self):
        self._depth, self._alias_lines = 0, []
        node = super().compose_document()
        _check_expansion(node, self._alias_lines)
        return node

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise StrictLoadError(f"nesting at most {MAX_DEPTH} levels deep", mark.line + 1)
            if self.check_event(yaml.AliasEvent):
                self._alias_lines.append(self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            name = str(key)
            if name in seen:
                where = f"on line {line}" if seen[name] == line else f"(lines {seen[name]} and {line})"
                raise StrictLoadError(f"each key once: '{name}' appears twice {where}", line)
            seen[name] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_float(self, node):
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise StrictLoadError(f"a finite number, not {node.value!r}", node.start_mark.line + 1)
        return value


StrictLoader.add_constructor("tag:yaml.org,2002:float", StrictLoader.construct_yaml_float)


def _check_expansion(root, alias_lines: list[int]) -> None:
    """Refuse documents whose anchors and aliases would expand beyond MAX_EXPANDED values or MAX_DEPTH
    levels, or refer to themselves (a 'billion laughs' file is a few hundred bytes and expands to billions
    of values). Counted on the node graph, once per node, so the check stays linear in the file's size."""
    done: dict[int, tuple[int, int]] = {}  # node -> (values when expanded, levels)
    open_: set[int] = set()

    def visit(node, depth: int) -> tuple[int, int]:
        line = node.start_mark.line + 1
        if depth > MAX_DEPTH:
            raise StrictLoadError(f"nesting at most {MAX_DEPTH} levels deep (counting what aliases expand to)", line)
        k = id(node)
        if k in open_:
            raise StrictLoadError("no alias inside its own anchor (a value that contains itself)", line)
        if k not in done:
            open_.add(k)
            if isinstance(node, yaml.SequenceNode):
                kids = [visit(c, depth + 1) for c in node.value]
            elif isinstance(node, yaml.MappingNode):
                kids = [visit(c, depth + 1) for pair in node.value for c in pair]
            else:
                kids = []
            open_.discard(k)
            done[k] = (1 + sum(s for s, _ in kids), 1 + max((h for _, h in kids), default=0))
        n, height = done[k]
        if n > MAX_EXPANDED + len(done) + 1:  # stop early: the total can only grow
            raise StrictLoadError(f"anchors and aliases that expand to at most {MAX_EXPANDED:,} values", first)
        if depth + height - 1 > MAX_DEPTH:
            raise StrictLoadError(f"nesting at most {MAX_DEPTH} levels deep (counting what aliases expand to)", line)
        return n, height

    first = alias_lines[0] if alias_lines else 0
    if root is not None:
        visit(root, 1)


def load(text: str):
    """The one document in `text`, read strictly."""
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader constructs safely


# A large file read before is not parsed again: what `load` made of it is kept in the user's cache, under the
# SHA-256 of its text and of this module's (so a change to the checks above reads every file afresh). The
# calibrated parameter file a default run reads is 100 kB: parsing and checking it is a twentieth of a run.
CACHE_FROM = 32_000  # characters; smaller files are parsed each time (they are quick)


def _cache_path(text: str) -> Path:
    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(text.encode("utf-8", "surrogatepass"))
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "ebpsim" / "yaml" / f"{h.hexdigest()}.marshal"


def _plain(value) -> bool:
    """Whether `value` is made only of what a YAML document gives (a damaged cache entry is not)."""
    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (str, int, float, bool))


def _cached(path: Path):
    """What `load` gave before for the text whose cache entry is `path`, or None."""
    try:
        value = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return value if _plain(value) else None


def _keep(path: Path, value) -> None:
    """Keep at `path` what `load` gave, if it can be kept (plain values; a writable cache folder)."""
    tmp = None
    try:
        if not _plain(value):
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
        tmp.write_bytes(marshal.dumps(value))
        os.replace(tmp, path)  # a reader sees the whole entry or none
    except (OSError, ValueError):
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def load_cached(text: str):
    """`load(text)`, from the cache for a large text read before."""
    if len(text) < CACHE_FROM:
        return load(text)
    try:
        path = _cache_path(text)
    except (OSError, RuntimeError):  # no home folder (RuntimeError): no cache
        return load(text)
    value = _cached(path)
    if value is None:
        value = load(text)
        _keep(path, value)
    return value


def read_strict(path, what: str, fail):
    """Read the YAML file `path` strictly. Any problem calls ``fail(file, where, allowed)``, which raises
    the caller's error: a missing, unreadable, binary or empty-named file, a folder, bad YAML."""
    path = Path(path)
    if str(path) in ("", "."):
        fail("''", "", f"the path of a {what}, not an empty string")
    if not path.exists():
        fail(path, "", f"an existing {what}: no such file")
    if path.is_dir():
        fail(path, "", f"a {what}, not a folder")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(path, "", f"a {what} as UTF-8 text (this looks like a binary file)")
    except OSError as e:
        fail(path, "", f"a readable {what} ({e.strerror})")
    try:
        return load_cached(text)
    except StrictLoadError as e:
        fail(path, f"line {e.line}" if e.line else "", e.problem)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        if "nesting depth" in str(e.problem):  # libyaml's own limit (some builds) can come before ours
            fail(path, f"line {mark.line + 1}" if mark else "", f"nesting at most {MAX_DEPTH} levels deep")
        fail(path, f"line {mark.line + 1}, column {mark.column + 1}" if mark else "", f"valid YAML: {e.problem}")
    except yaml.YAMLError as e:
        fail(path, "", f"valid YAML: {e}")
    except RecursionError:
        fail(path, "", f"YAML nested at most {MAX_DEPTH} levels deep")
    except MemoryError:
        fail(path, "", f"a {what} small enough to read into memory")
