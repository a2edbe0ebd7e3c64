"""dbt-like SQL models: discover them, find their dependencies, build them in order, run their tests.

A model is one `.sql` file under `dbt_like_sql/<layer>/`: its file name is the view (staging) or
table (marts) it creates, and its leading `-- ` comment is its description. Dependencies are read
from the SQL itself: every name after `from` or `join` (comma-joined lists included; CTE names,
table functions and `is distinct from` excluded) that is another model or a table of `TABLES`.
Tests come from each layer's `schema.yml` in dbt's shape (`unique`, `not_null`,
`accepted_values`, `relationships`); each becomes a query returning the offending rows.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import duckdb
import yaml

from dhf_assets.bundled import bundled_path

from . import db
from .tables import TABLES

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


def _tokens(sql: str) -> list[tuple[str, str]]:
    """(kind, lower-case text) of every token but comments, from DuckDB's own tokenizer."""
    found = duckdb.tokenize(sql)
    data = sql.encode("utf-8")  # DuckDB's offsets count bytes: a non-ASCII comment shifts characters
    tokens = []
    for index, (start, kind) in enumerate(found):
        end = found[index + 1][0] if index + 1 < len(found) else len(data)
        if kind.name == "comment":
            continue
        text = data[start:end].decode("utf-8", errors="replace").strip()
        if kind.name == "identifier":
            text = text.strip('"')
        tokens.append((kind.name, text.lower()))
    return tokens


def _cte_names(tokens: Sequence[tuple[str, str]]) -> set[str]:
    """Names defined as `with name as (` or `, name as (`."""
    names = set()
    for index in range(1, len(tokens) - 2):
        kind, text = tokens[index]
        if (kind == "identifier" and tokens[index - 1][1] in ("with", "recursive", ",")
                and tokens[index + 1][1] == "as" and tokens[index + 2][1].startswith("(")):
            names.add(text)
    return names


def _qualified_name(tokens: Sequence[tuple[str, str]], index: int) -> tuple[str, int]:
    """The last part of `a.b.c` starting at `index`, and the index after it."""
    name = tokens[index][1]
    index += 1
    while index + 1 < len(tokens) and tokens[index][1] == "." and tokens[index + 1][0] == "identifier":
        name = tokens[index + 1][1]
        index += 2
    return name, index


def referenced_names(sql: str) -> set[str]:
    """Every relation named after `from`/`join` in the SQL, CTEs and table functions excluded."""
    tokens = _tokens(sql)
    names: set[str] = set()
    for index, (kind, text) in enumerate(tokens):
        if kind != "keyword" or text not in ("from", "join"):
            continue
        if text == "from" and index and tokens[index - 1][1] == "distinct":  # a is distinct from b
            continue
        cursor = index + 1
        while cursor < len(tokens) and tokens[cursor][0] == "identifier":
            name, cursor = _qualified_name(tokens, cursor)
            if cursor < len(tokens) and tokens[cursor][1].startswith("("):
                break  # a table function, e.g. read_csv(...)
            names.add(name)
            if cursor < len(tokens) and tokens[cursor][1] == "as":
                cursor += 1
            if cursor < len(tokens) and tokens[cursor][0] == "identifier":
                cursor += 1  # the alias
            if cursor < len(tokens) and tokens[cursor][1] == ",":
                cursor += 1  # from a, b
                continue
            break
    return names - _cte_names(tokens)


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


def order_models(models: Iterable[SqlModel]) -> list[SqlModel]:
    """Topological order; among models ready together, staging first, then by name."""
    pending = {model.name: model for model in models}
    names = set(pending)
    layer_rank = {layer: rank for rank, layer in enumerate(LAYERS)}
    done: list[SqlModel] = []
    while pending:
        built = names - pending.keys()
        ready = [m for m in pending.values() if all(dep in built or dep not in names for dep in m.depends_on)]
        if not ready:
            raise ValueError(f"dependency cycle among SQL models: {', '.join(sorted(pending))}")
        first = min(ready, key=lambda m: (layer_rank[m.layer], m.name))
        done.append(first)
        del pending[first.name]
    return done


def with_upstream(models: Sequence[SqlModel], names: Iterable[str]) -> list[SqlModel]:
    """The named models and every model they read, directly or not, in build order."""
    by_name = {model.name: model for model in models}
    wanted: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name not in by_name:
            raise ValueError(f"no SQL model named {name!r}")
        if name not in wanted:
            wanted.add(name)
            pending += by_name[name].depends_on
    return [model for model in models if model.name in wanted]


# ---------------------------------------------------------------- building


def run_model(database: Path, model: SqlModel) -> int:
    """Create or replace the model's view or table in one short transaction; its row count."""
    with db.write_connection(database) as con:
        con.execute("begin transaction")
        try:
            con.execute(f"create or replace {model.materialization} {model.name} as\n{model.sql}\n")
            rows = con.execute(f"select count(*) from {model.name}").fetchone()[0]
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return int(rows)


def run_models(database: Path, models: Sequence[SqlModel] | None = None) -> dict[str, int]:
    """Build every model in order (all discovered ones by default); row count per model."""
    return {model.name: run_model(database, model) for model in (discover_models() if models is None else models)}


def preview(database: Path, name: str, limit: int = 10) -> tuple[list[str], list[tuple]]:
    """Column names and the first rows of a model."""
    if not _NAME.match(name):
        raise ValueError(f"not a model name: {name!r}")
    return db.query(database, f"select * from {name} limit ?", [limit])


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A small markdown table (for the UI's metadata)."""
    def cell(value: Any) -> str:
        text = "NULL" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


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


def run_schema_test(database: Path, test: SchemaTest, shown: int = OFFENDING_SHOWN) -> TestOutcome:
    """Run one test against what the database holds now."""
    con = db.connect(database, read_only=True)
    try:
        failures = con.execute(f"select count(*) from ({test.sql})", list(test.params)).fetchone()[0]
        cursor = con.execute(f"select * from ({test.sql}) limit {int(shown)}", list(test.params))
        columns = [d[0] for d in cursor.description or []]
        offending = [{c: _json_ready(v) for c, v in zip(columns, row)} for row in cursor.fetchall()]
    finally:
        con.close()
    return TestOutcome(test, int(failures), offending)
