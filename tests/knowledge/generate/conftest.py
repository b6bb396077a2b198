import pytest

from knowledge.catalog import Catalog
from knowledge.generate.facts import Facts, ProductFacts
from knowledge.generate.guard import Guard
from knowledge.settings import REPO_ROOT


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load(REPO_ROOT / "data" / "catalog" / "products.csv")


@pytest.fixture(scope="session")
def guard(catalog: Catalog) -> Guard:
    return Guard(catalog)


def facts_for(catalog: Catalog, pid: str, lang: str, kind: str = "pitch", **kw: str) -> Facts:
    p = catalog.by_id[pid]
    return Facts(kind, lang, (ProductFacts.of(p, lang, reason=kw.pop("reason", "")),), **kw)
