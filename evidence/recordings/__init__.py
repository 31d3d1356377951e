"""Recordings: the catalog of originals, who may see them, their processing state and camera clocks."""
