"""Entities: Rasa's CRF, trained only on the examples whose entities were annotated.

Rasa's ``CRFEntityExtractor`` learns from every NLU example: an example without annotations
teaches it that none of its tokens is an entity. Examples written to widen the intents (a
block whose intent metadata says ``entities: unannotated``) do not mark the products, cities
or budgets they mention, so they would teach the CRF the opposite of the truth, and every
such example added moved it (measured: 750 intent examples broke 2 of 310 story turns, a
budget "500" and a city "南京市" no longer found). This extractor skips them; the intent
classifier still learns from every example.

In the NLU files::

    - intent: greet
      metadata:
        entities: unannotated
      examples: |
        - 哈喽，有客服在线不
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor
from rasa.shared.nlu.constants import METADATA, METADATA_INTENT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

UNANNOTATED = "unannotated"


def annotated(message: Message) -> bool:
    """False for an example from a block marked ``entities: unannotated``."""
    metadata: Any = message.get(METADATA) or {}
    block = metadata.get(METADATA_INTENT) if isinstance(metadata, dict) else None
    return not (isinstance(block, dict) and block.get("entities") == UNANNOTATED)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True
)
class AnnotatedCRFEntityExtractor(CRFEntityExtractor):
    """``CRFEntityExtractor`` that trains on the entity-annotated examples only."""

    def train(self, training_data: TrainingData) -> Resource:
        """Train the CRF on every example except the ``entities: unannotated`` blocks."""
        kept = TrainingData(
            [m for m in training_data.training_examples if annotated(m)],
            entity_synonyms=training_data.entity_synonyms,
            regex_features=training_data.regex_features,
            lookup_tables=training_data.lookup_tables,
            responses=training_data.responses,
        )
        return super().train(kept)
