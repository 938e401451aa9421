"""Access pages: devices, people's credentials and face consent, events, rules."""
