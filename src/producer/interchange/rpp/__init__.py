"""REAPER ``.RPP``: the song out and back, through the ``rpp`` package.

An RPP file is nested ``<CHUNK ...>`` blocks of lines of tokens (quoted as REAPER quotes). The
``rpp`` package (Perlence/rpp, BSD-3) parses and prints them; our tests check that it reads the
real REAPER projects in testdata and that printing and re-reading them gives the same tokens
(it normalises quoting and trailing spaces, which REAPER does not care about) — so we use it
rather than a tokenizer of our own. Before parsing, ``chunks.check_blocks`` finds unbalanced blocks
itself, to name the line and the block (rpp's own error is a bare "syntax error").

The mapping (REAPER's State Chunk Definitions; the shapes and the pan-envelope sign were not
checked against REAPER itself here):

* ``<TRACK``: ``NAME``, ``VOLPAN vol pan`` (linear volume, pan −1..+1), ``MUTESOLO mute solo``,
  ``IPHASE``, folders (``ISBUS 1 1`` opens one, ``ISBUS 2 -n`` closes n) for routing a track to
  a bus, ``AUXRECV src mode vol`` on the receiving track for sends (mode 0 post-fader, 3
  pre-fader), ``<VOLENV2``/``<PANENV2``/``<MUTEENV`` with ``PT time value shape`` (shape 0
  linear, 1 square); volume envelopes hold amplitudes (see ``curves``).
* ``<ITEM``: ``POSITION``, ``LENGTH``, ``SOFFS``, ``FADEIN``/``FADEOUT shape length``, ``VOLPAN
  vol pan takevol`` (clip gain = vol × takevol), ``<SOURCE WAVE FILE "...">``, or ``<SOURCE MIDI``
  with ``HASDATA 1 <ppq> QN`` and ``E delta status data1 data2`` events (MIDI parts).
* ``TEMPO bpm num den`` and ``<TEMPOENVEX`` points, ``MARKER idx time "name" flags`` (flag 1: a
  region, two lines per region: our sections), ``MASTER_VOLUME``.

Effects (``<FXCHAIN``) are plug-in states REAPER alone can read: not carried either way.

==================  ==========================================================================
module              concern
==================  ==========================================================================
``mapping``         what an RPP file holds of a song (``CARRIES``), fade shapes, MIDI ticks
``chunks``          reading REAPER's chunk text: unbalanced blocks, lines, numbered fields
``write``           the song as a ``<REAPER_PROJECT``
``read``            a project as a song: tempo map, markers and regions, the master
``read_tracks``     its tracks: folders and buses, sends, envelopes, audio and MIDI items
==================  ==========================================================================
"""

from producer.interchange.rpp.mapping import CARRIES
from producer.interchange.rpp.read import read
from producer.interchange.rpp.write import write

__all__ = ["CARRIES", "read", "write"]
