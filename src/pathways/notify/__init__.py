"""Messages: rendering (Jinja2, StrictUndefined, Babel) and delivery (Apprise)."""
