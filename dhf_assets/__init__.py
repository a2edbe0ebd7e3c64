"""dhf: the Dunhuang_Faces data platform."""
