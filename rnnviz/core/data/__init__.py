"""The data: the ``Source`` protocol, files, texts, series, streams and synthetic tasks."""
