"""The demo project, built from photographs shipped in scikit-image."""
