"""producer.mastering: a mix in, deliverables out, each verified against a delivery profile.

``profiles`` (data in profiles.json), ``chain`` (EQ, glue compressor, true-peak limiter, gain
solved to the target after SRC and dither, streamed block by block) with ``settings`` (how to
master), ``result`` (what it delivers), ``eq`` (the corrective EQ and reference matching),
``gainmodel`` (the limiter model the gain is solved on), ``guard`` (the exact true-peak guard after the limiter)
and ``stream`` (sources, sample stores, streaming spectra and FIR), ``album`` (album normalisation, CD image), ``cue``
(CUE reader/writer, Red Book, ISRC/UPC checks), ``export`` (WAV/BWF, FLAC, MP3, OGG, tags),
``verdict`` (requirement rows, checked on the written file, and the verdict they give),
``report`` (JSON + HTML delivery report) with ``report_plots`` (its figures).
"""

from producer.mastering.album import AlbumInput, CdImage, build_cd_image, master_album
from producer.mastering.chain import (
    ChainSettings,
    CompressorSettings,
    EqBand,
    MasterResult,
    master,
    master_source,
)
from producer.mastering.cue import CueSheet, CueTrack, parse_cue, write_cue
from producer.mastering.export import Loudness, Tags, write_master
from producer.mastering.profiles import DeliveryProfile, get_profile, load_profiles

__all__ = [
    "AlbumInput",
    "CdImage",
    "ChainSettings",
    "CompressorSettings",
    "CueSheet",
    "CueTrack",
    "DeliveryProfile",
    "EqBand",
    "Loudness",
    "MasterResult",
    "Tags",
    "build_cd_image",
    "get_profile",
    "load_profiles",
    "master",
    "master_album",
    "master_source",
    "parse_cue",
    "write_cue",
    "write_master",
]
