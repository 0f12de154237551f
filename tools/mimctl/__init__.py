"""mimctl: major incident management as code."""

__version__ = "0.2.0"
