"""The main window's parts: layout, controls, files, status, banner, keys and help."""
