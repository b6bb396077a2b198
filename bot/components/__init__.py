"""kefu's custom Rasa components (on the Python path when Rasa runs from bot/)."""
