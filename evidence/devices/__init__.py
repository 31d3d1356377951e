"""Devices: body cameras, who carried them when, and the one rule that says whose a recording is."""
