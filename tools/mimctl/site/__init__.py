"""The published site: status page, incident history, KEDB, reviews, reports, status API.

Page generation is a pure function from records to files (``generate``); the
MkDocs plugin in ``plugin.py`` only adds those files to the build.
"""
