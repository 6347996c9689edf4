"""producer.mastering: a mix in, deliverables out, each verified against a delivery profile.

``profiles`` (data in profiles.json), ``chain`` (EQ, glue compressor, true-peak limiter, gain
solved to the target after SRC and dither), ``album`` (album normalisation, CD image), ``cue``
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
    "parse_cue",
    "write_cue",
    "write_master",
]
