"""Placeholder until the window exists: says what ``rnnviz`` will open."""


def launch(args) -> int:
    print("rnnviz: the window is not built yet; it will open the default sample text, ready to train.")
    return 0
