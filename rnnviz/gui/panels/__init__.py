"""One file per view; each panel is built once and then only updated with setData / setImage."""
