"""The case pages: lists, the case page, its forms and what they show."""
