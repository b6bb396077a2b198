"""Turn the store's documents into passages that keep their source."""

from knowledge.ingest.load import LoadResult, load_documents

__all__ = ["LoadResult", "load_documents"]
