"""I/O, configuration and orchestration glue of citystats: all that is not a pure transform."""
