"""One place per rule: no rule is asserted both by a GX check and by a schema.yml test, or by schema.yml and the DDL."""

import re

from dhf_assets.lib.checks.table_checks import CHECKS
from dhf_assets.lib.storage.sql_models import discover_models, load_schema_tests
from dhf_assets.lib.storage.tables import TABLES

# A GX frame's boolean `<x>_known` / `in_3k` column asserts that the row's key has its parent row.
RELATION_FLAGS = {"cave_known": "cave_id", "mural_known": "mural_key", "face_known": "face_id",
                  "upscaled_known": "face_id", "in_3k": "face_id"}
KINDS = {"ExpectColumnValuesToBeUnique": "unique", "ExpectColumnValuesToBeInSet": "accepted_values"}


def gx_rules() -> set[tuple[str, str, str]]:
    """(table, column, kind) of every per-cave GX expectation, in schema.yml's words."""
    vocabulary = {attribute: ["x"] for attribute in ("period", "cave_style", "site", "identity", "orientation")}
    rules = set()
    for check in CHECKS:
        for expectation in check.expectations(vocabulary):
            column, kind = expectation.column, KINDS.get(type(expectation).__name__)
            if column in RELATION_FLAGS:
                rules.add((check.asset, RELATION_FLAGS[column], "relationships"))
                if column == "mural_known":
                    rules.add((check.asset, "mural_id", "relationships"))
            elif kind:
                rules.add((check.asset, column, kind))
                if (check.asset, column) == ("murals", "mural_id"):
                    rules.add(("murals", "mural_key", kind))  # mural_id within a cave is mural_key overall
    return rules


def schema_rules() -> dict[tuple[str, str, str], str]:
    """(table, column, kind) of every schema.yml test on a staging model, for each table the model reads."""
    models = {m.name: m for m in discover_models()}
    return {(table, test.column, test.kind): test.name for test in load_schema_tests(models=list(models.values()))
            for table in models[test.model].reads_tables}


def test_no_rule_is_asserted_by_gx_and_by_schema_yml():
    twice = {name: rule for rule, name in schema_rules().items() if rule in gx_rules()}
    assert twice == {}, ("assert each rule once: per-cave rules in lib/checks/table_checks.py, "
                         "across caves in schema.yml")


def test_no_schema_yml_not_null_repeats_the_ddl():
    repeated = [name for (table, column, kind), name in schema_rules().items()
                if kind == "not_null" and re.search(rf"\b{column} [^,]*not null", TABLES[table])]
    assert repeated == []


def test_the_former_duplicates_are_found_by_the_rule_sets():
    rules = gx_rules()
    assert {("faces", "face_id", "unique"), ("faces", "orientation", "accepted_values"),
            ("face_labels", "orientation", "accepted_values"), ("face_candidates", "status", "accepted_values"),
            ("faces", "mural_key", "relationships"), ("murals", "mural_key", "unique")} <= rules
