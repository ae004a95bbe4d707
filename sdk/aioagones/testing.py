"""Test helpers for game developers: an in-process local sidecar and a pytest fixture."""
