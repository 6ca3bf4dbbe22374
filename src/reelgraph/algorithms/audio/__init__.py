"""Audio algorithms: loudness measurement, dialogue detection, noise reduction, dynamics."""
