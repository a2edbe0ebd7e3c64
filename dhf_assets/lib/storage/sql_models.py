"""dbt-like SQL models: discover them, find their dependencies, build them in order, run their tests.

A model is one `.sql` file under `dbt_like_sql/<layer>/`: its file name is the view (staging) or
table (marts) it creates, and its leading `-- ` comment is its description. Dependencies are read
from the SQL itself, parsed by sqlglot (DuckDB dialect): every relation a query scope reads (CTEs,
subqueries and table functions excluded) that is another model or a table of `TABLES`.
Tests come from each layer's `schema.yml` in dbt's shape (`unique`, `not_null`,
`accepted_values`, `relationships`); each becomes a query returning the offending rows.
"""

from __future__ import annotations

import graphlib
import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence, TypeAlias

import duckdb
import sqlglot
import yaml
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from dhf_assets.bundled import bundled_path
from dhf_assets.lib.storage import db
from dhf_assets.lib.storage.tables import TABLES

# dbt_like_sql/ of the repository, shipped inside the package (dhf_assets/bundled.py).
SQL_ROOT = bundled_path("dbt_like_sql")
# Layer (folder) -> what its models create; staging is built before marts.
LAYERS: dict[str, str] = {"staging": "view", "marts": "table"}
TEST_KINDS = ("unique", "not_null", "accepted_values", "relationships")
OFFENDING_SHOWN = 5

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_REF = re.compile(r"""^ref\(\s*['"]([a-z_][a-z0-9_]*)['"]\s*\)$""")


@dataclass(frozen=True)
class SqlModel:
    name: str
    layer: str
    path: Path
    sql: str
    description: str
    depends_on: tuple[str, ...]  # other models, sorted
    reads_tables: tuple[str, ...]  # tables the Python assets write, sorted

    @property
    def materialization(self) -> str:
        return LAYERS[self.layer]

    @property
    def code_version(self) -> str:
        return hashlib.sha1(self.sql.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class SchemaTest:
    """One schema.yml test; `sql` selects the offending rows (none when the test passes)."""

    model: str
    column: str
    kind: str
    sql: str
    params: tuple[Any, ...] = ()
    description: str = ""
    reads: tuple[str, ...] = ()  # other models or tables the test queries (relationships, vocabulary)

    @property
    def name(self) -> str:
        return f"{self.model}__{self.column}__{self.kind}"


@dataclass(frozen=True)
class TestOutcome:
    test: SchemaTest
    failures: int  # offending rows (for unique and the value tests: offending values)
    offending: list[dict[str, Any]]  # the first few, JSON-ready

    @property
    def passed(self) -> bool:
        return self.failures == 0


# ---------------------------------------------------------------- discovery and dependencies


def referenced_names(sql: str) -> set[str]:
    """Every relation the SQL reads (sqlglot's scopes: CTEs, subqueries and table functions excluded)."""
    names: set[str] = set()
    for statement in sqlglot.parse(sql, read="duckdb"):
        for scope in traverse_scope(statement) if statement is not None else ():
            for source in scope.sources.values():
                if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
                    names.add(source.name.lower())
    return names


def _description(sql: str, path: Path) -> str:
    """The leading `-- ` comment lines, joined."""
    leading = []
    for line in sql.splitlines():
        if not line.startswith("-- "):
            break
        leading.append(line[3:].strip())
    if not leading:
        raise ValueError(f"{path}: the first line must be a `-- ` comment describing the model")
    return " ".join(leading)


def _read_model(path: Path, layer: str) -> tuple[str, str, str]:
    name = path.stem
    if not _NAME.match(name):
        raise ValueError(f"{path}: model names are lower-case identifiers")
    if name in TABLES:
        raise ValueError(f"{path}: model {name!r} would replace the Python table of that name")
    if layer == "staging" and not name.startswith("stg_"):
        raise ValueError(f"{path}: staging models are named stg_*")
    sql = path.read_text(encoding="utf-8").strip().rstrip(";").rstrip()
    return name, sql, _description(sql, path)


def discover_models(root: Path = SQL_ROOT) -> list[SqlModel]:
    """Every model under `root`, in build order (dependencies first)."""
    found: dict[str, tuple[str, Path, str, str]] = {}
    for layer in LAYERS:
        for path in sorted((root / layer).glob("*.sql")):
            name, sql, description = _read_model(path, layer)
            if name in found:
                raise ValueError(f"{path}: model {name!r} is also defined in {found[name][1]}")
            found[name] = (layer, path, sql, description)
    models = []
    for name, (layer, path, sql, description) in found.items():
        names = referenced_names(sql) - {name}
        depends_on = tuple(sorted(names & found.keys()))
        if layer == "staging" and any(found[dep][0] != "staging" for dep in depends_on):
            raise ValueError(f"{path}: a staging model reads only Python tables and staging models")
        models.append(SqlModel(name, layer, path, sql, description, depends_on, tuple(sorted(names & TABLES.keys()))))
    return order_models(models)


def order_models(models: Iterable[SqlModel], tests: Iterable[SchemaTest] = ()) -> list[SqlModel]:
    """Staging, then marts; within a layer a topological order (graphlib), models ready together by name.

    With `tests`, a model also waits for what its upstream models' tests read: a build runs a model's
    tests before its children (dbt build), and a test runs once every model it reads is built.
    """
    test_reads: dict[str, set[str]] = {}
    for test in tests:
        test_reads.setdefault(test.model, set()).update(test.reads)
    by_layer: dict[str, dict[str, SqlModel]] = {layer: {} for layer in LAYERS}
    for model in models:
        by_layer[model.layer][model.name] = model
    done: list[SqlModel] = []
    for layer_models in by_layer.values():
        waits_for = {name: {*m.depends_on, *(r for dep in m.depends_on for r in test_reads.get(dep, ()))}
                     for name, m in layer_models.items()}
        sorter = graphlib.TopologicalSorter({name: sorted(d for d in deps if d in layer_models and d != name)
                                             for name, deps in waits_for.items()})
        try:
            sorter.prepare()
        except graphlib.CycleError as exc:
            raise ValueError(f"dependency cycle among SQL models: {', '.join(exc.args[1])}") from exc
        while sorter.is_active():
            ready = sorted(sorter.get_ready())
            done += [layer_models[name] for name in ready]
            sorter.done(*ready)
    return done


# ---------------------------------------------------------------- building


# A model or test runs on an open connection (one for a whole build) or opens its own on the file. A string
# alias: a module-level union object would keep DuckDB's type alive until interpreter exit (nanobind's leak report).
Database: TypeAlias = "Path | duckdb.DuckDBPyConnection"


@contextmanager
def _connection(database: Database, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """The caller's open connection as is, or a short one on the file, closed afterwards."""
    if not isinstance(database, Path):
        yield database
    elif write:
        with db.write_connection(database) as con:
            yield con
    else:
        with db.connect(database, read_only=True) as con:
            yield con


def run_model(database: Database, model: SqlModel) -> int:
    """Create or replace the model's view or table in one short transaction; its row count."""
    with _connection(database, write=True) as con:
        con.execute("begin transaction")
        try:
            con.execute(f"create or replace {model.materialization} {model.name} as\n{model.sql}\n")
            rows = con.execute(f"select count(*) from {model.name}").fetchone()[0]
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return int(rows)


def preview(database: Database, name: str, limit: int = 10) -> tuple[list[str], list[tuple]]:
    """Column names and the first rows of a model."""
    if not _NAME.match(name):
        raise ValueError(f"not a model name: {name!r}")
    with _connection(database, write=False) as con:
        cursor = con.execute(f"select * from {name} limit ?", [limit])
        return [d[0] for d in cursor.description or []], cursor.fetchall()


# ---------------------------------------------------------------- schema.yml tests


def _identifier(value: Any, where: str) -> str:
    text = str(value)
    ref = _REF.match(text)
    text = ref.group(1) if ref else text
    if not _NAME.match(text):
        raise ValueError(f"{where}: {value!r} is not a table or column name")
    return text


def _build_test(model: str, column: str, kind: str, args: Any, where: str) -> SchemaTest:
    sql, params, description, reads = _test_sql(model, column, kind, args, where)
    return SchemaTest(model, column, kind, sql, params, f"{model}: {description}.", reads)


def _test_sql(
    model: str, column: str, kind: str, args: Any, where: str
) -> tuple[str, tuple[Any, ...], str, tuple[str, ...]]:
    if kind == "unique":
        return (f"select {column}, count(*) as n_rows from {model} where {column} is not null "
                f"group by {column} having count(*) > 1 order by n_rows desc, {column}", (), f"{column} is unique", ())
    if kind == "not_null":
        return f"select * from {model} where {column} is null", (), f"{column} is never NULL", ()
    if kind == "accepted_values":
        values = args.get("values") if isinstance(args, Mapping) else args
        if isinstance(args, Mapping) and "attribute" in args:
            attribute = str(args["attribute"])
            return (f"select {column}, count(*) as n_rows from {model} where {column} is not null and {column} not in "
                    f"(select code from vocabulary where attribute = ?) group by {column} order by {column}",
                    (attribute,), f"{column} is a {attribute} code of the vocabulary", ("vocabulary",))
        if not isinstance(values, list) or not values:
            raise ValueError(f"{where}: accepted_values needs `attribute: <name>` or a list of values")
        marks = ", ".join("?" for _ in values)
        return (f"select {column}, count(*) as n_rows from {model} where {column} is not null "
                f"and {column} not in ({marks}) group by {column} order by {column}",
                tuple(values), f"{column} in {', '.join(map(str, values))}", ())
    if kind == "relationships":
        if not isinstance(args, Mapping) or "to" not in args or "field" not in args:
            raise ValueError(f"{where}: relationships needs `to` and `field`")
        to, field = _identifier(args["to"], where), _identifier(args["field"], where)
        return (f"select m.{column}, count(*) as n_rows from {model} m where m.{column} is not null and not exists "
                f"(select 1 from {to} t where t.{field} = m.{column}) group by m.{column} order by m.{column}",
                (), f"every {column} is a {field} of {to}", (to,))
    raise ValueError(f"{where}: unknown test {kind!r} (known: {', '.join(TEST_KINDS)})")


def _column_tests(model: str, column: Mapping[str, Any], where: str) -> list[SchemaTest]:
    name = _identifier(column.get("name"), where)
    tests = []
    for entry in column.get("tests", column.get("data_tests", [])) or []:
        kind, args = (entry, None) if isinstance(entry, str) else next(iter(entry.items()))
        tests.append(_build_test(model, name, kind, args, f"{where}.{name}"))
    return tests


def load_schema_tests(root: Path = SQL_ROOT, models: Sequence[SqlModel] | None = None) -> list[SchemaTest]:
    """Every test of every layer's schema.yml, on models that exist."""
    known = {m.name for m in (models if models is not None else discover_models(root))}
    tests: list[SchemaTest] = []
    for layer in LAYERS:
        path = root / layer / "schema.yml"
        if not path.exists():
            continue
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in spec.get("models", []):
            model = _identifier(entry.get("name"), str(path))
            if model not in known:
                raise ValueError(f"{path}: tests for {model!r}, which has no .sql file")
            for column in entry.get("columns", []):
                tests += _column_tests(model, column, f"{path}:{model}")
    unknown = sorted({r for t in tests for r in t.reads} - known - TABLES.keys())
    if unknown:
        raise ValueError(f"schema tests read unknown models or tables: {', '.join(unknown)}")
    names = [t.name for t in tests]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"schema tests named twice: {', '.join(duplicated)}")
    return tests


def _json_ready(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return str(value)


def run_schema_test(database: Database, test: SchemaTest, shown: int = OFFENDING_SHOWN) -> TestOutcome:
    """Run one test against what the database holds now."""
    with _connection(database, write=False) as con:
        failures = con.execute(f"select count(*) from ({test.sql})", list(test.params)).fetchone()[0]
        cursor = con.execute(f"select * from ({test.sql}) limit {int(shown)}", list(test.params))
        columns = [d[0] for d in cursor.description or []]
        offending = [{c: _json_ready(v) for c, v in zip(columns, row)} for row in cursor.fetchall()]
    return TestOutcome(test, int(failures), offending)
