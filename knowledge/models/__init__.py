"""Models by name: resolve a Hugging Face id to a local folder, offline when it must be."""

from knowledge.models.resolve import ModelResolver

__all__ = ["ModelResolver"]
