"""Numbers fixed by the colour standards, defined once for every module that needs them.

========================  ====================================================================
constant                  source
========================  ====================================================================
``LUMA_BT709``            ITU-R BT.709-6 item 3.2: Y' = 0.2126 R' + 0.7152 G' + 0.0722 B'
``LUMA_BT2020``           ITU-R BT.2020-2 Table 4 (non-constant luminance): 0.2627, 0.6780,
                          0.0593
``LUMA_BT601``            ITU-R BT.601-7 item 2.5.1: 0.299, 0.587, 0.114
``HDR_REFERENCE_WHITE``   Report ITU-R BT.2408-7 §2.2: HDR reference (diffuse) white,
                          203 cd/m², where SDR white lands
``HDR_NOMINAL_PEAK``      ITU-R BT.2100-2 Table 5 (HLG): nominal peak luminance of the
                          reference display, 1000 cd/m²; also the default mastering peak
                          for PQ masters
========================  ====================================================================

>>> round(float(LUMA_BT709.sum()), 6)
1.0
"""

from __future__ import annotations

import numpy as np

#: Luma weights (K_R, K_G, K_B) by the FFmpeg name of their matrix, float32 for frame maths.
LUMA_BT709 = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
LUMA_BT2020 = np.array([0.2627, 0.6780, 0.0593], dtype=np.float32)
LUMA_BT601 = np.array([0.299, 0.587, 0.114], dtype=np.float32)
LUMA_WEIGHTS = {
    "bt709": LUMA_BT709,
    "bt2020nc": LUMA_BT2020,
    "bt2020": LUMA_BT2020,
    "bt470bg": LUMA_BT601,
    "smpte170m": LUMA_BT601,
}

#: cd/m² of HDR reference (diffuse) white (Report ITU-R BT.2408).
HDR_REFERENCE_WHITE = 203.0
#: cd/m² of the reference display's nominal peak (ITU-R BT.2100 HLG; PQ mastering default).
HDR_NOMINAL_PEAK = 1000.0
