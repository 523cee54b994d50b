"""Huimin Bao member service."""
