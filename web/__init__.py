"""kefu's web front: the shopper widget (static files) and, later, the agent console."""
