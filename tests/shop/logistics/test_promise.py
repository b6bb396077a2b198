from datetime import date, datetime

from shop.logistics.network import Network
from shop.logistics.promise import dispatch_date, eta, shipping_options

# naive UTC store times; Beijing is UTC+8
BEFORE_CUTOFF = datetime(2026, 11, 30, 7, 59)  # 15:59 Beijing
AT_CUTOFF = datetime(2026, 11, 30, 8, 0)  # 16:00 Beijing
LATE_EVENING = datetime(2026, 11, 30, 17, 0)  # 01:00 on Dec 1 in Beijing


def test_dispatch_cutoff_is_16_beijing(tiny: Network) -> None:
    assert dispatch_date(tiny, BEFORE_CUTOFF) == date(2026, 11, 30)
    assert dispatch_date(tiny, AT_CUTOFF) == date(2026, 12, 1)
    assert dispatch_date(tiny, LATE_EVENING) == date(2026, 12, 1)


def test_eta_is_dispatch_plus_transit(tiny: Network) -> None:
    due = eta(
        tiny, tiny.warehouses["SHA"], tiny.carriers["FAST"], tiny.cities["北京"], date(2026, 11, 30)
    )
    assert due == date(2026, 12, 2)


def test_options_fees_dates_and_marks(tiny: Network) -> None:
    shanghai = tiny.cities["上海"]
    small = shipping_options(tiny, shanghai, 50.0, "regular", BEFORE_CUTOFF)
    standard, express = small
    assert (standard.service, standard.fee, express.service, express.fee) == (
        "standard",
        8.0,
        "express",
        20.0,
    )
    assert express.latest == date(2026, 12, 1) and express.fastest and not standard.fastest
    assert standard.earliest == date(2026, 12, 2) and standard.latest == date(2026, 12, 4)
    assert standard.cheapest and not express.cheapest
    big = shipping_options(tiny, shanghai, 120.0, "regular", BEFORE_CUTOFF)
    assert big[0].fee == 0.0
    gold = shipping_options(tiny, shanghai, 50.0, "gold", BEFORE_CUTOFF)
    assert gold[1].fee == 0.0 and gold[1].cheapest and gold[1].fastest
    unknown = shipping_options(tiny, shanghai, None, "regular", BEFORE_CUTOFF)
    assert unknown[0].fee is None and unknown[0].cheapest and not unknown[1].cheapest


def test_remote_and_hong_kong_get_standard_only_within_their_windows(tiny: Network) -> None:
    (lhasa,) = shipping_options(tiny, tiny.cities["拉萨"], 50.0, "gold", BEFORE_CUTOFF)
    assert lhasa.service == "standard" and lhasa.earliest == date(2026, 12, 5)
    assert lhasa.latest == date(2026, 12, 7) and not lhasa.fastest
    (hk,) = shipping_options(tiny, tiny.cities["香港"], None, "regular", BEFORE_CUTOFF)
    assert hk.earliest == date(2026, 12, 5) and hk.latest == date(2026, 12, 10)
