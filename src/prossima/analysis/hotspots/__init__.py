"""Find where and when events concentrate: one module per statistic family.

- ``kde``: kernel density on a grid (quartic, Gaussian) by FFT convolution.
- ``getis_ord``: Getis-Ord Gi* with analytic and permutation inference, FDR, Gi_Bin classes.
- ``moran``: Local Moran's I with HH/LH/LL/HL quadrants.
- ``near_repeat``: Knox test over space x time bands (Ratcliffe's Near Repeat Calculator).
- ``emerging``: emerging hot spot analysis over a space-time cube (Gi* + Mann-Kendall).
"""

from prossima.analysis.hotspots.emerging import EmergingResult, emerging_hotspots, mann_kendall
from prossima.analysis.hotspots.getis_ord import GiStarResult, gi_classes, gi_star, gi_star_grid
from prossima.analysis.hotspots.kde import KDEResult, default_bandwidth, kde
from prossima.analysis.hotspots.moran import LocalMoranResult, local_moran
from prossima.analysis.hotspots.near_repeat import KnoxResult, knox

__all__ = [
    "EmergingResult",
    "GiStarResult",
    "KDEResult",
    "KnoxResult",
    "LocalMoranResult",
    "default_bandwidth",
    "emerging_hotspots",
    "gi_classes",
    "gi_star",
    "gi_star_grid",
    "kde",
    "knox",
    "local_moran",
    "mann_kendall",
]
