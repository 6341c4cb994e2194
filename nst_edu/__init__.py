"""nst_edu: Gatys, Ecker & Bethge (2015), "A Neural Algorithm of Artistic Style", by doing it."""

__version__ = "0.1.0"
