"""Training kefu's own models from the store's knowledge base (``make models``)."""
