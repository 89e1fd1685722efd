"""Deployment helpers: the production-shape processes, the init step and the secrets."""
