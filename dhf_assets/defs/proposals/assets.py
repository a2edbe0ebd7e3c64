"""face_proposals: face boxes proposed over each whole mural, written as a table and as VOC pre-annotations."""

from collections import Counter, defaultdict

import dagster as dg

from dhf_assets.defs.incremental.skip import begin, skipped
from dhf_assets.defs.partitions import caves_partitions
from dhf_assets.defs.proposals.resources import ProposalsResource
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.detect.registry import DetectorSetup
from dhf_assets.lib.ingest.boxes import PixelBox
from dhf_assets.lib.proposals.propose import PROPOSAL_COLUMNS, MuralScan, propose_mural
from dhf_assets.lib.proposals.voc_out import proposals_voc_path, write_proposals_voc
from dhf_assets.lib.reports.embed import markdown_image
from dhf_assets.lib.reports.murals import MuralFigure, load_preview, mural_figure_png
from dhf_assets.lib.runtime.threads import limited_torch_threads
from dhf_assets.lib.storage.files import remove_stale_files

PROPOSALS_VERSION = "proposals-v1"

def mural_scans(store: DhfStore, cave_id: str, scope: str) -> tuple[list[MuralScan], dict[str, tuple[int, int]]]:
    """The murals to search (those without an XML, or all) with their annotated boxes, and each one's size."""
    murals = store.query("select mural_id, path, voc_path, width, height from murals where cave_id = ? order by "
                         "mural_id",
                         [cave_id])
    boxes = defaultdict(list)
    for mural_id, face_id, *box in store.query(
            "select mural_id, face_id, xmin, ymin, xmax, ymax from faces where cave_id = ? order by face_id",
            [cave_id]):
        boxes[mural_id].append((face_id, PixelBox(*box)))
    chosen = [m for m in murals if scope == "all" or m[2] is None]
    scans = [MuralScan(cave_id, mural_id, store.archive / path, tuple(boxes[mural_id])) for mural_id, path,
             *_ in chosen]
    return scans, {m[0]: (m[3], m[4]) for m in chosen}


@dg.asset(
    partitions_def=caves_partitions,
    deps=["murals", "faces"],
    group_name="proposals",
    kinds={"pytorch", "duckdb"},
    code_version=PROPOSALS_VERSION,
)
def face_proposals(context: dg.AssetExecutionContext, store: DhfStore,
                   proposer: ProposalsResource) -> dg.MaterializeResult:
    """Face boxes the detectors propose over the cave's whole murals (by default those without an XML).

    Each is open, or already annotated when it overlaps a drawn box.
    """
    cave_id = context.partition_key
    step = begin(context, store, "face_proposals", PROPOSALS_VERSION, proposer.version(), str(store.max_mural_pixels))
    open_files = {proposals_voc_path(store.output, cave_id, m) for (m,) in store.query(
        "select distinct mural_id from face_proposals where cave_id = ? and status = 'open'", [cave_id])}
    if step.unchanged() and all(path.exists() for path in open_files):  # and every open VOC file is there
        return skipped(step)
    scans, sizes = mural_scans(store, cave_id, proposer.scope)
    # Models load only when a mural needs searching (after the skip: loading one costs seconds).
    setup = proposer.setup() if scans else DetectorSetup((), {})
    summary = setup.summary if scans else "none loaded: no mural to search"
    context.log.info(summary)
    if scans and not setup.detectors:
        raise dg.Failure(description=f"no detector can search murals: {summary}")
    rows, problems, tiles, seconds = [], [], 0, {}
    with limited_torch_threads():
        for scan in scans:  # one scan decoded at a time: memory stays bounded
            result = propose_mural(scan, setup.detectors, proposer.grid(), proposer.style(), store.max_mural_pixels)
            rows += result.rows
            problems += result.problems
            tiles += result.tiles
            seconds[scan.mural_id] = round(result.seconds, 2)
    open_boxes = defaultdict(list)
    for row in rows:
        if row[9] == "open":
            open_boxes[row[2]].append(tuple(row[3:7]))
    written = set()
    for scan in scans:  # files first: a crash before the commit leaves extra files, never missing ones
        if open_boxes[scan.mural_id]:
            path = proposals_voc_path(store.output, cave_id, scan.mural_id)
            write_proposals_voc(path, scan.path.name, *sizes[scan.mural_id], open_boxes[scan.mural_id])
            written.add(path)
    store.replace(step.writes(PROPOSAL_COLUMNS, rows, "proposals", problems))
    removed = remove_stale_files(store.output / "proposals" / cave_id, written, "*.xml")
    status = Counter(row[9] for row in rows)
    return dg.MaterializeResult(data_version=dg.DataVersion(step.fingerprint), metadata={
        "dagster/row_count": len(rows),
        "murals_searched": len(scans),
        "open": status["open"],
        "annotated": status["annotated"],
        "quarantined": len(problems),
        "tiles": tiles,
        "seconds_per_mural": dg.MetadataValue.json(seconds),
        "detectors": summary,
        "scope": proposer.scope,
        "voc_files": len(written),
        "stale_voc_removed": removed,
        "preview": dg.MetadataValue.md(_preview(store, scans, rows, store.max_mural_pixels)),
    })


def _preview(store: DhfStore, scans: list[MuralScan], rows: list[tuple], max_pixels: int) -> str:
    """The mural with the most proposals, its open boxes drawn (a picture beats a table of boxes)."""
    counts = Counter(row[2] for row in rows if row[9] == "open")
    if not counts:
        return "no open proposals"
    mural_id = counts.most_common(1)[0][0]
    scan = next(s for s in scans if s.mural_id == mural_id)
    preview, scale = load_preview(scan.path, 900, max_pixels)
    boxes = [tuple(row[3:7]) for row in rows if row[2] == mural_id and row[9] == "open"]
    figure = MuralFigure(f"{scan.cave_id}/{mural_id}: {len(boxes)} open proposals", boxes, (), None)
    return markdown_image(mural_figure_png(preview, scale, figure), f"proposals of {mural_id}")
