"""flask seed-demo: believable demo data."""
