"""Rasa input channels of kefu (loaded by Rasa from credentials.yml; run with cwd bot/)."""
