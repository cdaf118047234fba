"""Programme templates, installed as ``fitplug.templates`` (read with importlib.resources)."""
