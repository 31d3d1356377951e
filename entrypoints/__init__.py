"""Entry points out of the core: the `evidence` command line and the single-box launcher.

They sit above every layer (they may queue tasks and start workers and the API), so nothing
below imports them.
"""
