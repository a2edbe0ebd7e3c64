import dagster as dg

from dhf_assets.defs.partitions import CAVES_PARTITION
from dhf_assets.defs.sensors import archive_sensor
from dhf_assets_tests.archive_factory import two_cave_archive, write_caves, write_mural


def evaluate(instance, store, cursor=None) -> dg.SensorResult:
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"store": store})
    return archive_sensor(context)


def test_new_caves_become_partitions_with_a_run_each(store, instance):
    two_cave_archive(store.archive)
    result = evaluate(instance, store)
    assert sorted(r.partition_key for r in result.run_requests if r.job_name == "cave_job") == ["A1", "B2"]
    assert [r.job_name for r in result.run_requests].count("catalog_job") == 1
    assert result.dynamic_partitions_requests[0].partition_keys == ["A1", "B2"]
    instance.add_dynamic_partitions(CAVES_PARTITION, ["A1", "B2"])  # what the daemon does with the request
    again = evaluate(instance, store, cursor=result.cursor)
    assert again.run_requests == [] and again.dynamic_partitions_requests == []
    write_mural(store.archive, "C3", "m1", (50, 50), [])
    write_caves(store.archive, [("A1", "MC", "FD", "IDRS"), ("B2", "YC", "HT", "DS"), ("C3", "MC", "SU", "CPS")])
    third = evaluate(instance, store, cursor=again.cursor)
    assert sorted((r.job_name, r.partition_key) for r in third.run_requests) == [("catalog_job", None), ("cave_job", "C3")]


def test_a_changed_review_file_requests_a_run_for_that_cave_only(store, instance):
    two_cave_archive(store.archive)
    first = evaluate(instance, store)
    instance.add_dynamic_partitions(CAVES_PARTITION, ["A1", "B2"])
    reviews = store.archive / "reviews"
    reviews.mkdir()
    (reviews / "B2.csv").write_text("face_id,decision,subset,tags,reviewer,reviewed_at\n")
    second = evaluate(instance, store, cursor=first.cursor)
    assert [(r.job_name, r.partition_key) for r in second.run_requests] == [("cave_job", "B2")]
    assert evaluate(instance, store, cursor=second.cursor).run_requests == []
    (reviews / "B2.csv").write_text("face_id,decision,subset,tags,reviewer,reviewed_at\nx,reject,,,me,2026-01-01\n")
    assert [r.partition_key for r in evaluate(instance, store, cursor=second.cursor).run_requests] == ["B2"]
