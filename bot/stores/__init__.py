"""Tracker stores of kefu (loaded by Rasa from endpoints.yml)."""
