"""Evaluation on the dev split (``make eval``) and the metrics it uses."""
