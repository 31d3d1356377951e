"""Docking-station agent for the body-camera evidence service."""

__version__ = "0.1.0"
