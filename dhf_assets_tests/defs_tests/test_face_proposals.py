"""face_proposals through Dagster on the sample with one mural's XML set aside, a corrupt scan beside it."""

import dagster as dg

from dhf_assets.defs.faces.assets import faces
from dhf_assets.defs.murals.assets import murals
from dhf_assets.defs.partitions import CAVES_PARTITION
from dhf_assets.defs.proposals.assets import face_proposals
from dhf_assets.defs.proposals.resources import ProposalsResource
from dhf_assets.defs.quarantine import quarantine
from dhf_assets.lib.ingest.boxes import voc_to_pixel_box
from dhf_assets.lib.ingest.voc import parse_voc_file
from dhf_assets.lib.proposals.propose import iou
from dhf_assets.lib.sample.build import build_sample_archive, sample_manifest
from dhf_assets_tests.defs_tests.conftest import build_catalog, rows

CAVE, MURAL, CORRUPT = "YL025", "north_wall", "west_wall"


def _archive_files(store) -> dict[str, int]:
    return {str(p.relative_to(store.archive)): p.stat().st_mtime_ns for p in store.archive.rglob("*")}


def test_proposals_find_the_real_faces_of_a_mural_without_xml_and_quarantine_a_corrupt_scan(store, instance, shared):
    build_sample_archive(store.archive)
    folder = store.archive / "murals" / CAVE
    (folder / f"{MURAL}.xml").unlink()  # set aside: nobody has annotated this mural yet
    (folder / f"{CORRUPT}.xml").unlink()
    scan = folder / f"{CORRUPT}.jpg"
    scan.write_bytes(scan.read_bytes()[: scan.stat().st_size // 2])  # the header reads, the pixels do not
    build_catalog(store, instance)
    instance.add_dynamic_partitions(CAVES_PARTITION, [CAVE])
    proposer = ProposalsResource(detectors="mtcnn,yunet",
                                 yunet_model=str(shared("weights", "face_detection_yunet_2023mar.onnx")))
    before = _archive_files(store)

    def build():
        return dg.materialize([murals, faces, face_proposals, quarantine], partition_key=CAVE, instance=instance,
                              resources={"store": store, "proposer": proposer})

    result = build()
    found = rows(store, "select proposal_id, mural_id, xmin, ymin, xmax, ymax, status, detectors from face_proposals")
    real = [b for b in sample_manifest().face_boxes if (b.cave_id, b.mural_id) == (CAVE, MURAL)]
    on_mural = [r for r in found if r[1] == MURAL]
    for face in real:  # every real face is proposed with a box the curator can accept as drawn
        box = (face.box.xmin, face.box.ymin, face.box.xmax, face.box.ymax)
        assert max(iou(box, tuple(r[2:6])) for r in on_mural) >= 0.5, face
    assert len(on_mural) <= len(real) + 1 and {r[6] for r in on_mural} == {"open"}
    assert {r[7] for r in on_mural} == {"mtcnn,yunet"}

    voc = parse_voc_file(store.output / "proposals" / CAVE / f"{MURAL}.xml")
    assert {o.name for o in voc.objects} == {"face"} and voc.size == (1500, 950)
    written = {(b.xmin, b.ymin, b.xmax, b.ymax) for b in (voc_to_pixel_box(o, 1500, 950).box for o in voc.objects)}
    assert written == {tuple(r[2:6]) for r in on_mural}  # the file holds exactly the open proposals

    problems = rows(store, "select file, reason from quarantine where cave_id = ? and stage = 'proposals'", [CAVE])
    assert problems == [(f"{CORRUPT}.jpg", problems[0][1])] and "truncated" in problems[0][1]
    assert _archive_files(store) == before  # nothing is written into the archive
    meta = result.asset_materializations_for_node("face_proposals")[0].metadata
    assert meta["open"].value == len(found) and "yunet (yunet-" in meta["detectors"].value

    again = build().asset_materializations_for_node("face_proposals")[0].metadata
    assert again["skipped"].value is True
    assert (
        rows(store, "select proposal_id, mural_id, xmin, ymin, xmax, ymax, status, detectors from face_proposals")
        == found
    )
