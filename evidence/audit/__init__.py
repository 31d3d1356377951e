"""Audit: the hash-chained log, its signed checkpoints, audit reports and the signing keys."""
