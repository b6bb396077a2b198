"""kefu's store domain: what the shop sells, sends and promises, apart from the answer engine.

``catalog`` (products), ``promotions``, ``money`` (prices and amounts in both languages),
``recommend`` (product recommendations) and ``evaluate`` (their offline evaluation),
``orders/`` (the order store, demo seed and return rules), ``logistics/`` (shipping network,
ETA, shipping options, fulfilment planner) and ``generate/`` (pitches and descriptions, checked
by a guard). Commands: ``python -m shop recommend``, ``python -m shop.logistics``,
``python -m shop.generate``.

It uses only the public pieces of ``knowledge`` (its settings, errors and, for
recommendations, its encoder); nothing in ``knowledge`` imports ``shop``.
"""
