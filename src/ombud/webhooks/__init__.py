"""Webhooks: signed event deliveries to receivers staff registered, and OpenDSR callbacks."""
