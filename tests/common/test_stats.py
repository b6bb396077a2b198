from common.stats import percentile


def test_nearest_rank_percentiles() -> None:
    ordered = [float(x) for x in range(1, 101)]  # 1..100
    assert percentile(ordered, 0.5) == 51.0
    assert percentile(ordered, 0.95) == 96.0
    assert percentile(ordered, 1.0) == 100.0, "the top quantile is the largest value"
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0
