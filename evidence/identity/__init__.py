"""Identity: the unit tree, users, docking stations, sign-in, the login throttle and password rules."""
