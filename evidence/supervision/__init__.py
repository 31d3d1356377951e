"""The supervisor home page: one period of a unit at a glance."""
