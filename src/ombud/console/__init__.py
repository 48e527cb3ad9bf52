"""The staff console: server-rendered pages under ``/staff`` for privacy officers."""
