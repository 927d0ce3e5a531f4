"""evals.tables: the one percentile and the one text table every benchmark prints."""

from evals.tables import percentile, text_table


def test_percentile_interpolates_like_numpy():
    values = [float(v) for v in range(100, 0, -1)]  # unsorted on purpose
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50.5, 95.05, 99.01)
    assert percentile([7.0], 99) == 7.0 and percentile([1.0, 3.0], 50) == 2.0
    assert percentile([], 50) is None


def test_text_table_aligns_columns_and_formats_floats():
    out = text_table([{"stage": "retrieve", "p50 ms": 12.3456}, {"stage": "read", "p50 ms": 100.0}], "Latency")
    lines = out.strip("\n").split("\n")
    assert lines[0] == "Latency"
    assert lines[1] == "stage    | p50 ms"
    assert lines[3] == "retrieve | 12.35 "
    assert lines[4] == "read     | 100.00"
