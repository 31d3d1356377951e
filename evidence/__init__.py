"""The core: settings, database, migrations and one package per domain; flows.py joins the domains."""
