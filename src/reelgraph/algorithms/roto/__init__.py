"""Rotoscoping: per-frame alpha mattes of a shot's subject, steady over time.

One published method per module (see ``docs/agents/roto.md``); import from the modules.
Nothing is imported here, so importing the package stays fast.

=================  ===============================  =========================================
step               module                           entry points
=================  ===============================  =========================================
mask -> trimap     ``trimap_morphology_xu2017``     ``trimap_morphology``
soft alpha         ``guided_filter_he2013``         ``guided_filter``, ``guided_feathering``
temporal fusion    ``temporal_fusion_bai2009``      ``propagate_alpha``, ``fuse_alpha``,
                                                    ``guess_reliability``
edge stability     ``edge_shift_chamfer_barrow1977`` ``edge_shift``
the whole chain    ``chain``                        ``RotoParams``, ``RotoTracker``
=================  ===============================  =========================================

Mattes are float32 ``(H, W)`` coverage in [0, 1] (1 = subject), on the frame's own
pixel grid; frames are R'G'B' float32 ``(H, W, 3)`` in [0, 1].
"""
