"""Background work: the one scheduler of periodic jobs, and Celery workers for scale-out."""
