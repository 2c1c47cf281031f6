"""Use cases: one function each, holding the rules. They never touch request/session/flash."""
