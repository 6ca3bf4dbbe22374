"""Plate restoration algorithms: analysis, deblocking, denoising, upscaling, grain, debanding, SDR to HDR."""
