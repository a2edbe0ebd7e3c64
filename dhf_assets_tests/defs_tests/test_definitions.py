import dagster as dg

from dhf_assets.definitions import defs


def test_all_definitions_load():
    definitions = defs()
    keys = {k.to_user_string() for k in definitions.resolve_asset_graph().get_all_asset_keys()}
    assert {"vocabulary", "caves", "murals", "faces", "quarantine"} <= keys
    assert definitions.resolve_job_def("cave_job").partitions_def.name == "caves"
    assert definitions.resolve_job_def("catalog_job") is not None
    assert definitions.resolve_sensor_def("archive_sensor") is not None


def test_every_asset_has_a_one_sentence_description():
    graph = defs().resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        description = graph.get(key).description or ""
        assert description.strip().endswith(".") and description.count(". ") == 0, key
