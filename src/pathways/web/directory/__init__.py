"""The directory pages: projects and people, with their edit forms."""
