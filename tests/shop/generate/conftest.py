import pytest

from knowledge.settings import REPO_ROOT
from shop.catalog import Catalog
from shop.generate.facts import Facts, ProductFacts
from shop.generate.guard import Guard


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load(REPO_ROOT / "data" / "catalog" / "products.csv")


@pytest.fixture(scope="session")
def guard(catalog: Catalog) -> Guard:
    return Guard(catalog)


def facts_for(catalog: Catalog, pid: str, lang: str, kind: str = "pitch", **kw: str) -> Facts:
    p = catalog.by_id[pid]
    return Facts(kind, lang, (ProductFacts.of(p, lang, reason=kw.pop("reason", "")),), **kw)
