"""Manual tasks: systems and recipients without a connector, handled by their owners."""
