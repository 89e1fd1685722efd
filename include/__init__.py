"""I/O, configuration and orchestration glue of citystats: everything that is not a pure transform."""
