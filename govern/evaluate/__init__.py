"""Evaluation and decision: rules against a mesh, waivers, baselines, fingerprints, the gate."""
