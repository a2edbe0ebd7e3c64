"""Resources: where the archive, the outputs and the DuckDB tables live."""


from pathlib import Path
from typing import Sequence

import dagster as dg

from dhf_assets.lib import db
from dhf_assets.lib.settings import apply_defaults

# The UI's code server, `dhf` and the tests all import this module: export the sample defaults
# for unset variables so that the EnvVars below resolve identically everywhere.
apply_defaults()


class DhfStore(dg.ConfigurableResource):
    """The mural archive (read only), the output folder and the DuckDB file."""

    archive_dir: str
    output_dir: str
    duckdb_path: str
    max_mural_pixels: int = 250_000_000
    png_compress_level: int = 1

    @property
    def archive(self) -> Path:
        return Path(self.archive_dir)

    @property
    def output(self) -> Path:
        return Path(self.output_dir)

    @property
    def database(self) -> Path:
        return Path(self.duckdb_path)

    def replace(self, writes: Sequence[db.TableWrite]) -> None:
        """Replace rows of several tables in one short transaction."""
        db.replace_rows(self.database, writes)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        """Rows of a read-only query; empty when the database does not exist yet."""
        if not self.database.exists():
            return []
        return db.query(self.database, sql, params)[1]


def store_from_env() -> DhfStore:
    return DhfStore(
        archive_dir=dg.EnvVar("DHF_ARCHIVE_DIR"),
        output_dir=dg.EnvVar("DHF_OUTPUT_DIR"),
        duckdb_path=dg.EnvVar("DHF_DUCKDB_PATH"),
        max_mural_pixels=dg.EnvVar.int("DHF_MAX_MURAL_PIXELS"),
        png_compress_level=dg.EnvVar.int("DHF_PNG_COMPRESS_LEVEL"),
    )


@dg.definitions
def resources() -> dg.Definitions:
    from dhf_assets.defs.candidates.resources import DetectorsResource
    from dhf_assets.defs.upscale.resources import UpscalerResource

    return dg.Definitions(resources={
        "store": store_from_env(), "detectors": DetectorsResource(), "upscaler": UpscalerResource(),
    })
