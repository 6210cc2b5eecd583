"""Serving the lessons with Voila: the layer between the lessons' apps and the command line."""
