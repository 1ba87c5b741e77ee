"""Exchange: import projects from CSV, export tables and publish open data."""
