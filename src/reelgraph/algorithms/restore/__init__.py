"""Plate restoration: analysis, deblocking, denoising, upscaling, grain, debanding, SDR to HDR.

One published method per module (see ``docs/agents/restoration.md``); import from the
modules, e.g. ``from reelgraph.algorithms.restore.denoise import denoise``. Nothing is
imported here, so importing the package stays fast.

==============  ==========================  ==============================================
step            module                      entry points
==============  ==========================  ==============================================
analysis        ``analysis``                ``analyse_frames`` -> ``PlateAnalysis``
deblock         ``deblock_avc2003``         ``deblock_avc2003``, ``qp_from_blockiness``
denoise         ``denoise``                 ``denoise`` (``mctf``, ``nlmeans``),
                                            ``window_bounds``, ``DENOISE_TEMPORAL_RADIUS``
upscale         ``upscale``                 ``upscale`` (``dcci``, ``lanczos``, ``onnx``)
                ``upscale_onnx``            ``upscale_onnx`` (a model loaded by ``media.models``)
grain           ``film_grain_av1``          ``estimate_film_grain_av1``,
                                            ``apply_film_grain_av1``
deband          ``deband_f3kdb``            ``deband_f3kdb``
SDR -> HDR      ``itm``                     ``inverse_tone_map`` (``bt2408``, ``bt2446c``)
transfers       ``transfer_bt2100``         PQ / HLG / BT.1886 wrappers of colour-science
whole chain     ``chain``                   ``RestoreParams``, ``restore_stream``
==============  ==========================  ==============================================
"""
