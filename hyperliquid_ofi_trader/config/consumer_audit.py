"""Which config keys are validated but read by nothing: a static audit of the package.

A key that validates and is then ignored is worse than an unknown key: the user believes
it acts. (`thresholds.feed` and `ofi.levels` were such keys: live runs used hard-coded
values that differed.) `unread_keys()` lists every leaf of `AppConfig` that no code
outside `config/` reads; the test suite asserts the list is empty, so a new key must be
wired to its component before it can land.

How a read is found (AST, no import of the consumers): in every function of the package
outside `config/`, names are typed from
- parameters annotated with a config model (`cfg: AppConfig`, `t: LiquidityRegimeThresholds`,
  `config: EngineSettings | AppConfig`),
- `self.<attr>` assigned from such a parameter in the same class,
- parameters (and `self.<attr>`s) annotated with a component class that declares its
  section at class level (`settings: CostThresholds` on CostModel): `costs.settings.x`
  reads `x` wherever a `costs: CostModel` is in hand,
- local variables assigned from a typed expression (`th = cfg.thresholds`, tuple
  assignments included), loop variables over a mapping of models (`.items()`, `.values()`)
  and subscripts of one (`coins[c]`, `coins.get(c)`),
- calls of functions whose return annotation is a config model (`load_config(d)`),
then every attribute chain on a typed name is walked through the model fields. Reaching a
leaf field reads it; calling a model's own method (`as_mapping()`, `signal_weights()`,
`is_mainnet`) reads the fields that method reads (found the same way in its source; a
`getattr(self, name)` with a computed name reads every field of the model).
"""

from __future__ import annotations

import ast
import inspect
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from hyperliquid_ofi_trader.config.models import AppConfig, CoinThresholds

Leaf = tuple[type[BaseModel], str]
# Models of per-coin override entries: each field is a whole section of the global tree
# (same class). Its fields are audited at their global place; the entry's sections count
# as leaves of their own, read when a component takes the section off an entry.
_OVERRIDE_ENTRIES: frozenset[type[BaseModel]] = frozenset({CoinThresholds})
_PACKAGE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class _FieldType:
    """What an attribute of a model is: a sub-model, a mapping of models, or a leaf; or
    what a name is: one of those, or a component whose attributes (`attrs`) are models."""

    model: type[BaseModel] | None = None
    mapping_of: type[BaseModel] | None = None
    attrs: Mapping[str, _FieldType] | None = None


def _models_in(annotation: Any) -> Iterator[tuple[type[BaseModel], bool]]:
    """(model, inside a Mapping?) for every config model an annotation mentions."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, False
        return
    origin = typing.get_origin(annotation)
    # A tuple of models (symbols.yaml `lead_lag` pairs) is audited as a mapping's entries.
    is_mapping = origin is not None and isinstance(origin, type) and issubclass(
        origin, Mapping | tuple)
    for arg in typing.get_args(annotation):
        for model, nested in _models_in(arg):
            yield model, nested or is_mapping


def _field_type(model: type[BaseModel], name: str) -> _FieldType | None:
    info = model.model_fields.get(name)
    if info is None:
        return None
    for sub, in_mapping in _models_in(info.annotation):
        return _FieldType(mapping_of=sub) if in_mapping else _FieldType(model=sub)
    return _FieldType()


def all_models(root: type[BaseModel] = AppConfig) -> dict[str, type[BaseModel]]:
    """Every model class of the tree under `root`, by class name."""
    found: dict[str, type[BaseModel]] = {root.__name__: root}
    for info in root.model_fields.values():
        for sub, _ in _models_in(info.annotation):
            found.update(all_models(sub))
    return found


def all_leaves(root: type[BaseModel] = AppConfig,
               prefix: tuple[str, ...] = ()) -> dict[Leaf, str]:
    """Every leaf field of the tree, with its dotted key (`*` for a mapping's entries).

    Leaves are told apart by (model class, field): a class used at two places of the tree
    would make a read of one count for the other, so that is refused (ValueError), but for
    the sections of a per-coin override entry (`_OVERRIDE_ENTRIES`), which are leaves."""
    out: dict[Leaf, str] = {}
    for name in root.model_fields:
        ftype = _field_type(root, name)
        assert ftype is not None
        sub = ftype.model or ftype.mapping_of
        if sub is None or root in _OVERRIDE_ENTRIES:
            out[(root, name)] = ".".join((*prefix, name))
            continue
        nested = all_leaves(sub, (*prefix, name) if ftype.model else (*prefix, name, "*"))
        reused = nested.keys() & out.keys()
        if reused:
            raise ValueError(f"config model {sub.__name__} is used at two places; the "
                             "consumer audit needs one class per place")
        out.update(nested)
    return out


# ---------------------------------------------------------------- reading the sources


_Typed = _FieldType  # a name's type: a model or a mapping of models


@dataclass(slots=True)
class _Reads:
    """Leaves read, and model methods called (expanded into leaves at the end)."""

    leaves: set[Leaf] = field(default_factory=set)
    methods: set[tuple[type[BaseModel], str]] = field(default_factory=set)


def _annotation_type(node: ast.expr | None, models: Mapping[str, type[BaseModel]],
                     components: Mapping[str, _Typed] | None = None) -> _Typed | None:
    """The config model an annotation names (`AppConfig`, `X | None`, `"AppConfig"`), or
    the component class (one of `components`) it names."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    for sub in ast.walk(node):
        name = sub.id if isinstance(sub, ast.Name) else (
            sub.attr if isinstance(sub, ast.Attribute) else None)
        if name is not None and name in models:
            return _Typed(model=models[name])
        if name is not None and components and name in components:
            return components[name]
    return None


class _FunctionReader(ast.NodeVisitor):
    """Types the names of one function and records the model fields it reaches."""

    def __init__(self, models: Mapping[str, type[BaseModel]], reads: _Reads,
                 self_attrs: Mapping[str, _Typed],
                 returns: Mapping[str, _Typed] | None = None,
                 components: Mapping[str, _Typed] | None = None) -> None:
        self.models = models
        self.components = components or {}
        self.reads = reads
        self.self_attrs = self_attrs
        self.returns = returns or {}
        self.names: dict[str, _Typed] = {}

    def run(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = fn.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            typed = _annotation_type(arg.annotation, self.models, self.components)
            if typed is not None:
                self.names[arg.arg] = typed
        for stmt in fn.body:
            self.visit(stmt)

    # -------------------------------------------------------- typing names

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._bind(target, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self._bind(node.target, node.value)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._bind(node.target, node.value)

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        self._bind_loop(node.target, node.iter)
        for stmt in (*node.body, *node.orelse):
            self.visit(stmt)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self.visit(node.iter)
        self._bind_loop(node.target, node.iter)
        for cond in node.ifs:
            self.visit(cond)

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._visit_comp(node.generators, node.elt)

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._visit_comp(node.generators, node.elt)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._visit_comp(node.generators, node.elt)

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._visit_comp(node.generators, node.key, node.value)

    def _visit_comp(self, generators: list[ast.comprehension], *elts: ast.expr) -> None:
        for gen in generators:  # bind before the element is read
            self.visit_comprehension(gen)
        for elt in elts:
            self.visit(elt)

    def _bind(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Name):
            typed = self._type_of(value)
            if typed is not None:
                self.names[target.id] = typed
        elif isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
            for t, v in zip(target.elts, value.elts, strict=False):
                self._bind(t, v)

    def _bind_loop(self, target: ast.expr, iterable: ast.expr) -> None:
        # `for c, spec in m.items()` / `for spec in m.values()` over a mapping of models
        if not (isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Attribute)):
            return
        owner = self._type_of(iterable.func.value)
        if owner is None or owner.mapping_of is None:
            return
        value = _Typed(model=owner.mapping_of)
        method = iterable.func.attr
        if method == "values" and isinstance(target, ast.Name):
            self.names[target.id] = value
        elif (method == "items" and isinstance(target, ast.Tuple) and len(target.elts) == 2
              and isinstance(target.elts[1], ast.Name)):
            self.names[target.elts[1].id] = value

    # -------------------------------------------------------- reading fields

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._type_of(node)  # records what it reaches
        self.generic_visit(node)

    def _type_of(self, node: ast.expr) -> _Typed | None:
        if isinstance(node, ast.Name):
            return self.names.get(node.id)
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.Subscript):
            owner = self._type_of(node.value)
            return None if owner is None or owner.mapping_of is None else _Typed(
                model=owner.mapping_of)
        if isinstance(node, ast.Call):
            return self._call_type(node)
        return None

    def _call_type(self, node: ast.Call) -> _Typed | None:
        func = node.func
        if isinstance(func, ast.Name):
            return self.returns.get(func.id)
        if not isinstance(func, ast.Attribute):
            return None
        owner = self._type_of(func.value)
        if owner is None:
            return self.returns.get(func.attr)  # module.function(...)
        if owner.mapping_of is not None and func.attr == "get":
            return _Typed(model=owner.mapping_of)
        return None

    def _attribute(self, node: ast.Attribute) -> _Typed | None:
        value = node.value
        if (isinstance(value, ast.Name) and value.id == "self"
                and node.attr in self.self_attrs):
            return self.self_attrs[node.attr]
        owner = self._type_of(value)
        if owner is not None and owner.attrs is not None:
            return owner.attrs.get(node.attr)
        if owner is None or owner.model is None:
            return None
        model = owner.model
        ftype = _field_type(model, node.attr)
        if ftype is None:
            if hasattr(model, node.attr):
                self.reads.methods.add((model, node.attr))
            return None
        if (ftype.model is None and ftype.mapping_of is None) or model in _OVERRIDE_ENTRIES:
            self.reads.leaves.add((model, node.attr))
        if ftype.model is None and ftype.mapping_of is None:
            return None
        if ftype.mapping_of is not None:
            # A mapping of models handed over whole (iterated elsewhere) reads its entries.
            self.reads.leaves.update((ftype.mapping_of, n) for n in ftype.mapping_of.model_fields)
        return ftype


def _self_attrs(cls: ast.ClassDef, models: Mapping[str, type[BaseModel]],
                components: Mapping[str, _Typed] | None = None) -> dict[str, _Typed]:
    """`self.x = param` in any method, where `param` is annotated with a config model (or
    a component of `components`)."""
    out: dict[str, _Typed] = {}
    for fn in cls.body:
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        params = {a.arg: t for a in (*fn.args.args, *fn.args.kwonlyargs)
                  if (t := _annotation_type(a.annotation, models, components)) is not None}
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    _bind_self(target, node.value, params, out)
    for node in cls.body:  # dataclass fields: `cfg: AppConfig`
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            typed = _annotation_type(node.annotation, models)
            if typed is not None:
                out[node.target.id] = typed
    return out


def _bind_self(target: ast.expr, value: ast.expr, params: Mapping[str, _Typed],
               out: dict[str, _Typed]) -> None:
    if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
            and target.value.id == "self" and isinstance(value, ast.Name)
            and value.id in params):
        out[target.attr] = params[value.id]
    elif isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
        for t, v in zip(target.elts, value.elts, strict=False):
            _bind_self(t, v, params, out)


def component_types(sources: Iterable[str], models: Mapping[str, type[BaseModel]]
                    ) -> dict[str, _Typed]:
    """Classes (by name) that declare config models at class level (`settings:
    CostThresholds`): a name annotated with such a class reaches those models."""
    out: dict[str, _Typed] = {}
    for source in sources:
        tree = ast.parse(source)
        own = _with_aliases(tree, models)
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            attrs = {stmt.target.id: typed for stmt in node.body
                     if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                     and (typed := _annotation_type(stmt.annotation, own)) is not None}
            if attrs and node.name not in models:
                out[node.name] = _Typed(attrs=attrs)
    return out


def returning_models(sources: Iterable[str], models: Mapping[str, type[BaseModel]]
                     ) -> dict[str, _Typed]:
    """Functions (by name) whose return annotation is a config model: `load_config`."""
    out: dict[str, _Typed] = {}
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                typed = _annotation_type(node.returns, models)
                if typed is not None:
                    out[node.name] = typed
    return out


def read_source(source: str, models: Mapping[str, type[BaseModel]], reads: _Reads,
                returns: Mapping[str, _Typed] | None = None,
                components: Mapping[str, _Typed] | None = None) -> None:
    """Record every model field the functions of one module reach."""
    tree = ast.parse(source)
    models = _with_aliases(tree, models)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            attrs = _self_attrs(node, models, components)
            for fn in node.body:
                if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                    _FunctionReader(models, reads, attrs, returns, components).run(fn)
        elif isinstance(node, ast.Module):
            for fn in node.body:
                if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                    _FunctionReader(models, reads, {}, returns, components).run(fn)


def _with_aliases(tree: ast.Module, models: Mapping[str, type[BaseModel]]
                  ) -> Mapping[str, type[BaseModel]]:
    """`models` plus the module's own names for them: a component that imports its section
    as `from ...risk_schema import DeadMansSwitch as DeadMansSwitchSection` (often under
    TYPE_CHECKING) annotates with the alias, and its reads must still count."""
    aliases = {a.asname: models[a.name] for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) for a in node.names
               if a.asname and a.name in models}
    return {**models, **aliases} if aliases else models


# ---------------------------------------------------------------- model methods


def _method_reads(model: type[BaseModel], method: str,
                  models: Mapping[str, type[BaseModel]], seen: set[tuple[type, str]]
                  ) -> set[Leaf]:
    """Leaves a model's own method (or property) reads, following calls to its siblings."""
    key = (model, method)
    if key in seen:
        return set()
    seen.add(key)
    member = inspect.getattr_static(model, method, None)
    func = member.fget if isinstance(member, property) else member
    if isinstance(func, classmethod | staticmethod):
        func = func.__func__
    if not callable(func):
        return set()
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        return set()
    fn = ast.parse(_dedent(source)).body[0]
    if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
        return set()
    if _reads_every_field(fn):
        return {(model, n) for n in model.model_fields}
    reads = _Reads()
    reader = _FunctionReader(models, reads, {})
    reader.names["self"] = _Typed(model=model)
    reader.run(fn)
    out = set(reads.leaves)
    for owner, name in reads.methods:
        out |= _method_reads(owner, name, models, seen)
    return out


def _reads_every_field(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """`getattr(self, name)` with a computed name: every field may be read."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
               and n.func.id == "getattr" and len(n.args) >= 2
               and isinstance(n.args[0], ast.Name) and n.args[0].id == "self"
               and not isinstance(n.args[1], ast.Constant) for n in ast.walk(fn))


def _dedent(source: str) -> str:
    lines = source.splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()),
                 default=0)
    return "\n".join(line[indent:] for line in lines)


# ---------------------------------------------------------------- the audit


# Modules that read keys only to show or check them: `hlofi config show/check`.
DISPLAY_ONLY: tuple[str, ...] = ("cli/config.py",)


def package_sources(root: Path = _PACKAGE_DIR) -> Iterator[tuple[str, str]]:
    """(module path, source) of every module outside `config/` (the config's own dumps
    and validators read every key and prove nothing) and outside `DISPLAY_ONLY`."""
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] != "config" and relative.as_posix() not in DISPLAY_ONLY:
            yield relative.as_posix(), path.read_text(encoding="utf-8")


def _config_sources(root: Path = _PACKAGE_DIR) -> Iterator[str]:
    for path in sorted((root / "config").rglob("*.py")):
        yield path.read_text(encoding="utf-8")


def read_leaves(sources: Iterable[tuple[str, str]],
                root: type[BaseModel] = AppConfig) -> set[Leaf]:
    """Every leaf of `root`'s tree that `sources` read."""
    models = all_models(root)
    texts = [source for _, source in sources]
    returns = returning_models([*texts, *_config_sources()], models)
    components = component_types(texts, models)
    reads = _Reads()
    for source in texts:
        read_source(source, models, reads, returns, components)
    found = set(reads.leaves)
    seen: set[tuple[type, str]] = set()
    for model, method in reads.methods:
        found |= _method_reads(model, method, models, seen)
    return found


def unread_keys(sources: Iterable[tuple[str, str]] | None = None,
                root: type[BaseModel] = AppConfig) -> list[str]:
    """Dotted keys of every leaf that nothing reads, sorted (empty: every key acts)."""
    leaves = all_leaves(root)
    read = read_leaves(package_sources() if sources is None else sources, root)
    return sorted(key for leaf, key in leaves.items() if leaf not in read)
