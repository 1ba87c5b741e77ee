"""The REST API (/api/v1): routes by capability and their schemas."""
