"""texforge inference server."""
