"""Liveness and readiness endpoints for load balancers and orchestrators (/healthz, /readyz)."""
