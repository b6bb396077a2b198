from pathlib import Path

import pytest

from knowledge.settings import REPO_ROOT
from shop.logistics.network import Network

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "shop"


@pytest.fixture(scope="session")
def tiny() -> Network:
    """Six cities, two warehouses (SHA capacity 3, XIY), three carriers (tests/fixtures/shop)."""
    return Network.load(FIXTURE / "logistics", FIXTURE / "store.yaml")


@pytest.fixture(scope="session")
def store_network() -> Network:
    """The demo store's real network (data/logistics)."""
    return Network.load(REPO_ROOT / "data" / "logistics", REPO_ROOT / "data" / "store.yaml")
