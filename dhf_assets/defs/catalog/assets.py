"""The catalog: the attribute vocabulary and the cave table."""


import dagster as dg

from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.ingest.archive import read_caves
from dhf_assets.lib.ingest.vocabulary import vocabulary_rows
from dhf_assets.lib.storage.db import TableWrite

CAVES_CODES_CHECK = "caves_codes_valid"


@dg.asset(group_name="catalog", kinds={"duckdb"})
def vocabulary(store: DhfStore) -> dg.MaterializeResult:
    """The paper's attribute vocabulary (period, cave style, site, identity, orientation) with full names."""
    rows = vocabulary_rows()
    store.replace([TableWrite("vocabulary", ("attribute", "code", "name"), rows)])
    return dg.MaterializeResult(metadata={"dagster/row_count": len(rows)})


@dg.asset(
    deps=[vocabulary],
    group_name="catalog",
    kinds={"duckdb"},
    check_specs=[dg.AssetCheckSpec(CAVES_CODES_CHECK, asset="caves")],
)
def caves(store: DhfStore) -> dg.MaterializeResult:
    """The cave catalog from caves.csv; a row with an unknown code is refused and named by its check."""
    path = store.archive / "caves.csv"
    if not path.exists():
        raise dg.Failure(description=f"{path} is missing: the archive needs a caves.csv (see README)")
    valid, refused = read_caves(path)
    store.replace([
        TableWrite("caves", ("cave_id", "site", "period", "cave_style"),
                   [(c.cave_id, c.site, c.period, c.cave_style) for c in valid.values()]),
        TableWrite("quarantine", ("cave_id", "stage", "file", "item", "reason", "severity"),
                   [(cave_id, "caves", "caves.csv", cave_id, reason, "error") for cave_id, reason in refused.items()],
                   {"stage": "caves"}),
    ])
    return dg.MaterializeResult(
        metadata={"dagster/row_count": len(valid), "refused": len(refused)},
        check_results=[dg.AssetCheckResult(
            check_name=CAVES_CODES_CHECK,
            passed=not refused,
            severity=dg.AssetCheckSeverity.ERROR,
            description="; ".join(refused.values()) or "every cave's codes are in the vocabulary",
            metadata={"refused_caves": dg.MetadataValue.json(refused)},
        )],
    )
