"""The learned models reelgraph ships as package data (model cards in ``docs/models/``).

* ``restore_x2.onnx`` — joint deblocking, denoising, debanding and ×2 upscaling of
  8-bit-derived R'G'B' pictures (trained by ``training/restore/``; ×4 runs it twice);
* ``restore_x1.onnx`` — the same restoration at the picture's own size.

Each model's training report (data, steps, validation PSNR) is the ``.json`` beside it.
They are found with :func:`reelgraph.media.models.shipped_model`.
"""
