"""archive_sensor and incremental_caves_schedule over a temporary archive."""

import os
import time

import dagster as dg

from dhf_assets.defs.partitions import CAVES_PARTITION
from dhf_assets.defs.schedules import incremental_caves_schedule
from dhf_assets.defs.sensors import archive_sensor
from dhf_assets.lib.ingest.voc import render_voc
from dhf_assets.lib.storage.db import TableWrite, replace_rows
from dhf_assets.lib.storage.incremental import current_hashes
from dhf_assets.lib.storage.quarantine import QUARANTINE_COLUMNS
from dhf_assets_tests.archive_factory import two_cave_archive, voc_box, write_caves, write_mural
from dhf_assets_tests.defs_tests.conftest import rows


def evaluate(instance, store, cursor=None) -> dg.SensorResult:
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"store": store}) as context:
        return archive_sensor(context)


def cave_requests(result) -> list[str]:
    return sorted(r.partition_key for r in result.run_requests if r.job_name == "cave_job")


def mark_built(store, caves):
    """What a successful cave run leaves behind: the inputs it was built from."""
    from datetime import datetime, timezone

    hashes = current_hashes(store.archive, caves)
    replace_rows(store.database, [TableWrite("cave_builds", ("cave_id", "inputs_hash", "built_at"),
                                             [(c, hashes[c], datetime.now(timezone.utc))],
                                             {"cave_id": c}) for c in caves])


def registered_and_built(store, instance):
    two_cave_archive(store.archive)
    first = evaluate(instance, store)
    instance.add_dynamic_partitions(CAVES_PARTITION, ["A1", "B2"])  # what the daemon does with the request
    mark_built(store, ["A1", "B2"])
    return first


def test_new_caves_become_partitions_with_a_run_each_in_the_same_tick(store, instance):
    two_cave_archive(store.archive)
    result = evaluate(instance, store)
    assert cave_requests(result) == ["A1", "B2"]
    assert [r.job_name for r in result.run_requests].count("catalog_job") == 1
    assert result.dynamic_partitions_requests[0].partition_keys == ["A1", "B2"]


def test_nothing_changed_requests_nothing(store, instance):
    first = registered_and_built(store, instance)
    again = evaluate(instance, store, cursor=first.cursor)
    assert again.run_requests == [] and again.dynamic_partitions_requests == []
    assert (
        evaluate(instance, store).run_requests[0].job_name == "catalog_job"
    )  # a cursor-less daemon re-reads caves.csv only


def test_a_changed_voc_file_runs_exactly_that_cave(store, instance):
    first = registered_and_built(store, instance)
    (store.archive / "murals/A1/m2.xml").write_text(render_voc("m2.jpg", 500, 400, [voc_box(1, 1, 70, 80, "B")]))
    result = evaluate(instance, store, cursor=first.cursor)
    assert cave_requests(result) == ["A1"] and len(result.run_requests) == 1
    assert [o.partition for o in result.asset_events] == ["A1"]  # the UI marks A1's murals stale
    repeat = evaluate(instance, store, cursor=result.cursor)
    assert [r.run_key for r in repeat.run_requests] == [
        r.run_key for r in result.run_requests
    ]  # same key: not run twice


def test_a_restarted_daemon_neither_misses_nor_repeats(store, instance):
    registered_and_built(store, instance)
    write_mural(store.archive, "B2", "m9", (120, 90), [voc_box(1, 1, 40, 40)])  # changed while the daemon was down
    result = evaluate(instance, store, cursor=None)
    assert cave_requests(result) == ["B2"]


def test_a_changed_or_new_review_file_runs_that_cave(store, instance):
    first = registered_and_built(store, instance)
    reviews = store.archive / "reviews"
    reviews.mkdir()
    (reviews / "B2.csv").write_text("face_id,decision,subset,tags,reviewer,reviewed_at\n")
    assert cave_requests(evaluate(instance, store, cursor=first.cursor)) == []  # a reviewer at work: quiet period
    past = time.time() - 181
    os.utime(reviews / "B2.csv", (past, past))  # the file has been quiet for longer than DHF_REVIEW_QUIET_S
    assert cave_requests(evaluate(instance, store, cursor=first.cursor)) == ["B2"]


def test_a_removed_cave_is_retired_and_its_partition_removed(store, instance):
    first = registered_and_built(store, instance)
    crop = store.output / "crops/B2/m1/x.png"
    crop.parent.mkdir(parents=True)
    crop.write_bytes(b"png")
    replace_rows(
        store.database,
        [TableWrite("quarantine", QUARANTINE_COLUMNS, [("B2", "faces", "f", "", "r", "error")], {"cave_id": "B2"})],
    )
    import shutil

    shutil.rmtree(store.archive / "murals/B2")
    result = evaluate(instance, store, cursor=first.cursor)
    assert result.dynamic_partitions_requests[0].partition_keys == ["B2"]
    assert type(result.dynamic_partitions_requests[0]).__name__ == "DeleteDynamicPartitionsRequest"
    assert rows(store, "select count(*) from quarantine where cave_id = 'B2'") == [(0,)]
    assert not (store.output / "crops/B2").exists() and cave_requests(result) == []


def schedule_tick(instance, store):
    with dg.build_schedule_context(instance=instance, resources={"store": store}) as context:
        return incremental_caves_schedule(context)


def test_schedule_requests_nothing_when_nothing_changed_and_one_run_per_changed_cave(store, instance):
    registered_and_built(store, instance)
    quiet = schedule_tick(instance, store)
    assert isinstance(quiet, dg.SkipReason) and "no input changed in 2 cave(s)" in quiet.skip_message
    write_caves(store.archive, [("A1", "MC", "FD", "IDRS"), ("B2", "YC", "SU", "DS")])  # B2's catalog row changed
    requests = schedule_tick(instance, store)
    assert [r.partition_key for r in requests] == ["B2"]
