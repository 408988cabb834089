"""texforge wire protocol v1: message model, msgpack codec, limits, errors and the client.

Imports numpy, pyzmq and msgpack only (never torch or bpy), with relative imports, so the
Blender add-on can vendor this package as it is.
"""

from .arguments import ArgumentError, MaterialArgs, MultiplyArgs, OpArgs, SeamlessArgs, UpscaleArgs
from .client import Client, resolve_address
from .codec import decode_reply, decode_request, encode_reply, encode_request
from .constants import (
    DEFAULT_ADDRESS,
    PROTOCOL_MINOR,
    PROTOCOL_VERSION,
    ErrorCode,
    Op,
    ReplyType,
)
from .curve import CurveClientKeys
from .errors import (
    AddressError,
    JobCancelledError,
    ProtocolError,
    RemoteError,
    ServerUnavailableError,
    TexforgeError,
)
from .limits import Limits
from .messages import NamedImage, Reply, Request

__all__ = [
    "AddressError", "ArgumentError", "MaterialArgs", "MultiplyArgs", "OpArgs", "SeamlessArgs", "UpscaleArgs",
    "Client", "CurveClientKeys", "resolve_address",
    "decode_reply", "decode_request", "encode_reply",
    "encode_request", "DEFAULT_ADDRESS", "PROTOCOL_MINOR", "PROTOCOL_VERSION", "ErrorCode",
    "Op", "ReplyType", "JobCancelledError", "ProtocolError", "RemoteError",
    "ServerUnavailableError", "TexforgeError", "Limits", "NamedImage", "Reply", "Request",
]
