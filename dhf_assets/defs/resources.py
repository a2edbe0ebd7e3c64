"""Resources: where the archive, the outputs and the DuckDB tables live."""


from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

import dagster as dg

from dhf_assets.lib.runtime.settings import Settings, current_settings
from dhf_assets.lib.storage import db


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
        with self.reader() as read:
            return read(sql, params)

    @contextmanager
    def reader(self) -> Iterator[Callable[..., list[tuple]]]:
        """`query` for several reads in one read-only connection (opening one costs ~16 ms); hold it only to read."""
        if not self.database.exists():
            yield lambda sql, params=(): []
            return
        with db.connect(self.database, read_only=True) as con:
            yield lambda sql, params=(): con.execute(sql, list(params)).fetchall()


def store_from_settings(settings: Settings) -> DhfStore:
    """The store at the settings' absolute paths (resolved in the process that loads the definitions)."""
    return DhfStore(
        archive_dir=str(settings.archive_dir),
        output_dir=str(settings.output_dir),
        duckdb_path=str(settings.duckdb_path),
        max_mural_pixels=settings.max_mural_pixels,
        png_compress_level=settings.png_compress_level,
    )


def store_from_env() -> DhfStore:
    return store_from_settings(current_settings())


@dg.definitions
def resources() -> dg.Definitions:
    from dhf_assets.defs.candidates.resources import DetectorsResource
    from dhf_assets.defs.proposals.resources import ProposalsResource
    from dhf_assets.defs.upscale.resources import UpscalerResource

    settings = current_settings()  # read once per definitions load, passed to every resource
    return dg.Definitions(resources={
        "store": store_from_settings(settings),
        "detectors": DetectorsResource.from_settings(settings),
        "upscaler": UpscalerResource.from_settings(settings),
        "proposer": ProposalsResource.from_settings(settings),
    })
