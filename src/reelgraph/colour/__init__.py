"""Colour management and colour decisions: scene-linear conversion by colour tag, 3D LUTs,
CDL files, shot matching across a scene, looks from reference stills and scene variables."""
