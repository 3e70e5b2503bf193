"""Cohorts for the joint training centers (pages on the center blueprint)."""
