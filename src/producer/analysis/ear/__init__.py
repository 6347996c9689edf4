"""The extra ear: what is wrong with a mix, where, which stem causes it, and what to do.

One streaming pass (:mod:`.stream`) measures the mix and every stem; the checks turn the
measurements into findings (:mod:`.findings`): peaks and dynamics (:mod:`.levels`), faults
(:mod:`.faults`), stereo (:mod:`.stereo`), masking (:mod:`.masking`), microphone alignment
(:mod:`.alignment`), tonal balance (:mod:`.spectral`), vocal balance and delivery
(:mod:`.balance`), tempo and key (:mod:`.tempo_key`), versions (:mod:`.versions`);
:mod:`.report` runs them all, :mod:`.html` draws the page.
"""

from producer.analysis.ear.balance import DeliveryTarget, StreamingService
from producer.analysis.ear.findings import CHECKS, SEVERITIES, Finding
from producer.analysis.ear.masking import Section
from producer.analysis.ear.report import (
    Analysis,
    Context,
    analyse,
    check_stem_names,
    listen_arrays,
    listen_file,
    listen_files,
)
from producer.analysis.ear.stream import Heard, Listener, SignalFeatures
from producer.analysis.ear.tempo_key import Estimate, estimate

__all__ = [
    "CHECKS",
    "SEVERITIES",
    "Analysis",
    "Context",
    "DeliveryTarget",
    "Estimate",
    "Finding",
    "Heard",
    "Listener",
    "Section",
    "SignalFeatures",
    "StreamingService",
    "analyse",
    "check_stem_names",
    "estimate",
    "listen_arrays",
    "listen_file",
    "listen_files",
]
