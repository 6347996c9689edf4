"""Pre-production: song structure edits, MIDI parts, SoundFont renders, click, listening.

``arrange`` holds the ripple edits (sections, transpose, instrument, tempo), ``midi`` reads and
writes Standard MIDI Files, ``render`` turns MIDI tracks into audio with a SoundFont,
``click`` makes click tracks with count-in, ``analyze`` estimates tempo and key of a recording,
``arrangements`` writes the demo album's songs. Pure functions over the model and arrays: no
project files (the workflows bring media in and out).
"""

from producer.preproduction import arrange, arrangements, midi, render
from producer.preproduction.analyze import Estimate, estimate
from producer.preproduction.arrange import (
    add_section,
    duplicate_section,
    move_section,
    remove_section,
    rename_section,
    set_instrument,
    set_tempo,
    transpose,
)
from producer.preproduction.click import click_track
from producer.preproduction.instruments import GM_NAMES, parse_instrument, program_name
from producer.preproduction.midi import MidiImport, read_midi, write_midi
from producer.preproduction.render import DEFAULT_SOUNDFONT, render_track, soundfont_path

__all__ = [
    "DEFAULT_SOUNDFONT",
    "GM_NAMES",
    "Estimate",
    "MidiImport",
    "add_section",
    "arrange",
    "arrangements",
    "click_track",
    "duplicate_section",
    "estimate",
    "midi",
    "move_section",
    "parse_instrument",
    "program_name",
    "read_midi",
    "remove_section",
    "rename_section",
    "render",
    "render_track",
    "set_instrument",
    "set_tempo",
    "soundfont_path",
    "transpose",
    "write_midi",
]
