"""pyqtgraph helpers shared by the panels: style, steady ranges, curves and the grid."""
