"""Queue workers (dramatiq actors) that call the same stage functions as `pipeline.run`."""
