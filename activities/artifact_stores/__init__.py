"""Artifact stores beside the directory store of activities/artifacts.py."""
