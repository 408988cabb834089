"""The server's version: the release version defined once in texforge.protocol.version."""

from ..protocol.version import __version__ as __version__
