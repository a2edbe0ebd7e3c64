"""Report images of the paper's figures (3, 6, 7, 8), drawn from the marts into $DHF_OUTPUT_DIR/reports/."""

import dagster as dg

from dhf_assets.defs.incremental.skip import FORCE_TAG
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.reports.build import write_attribute_charts, write_crop_resolution_chart, write_mural_figures
from dhf_assets.lib.reports.embed import markdown_image
from dhf_assets.lib.storage.db import TableWrite
from dhf_assets.lib.storage.incremental import FACE_INPUT_COLUMNS

# Mural figures shown inline in the UI (the rest are files): the ones with the most symmetric pairs.
PREVIEW_MURALS = 3
# Each figure's inputs are kept in face_stage_inputs under this asset name, keyed by mural (lib/storage/incremental.py).
FIGURES = "mural_symmetry_figures"


class MuralFiguresConfig(dg.Config):
    max_side: int = 1600  # longer side of each figure, in pixels; bigger scans are downscaled


@dg.asset(deps=["attribute_distribution"], group_name="reports", kinds={"python"})
def attribute_distribution_charts(store: DhfStore) -> dg.MaterializeResult:
    """Bar charts of the period, cave style, site, identity and orientation distributions of 3k and 500.

    Figures 6 and 7 of the paper.
    """
    written = write_attribute_charts(store.database, store.output / "reports")
    return dg.MaterializeResult(metadata={
        **{f"chart_{w.path.stem.rsplit('_', 1)[-1]}": dg.MetadataValue.md(
            f"**{w.caption}**\n\n{markdown_image(w.png, w.path.stem)}") for w in written},
        **{f"path_{w.path.stem.rsplit('_', 1)[-1]}": dg.MetadataValue.path(str(w.path)) for w in written},
    })


@dg.asset(deps=["crop_resolution", "upscale_tiers"], group_name="reports", kinds={"python"})
def crop_resolution_chart(store: DhfStore) -> dg.MaterializeResult:
    """Histogram of the crops' longer side with the 256 / 512 px upscaling tiers marked (Figure 3)."""
    written = write_crop_resolution_chart(store.database, store.output / "reports")
    return dg.MaterializeResult(metadata={
        "chart": dg.MetadataValue.md(f"**{written.caption}**\n\n{markdown_image(written.png, 'crop resolution')}"),
        "path": dg.MetadataValue.path(str(written.path)),
    })


@dg.asset(deps=["mural_symmetry", "symmetry_pairs", "faces", "murals"], group_name="reports", kinds={"python"})
def mural_symmetry_figures(context: dg.AssetExecutionContext, config: MuralFiguresConfig,
                           store: DhfStore) -> dg.MaterializeResult:
    """Every mural with its face boxes, symmetry axis and symmetric pairs labelled with H/V/A errors (Figure 8)."""
    recorded = {} if context.run.tags.get(FORCE_TAG) == "true" else {
        (cave, mural): inputs for cave, mural, inputs in store.query(
            "select cave_id, face_id, inputs from face_stage_inputs where asset = ?", [FIGURES])}
    written, skipped = write_mural_figures(store.database, store.archive, store.output / "reports",
                                           config.max_side, store.max_mural_pixels, recorded)
    store.replace([TableWrite("face_stage_inputs", FACE_INPUT_COLUMNS,
                              [(w.path.parent.name, FIGURES, w.path.stem, w.inputs) for w in written],
                              {"asset": FIGURES})])
    for reason in skipped:
        context.log.warning(f"mural figure skipped: {reason}")
    shown = sorted(written, key=lambda w: (-w.pairs, str(w.path)))[:PREVIEW_MURALS]
    previews = "\n\n".join(f"**{w.caption}**\n\n{markdown_image(w.png, w.path.stem, 120_000)}" for w in shown)
    return dg.MaterializeResult(metadata={
        "figures": len(written),
        "drawn": sum(w.drawn for w in written),
        "skipped": dg.MetadataValue.json(skipped),
        "folder": dg.MetadataValue.path(str(store.output / "reports" / "murals")),
        "preview": dg.MetadataValue.md(previews or "_no mural with faces yet_"),
    })

