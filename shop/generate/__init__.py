"""Catalog-grounded generation: pitches, marketing messages and product descriptions.

- ``facts``: the structured facts a text may state (products, prices, promotion, reason).
- ``prompt``: chat messages that carry the facts, and the shopper's words, as quoted data.
- ``backends``: a causal LM in-process (transformers) or an OpenAI-compatible HTTP server.
- ``guard``: every name, price, number and promise in the output is checked against the facts.
- ``templates``: the deterministic text the same facts give when the model fails the guard.
- ``generator``: model first, within a token and a time budget; else the template.
"""
