"""People: organisations, persons, accounts, sign-in, access, privacy and resource people."""
