"""Media I/O: probe, streaming video, EXR, audio, colour tags."""
