"""DAWproject (Bitwig, Studio One, Cubase, ...): the song out as a ``.dawproject`` and back in.

====================  ======================================================================
module                concern
====================  ======================================================================
``mapping``           what DAWproject holds of a song (``CARRIES``); our effects as its
                      standard devices (``DEVICES``, ``EQ_TYPES``, ``insert_rule``)
``write``             the song as ``project.xml``, ``metadata.xml`` and its audio in a ZIP
``read``              a ``.dawproject`` (or a bare ``project.xml``) as a song: the file, the
                      transport and the metadata
``read_state``        what the parts of the reader share: ids of strips and parameters, time
                      scopes, number attributes
``read_mixer``        tracks, channels, buses, the master, routing and sends
``read_devices``      the standard devices as our effect slots
``read_clips``        the arrangement: lanes, clips (loops unrolled, nested clips, warps),
                      notes, audio files, markers
``read_automation``   ``Points`` lanes as our automation lanes
====================  ======================================================================
"""

from producer.interchange.dawproject.mapping import CARRIES, DEVICES, EQ_TYPES, insert_rule
from producer.interchange.dawproject.read import read
from producer.interchange.dawproject.write import metadata_xml, write
from producer.interchange.session import MediaLookup

__all__ = [
    "CARRIES",
    "DEVICES",
    "EQ_TYPES",
    "MediaLookup",
    "insert_rule",
    "metadata_xml",
    "read",
    "write",
]
