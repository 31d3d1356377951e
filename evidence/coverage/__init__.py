"""Enforcement events, their recording coverage, links and reports."""
