"""`texforge` command line: serve, ping, hello, models, upscale, material, train.

Client subcommands import neither torch nor the models, so they start fast; `serve` and
`train` load them. Logging is configured here, once, and nowhere else.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from ..protocol.arguments import MaterialArgs, MultiplyArgs, SeamlessArgs, UpscaleArgs
from ..protocol.client import Client, resolve_address
from ..protocol.constants import PRECISIONS
from ..protocol.curve import CurveClientKeys
from ..protocol.errors import RemoteError, ServerUnavailableError, TexforgeError
from ..protocol.exif import fov_of_exif_block, recorded_fov_degrees
from .imageio import (
    DEFAULT_MAX_PIXELS,
    ImageFormatError,
    check_writable,
    exif_block,
    probe_image,
    read_image,
    write_image,
)
from .material_files import FILE_FORMATS, NORMAL_CONVENTIONS, write_material
from .multiply_files import output_suffix, seamless_map_path, write_variations
from .sr.lineage import stale_partners
from .upscale_files import (
    ASPECT_TOLERANCE,
    NETWORK_SCALES,
    OUTPUT_FORMATS,
    FileJob,
    aspect_change,
    is_jpeg,
    network_scale_for,
    plan_jobs,
)
from .version import __version__

log = logging.getLogger("texforge")

EXIT_FAILURE = 1
EXIT_NO_SERVER = 3


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


# --- progress ---------------------------------------------------------------------------


class ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._drawn = False

    def __call__(self, done: int, total: int, stage: str) -> None:
        if not self.enabled or total <= 0:
            return
        width = 30
        filled = int(width * min(done, total) / total)
        sys.stderr.write(f"\r{stage:>10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()
        self._drawn = True

    def finish(self) -> None:
        """End the bar's line."""
        if self._drawn:
            sys.stderr.write("\n")
            self._drawn = False


# --- commands ---------------------------------------------------------------------------


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Adds `(default: X)` to an option's help unless the help already says what happens by default."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        silent = action.default in (None, False, argparse.SUPPRESS) or not action.option_strings
        return text if silent or "default" in text else f"{text} (default: %(default)s)".lstrip()


class CommandLineParser(argparse.ArgumentParser):
    """Shows defaults in --help; a bad command line is bad input like any other: one line, exit 1."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_FAILURE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _client(args: argparse.Namespace) -> Client:
    server_key = args.server_key or os.environ.get("TEXFORGE_SERVER_KEY")
    client_cert = args.client_cert or os.environ.get("TEXFORGE_CLIENT_CERT")
    if bool(server_key) != bool(client_cert):
        raise CliError("CurveZMQ needs both --server-key (server's .key) and --client-cert (your .key_secret)")
    curve = CurveClientKeys.from_files(server_key, client_cert) if server_key and client_cert else None
    return Client(args.server, timeout=args.timeout, connect_timeout=min(args.timeout, 5.0), curve=curve)


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the inference server and serve until SIGINT/SIGTERM."""
    from ..protocol.limits import Limits
    from .serve import run_server

    defaults = Limits()
    limits = Limits(
        max_pixels=args.max_pixels or defaults.max_pixels,
        max_queue=args.max_queue or defaults.max_queue,
        max_message_bytes=int(args.max_message_mb * (1 << 20)) if args.max_message_mb else defaults.max_message_bytes,
    )
    return run_server(bind=resolve_address(args.bind), device=args.device, workers=args.workers,
                      limits=limits, diagnostic_models=args.diagnostic_models,
                      shared_memory=not args.no_shared_memory, curve_secret=args.curve_secret,
                      curve_clients=args.curve_clients, insecure=args.insecure, threads=args.threads,
                      extra_models=tuple(args.extra_model), weights_dir=args.weights_dir, precision=args.precision,
                      exit_with=args.exit_with)


def cmd_broker(args: argparse.Namespace) -> int:
    """Run a broker that spreads requests over worker processes."""
    from .scaleout.broker import BrokerCurve
    from .serve import run_broker

    curve = None
    if args.curve_secret is not None:
        curve = BrokerCurve(args.curve_secret, args.curve_clients, args.curve_workers)
    elif args.curve_clients or args.curve_workers:
        raise CliError("--curve-clients/--curve-workers need --curve-secret (the broker's .key_secret)")
    return run_broker(resolve_address(args.bind), args.backend, insecure=args.insecure, curve=curve)


def cmd_worker(args: argparse.Namespace) -> int:
    """Run a worker process for a broker."""
    from ..protocol.limits import Limits
    from .serve import run_worker

    if bool(args.broker_key) != bool(args.worker_cert):
        raise CliError("CurveZMQ needs both --broker-key (the broker's .key) and --worker-cert (this worker's .key_secret)")
    curve = CurveClientKeys.from_files(args.broker_key, args.worker_cert) if args.broker_key else None
    return run_worker(args.broker, device=args.device, workers=args.workers,
                      limits=Limits(max_queue=args.max_queue or Limits().max_queue),
                      diagnostic_models=args.diagnostic_models, threads=args.threads, curve=curve,
                      precision=args.precision)


def cmd_keys(args: argparse.Namespace) -> int:
    """Generate a CurveZMQ key pair."""
    from ..protocol.curve import generate_keys

    public, secret = generate_keys(Path(args.directory), args.name)
    print(f"public key (give to peers): {public}\nsecret key (keep private):  {secret}")
    return 0


def cmd_ping(args: argparse.Namespace) -> int:
    """Round trip to the server."""
    with _client(args) as client:
        seconds = client.ping()
    print(f"pong from {client.address} in {seconds * 1000:.1f} ms")
    return 0


def cmd_hello(args: argparse.Namespace) -> int:
    """Server version, device and limits."""
    with _client(args) as client:
        print(json.dumps(client.hello(), indent=2))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    """List the server's models."""
    with _client(args) as client:
        listing = client.models()
    if args.json:
        print(json.dumps(listing, indent=2))
        return 0
    defaults = set(listing.get("defaults", {}).values()) | set(listing.get("upscale_defaults", {}).values())
    for model in listing.get("models", []):
        scales = ",".join(f"x{s}" for s in model.get("scales", [])) or "-"
        mark = "*" if model["name"] in defaults else " "
        print(f"{mark} {model['name']:<16} {model['kind']:<9} {scales:<12} {model.get('description', '')}")
        for line in stale_partners(model["name"], model.get("card", {})):
            print(f"    note: {line}")
    return 0


def _parse_size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise CliError(f"--size {text!r} is not WIDTHxHEIGHT, e.g. 4096x4096") from None
    if width <= 0 or height <= 0:
        raise CliError(f"--size {text!r} must be positive")
    return width, height


def _check_writable(path: Path, dtype: Any) -> None:
    check_writable(path, dtype)
    if not path.parent.exists():
        raise CliError(f"{path.parent}: no such folder")


def _read_input(path: str, client: Client) -> np.ndarray:
    """Read an input file under the server's advertised pixel limit.

    The server is asked for its limit only when the header claims more than the default one, so
    a missing or unreadable file still fails before any contact with the server.
    """
    from ..protocol.limits import Limits

    max_pixels = DEFAULT_MAX_PIXELS
    if probe_image(path).pixels > max_pixels:
        max_pixels = Limits.from_wire(client.server_info().get("limits", {})).max_pixels
    return read_image(path, max_pixels=max_pixels)


def _upscale_args(args: argparse.Namespace, image: np.ndarray, source: Path) -> UpscaleArgs:
    """The request for one image: with an exact size and no --scale, the smallest network scale that reaches it."""
    size = _parse_size(args.size)
    height, width = image.shape[:2]
    scale = args.scale or (network_scale_for(width, height, size) if size else 2)
    if size and aspect_change(width, height, size) > ASPECT_TOLERANCE:
        log.warning("note: %s is %dx%d; %dx%d stretches it (the aspect ratio changes)", source, width, height, *size)
    return UpscaleArgs(model=args.model, scale=scale, tileable=args.tileable, normal_map=args.normal_map,
                       size=size, detail=args.detail, jpeg_source=is_jpeg(source))


def _material_args(args: argparse.Namespace, flash: np.ndarray) -> MaterialArgs:
    return MaterialArgs(model=args.model, size=args.size, refine_steps=args.refine, tileable=args.tileable,
                        fov_degrees=args.fov if args.fov is not None else _recorded_fov(args.flash, flash),
                        guide_aligned=args.guide_aligned,
                        linear_photo=args.linear_photo or _holds_linear_light(flash, args.flash))


def _recorded_fov(source: str, photo: np.ndarray) -> float | None:
    """The field of view the photo's EXIF records (35 mm-equivalent focal length), if any."""
    fov = recorded_fov_degrees(source, photo.shape[1], photo.shape[0])
    if fov is None:  # HEIF keeps its EXIF in the container, where only PIL's reader looks
        fov = fov_of_exif_block(exif_block(source), photo.shape[1], photo.shape[0])
    if fov is not None:
        log.info("note: %s: field of view %.1f degrees from its EXIF focal length (--fov overrides)", source, fov)
    return fov


def _holds_linear_light(photo: np.ndarray, source: str) -> bool:
    """Float photos (EXR, float TIFF) hold linear light by convention, as Blender reads them too."""
    if not np.issubdtype(photo.dtype, np.floating):
        return False
    log.info("note: %s holds floating-point values: read as linear light (--linear-photo)", source)
    return True


def cmd_upscale(args: argparse.Namespace) -> int:
    """Upscale image files through the server: one file to one file, or files and folders into a folder."""
    jobs = plan_jobs(args.input, args.output, args.format)
    if jobs[0].target != Path(args.output):  # results go into a folder
        Path(args.output).mkdir(parents=True, exist_ok=True)
    failed = 0
    with _client(args) as client:
        for job in jobs:
            try:
                _upscale_file(args, client, job)
            except (ImageFormatError, RemoteError, CliError, ValueError, OSError) as error:
                if len(jobs) == 1:
                    raise
                failed += 1
                log.error("error: %s: %s", job.source, getattr(error, "message", error))
    if failed:
        raise CliError(f"{failed} of {len(jobs)} images failed (see above); the others were written")
    return 0


def _upscale_file(args: argparse.Namespace, client: Client, job: FileJob) -> None:
    image = _read_input(str(job.source), client)
    _check_writable(job.target, image.dtype)
    bar = ProgressBar()
    started = time.perf_counter()
    try:
        result = client.upscale(image, _upscale_args(args, image, job.source),
                                colorspace="data" if args.normal_map else "srgb", progress=bar)
    finally:
        bar.finish()
    write_image(job.target, result)
    log.info("wrote %s (%dx%d) in %.2f s", job.target, result.shape[1], result.shape[0], time.perf_counter() - started)


def cmd_material(args: argparse.Namespace) -> int:
    """Estimate material maps from a flash photo (and optional guide) into OUTDIR."""
    outdir = Path(args.output)
    with _client(args) as client:
        flash = _read_input(args.flash, client)
        guide = _read_input(args.guide, client) if args.guide else None
        outdir.mkdir(parents=True, exist_ok=True)
        bar = ProgressBar()
        started = time.perf_counter()
        try:
            maps, info = client.material(flash, guide, _material_args(args, flash), progress=bar)
        finally:
            bar.finish()
    info = {**info, "flash": str(args.flash), "guide": str(args.guide) if args.guide else None,
            "round_trip_seconds": round(time.perf_counter() - started, 3)}
    written = write_material(outdir, maps, info, normal_convention=args.normal_convention, file_format=args.file_format)
    log.info("wrote %s", ", ".join(str(path) for path in written))
    return 0


def _map_files(specs: Sequence[str] | None) -> dict[str, str]:
    """`--map NAME=PATH` options as {NAME: PATH}; CliError for a malformed one or an unknown NAME."""
    from ..protocol.maps import TEXTURE_MAP_COLORSPACES

    files: dict[str, str] = {}
    for spec in specs or ():
        name, equals, path = spec.partition("=")
        if not equals or not path:
            raise CliError(f"--map {spec!r} is not NAME=PATH, e.g. normal=brick_normal.png")
        if name not in TEXTURE_MAP_COLORSPACES:
            raise CliError(f"--map {name!r} is not a known map; use one of {', '.join(TEXTURE_MAP_COLORSPACES)}")
        if name in files:
            raise CliError(f"--map {name} is given twice")
        files[name] = path
    return files


def _read_texture_set(args: argparse.Namespace, client: Client) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The input image and its --map files, checked to share one size."""
    image = _read_input(args.input, client)
    maps = {name: _read_input(path, client) for name, path in _map_files(args.map).items()}
    for name, array in maps.items():
        if array.shape[:2] != image.shape[:2]:
            raise CliError(f"--map {name}: {array.shape[1]}x{array.shape[0]} is not the size of {args.input} "
                           f"({image.shape[1]}x{image.shape[0]})")
    return image, maps


def cmd_multiply(args: argparse.Namespace) -> int:
    """Write variations of a texture (and its maps) into OUTDIR, with multiply.json."""
    outdir = Path(args.output)
    request = MultiplyArgs(model=args.model, count=args.count, size=_parse_size(args.size), tileable=args.tileable,
                           seed=args.seed)
    map_files = _map_files(args.map)
    with _client(args) as client:
        image, maps = _read_texture_set(args, client)
        suffixes: dict[str | None, str] = {None: output_suffix(args.input, image.dtype)}  # writable by choice
        suffixes.update({name: output_suffix(map_files[name], array.dtype) for name, array in maps.items()})
        outdir.mkdir(parents=True, exist_ok=True)
        bar = ProgressBar()
        started = time.perf_counter()
        try:
            variations, info = client.multiply(image, request, maps, progress=bar)
        finally:
            bar.finish()
    description = {"input": str(args.input), "maps": map_files, "arguments": {**request.to_wire(), "seed": info["seeds"][0]},
                   **info, "round_trip_seconds": round(time.perf_counter() - started, 3)}
    written = write_variations(outdir, variations, suffixes, description)
    log.info("wrote %d files into %s in %.2f s", len(written), outdir, time.perf_counter() - started)
    return 0


def cmd_seamless(args: argparse.Namespace) -> int:
    """Make a photo (and its maps) tileable at its own size: OUT, and OUT-stem_NAME files for the maps."""
    output = Path(args.output)
    map_files = _map_files(args.map)
    with _client(args) as client:
        image, maps = _read_texture_set(args, client)
        targets = {name: seamless_map_path(output, name, output_suffix(map_files[name], array.dtype))
                   for name, array in maps.items()}
        _check_writable(output, image.dtype)
        bar = ProgressBar()
        started = time.perf_counter()
        try:
            result, _ = client.seamless(image, SeamlessArgs(model=args.model, border=args.border, seed=args.seed),
                                        maps, progress=bar)
        finally:
            bar.finish()
    write_image(output, result["image"])
    for name, target in targets.items():
        write_image(target, result[name])
    log.info("wrote %s in %.2f s", ", ".join(str(p) for p in (output, *targets.values())), time.perf_counter() - started)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Dispatch to the chosen training pipeline."""
    return int(args.train_run(args))


# --- parser -----------------------------------------------------------------------------


def _add_client_options(parser: argparse.ArgumentParser, timeout: float) -> None:
    parser.add_argument("--server", default=None, help="server address (default: $TEXFORGE_SERVER or tcp://127.0.0.1:5555)")
    parser.add_argument("--timeout", type=float, default=timeout, help="seconds of server silence before giving up")
    parser.add_argument("--server-key", default=None, help="CurveZMQ: the server's public .key file ($TEXFORGE_SERVER_KEY)")
    parser.add_argument("--client-cert", default=None, help="CurveZMQ: your .key_secret file ($TEXFORGE_CLIENT_CERT)")


def _add_map_option(parser: argparse.ArgumentParser, where: str) -> None:
    parser.add_argument("--map", action="append", default=None, metavar="NAME=PATH",
                        help=f"a map of the same material (normal, roughness, height, ...), synthesised aligned with "
                             f"the input; {where}, same dtype and file type as PATH (repeatable)")


def _add_precision_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="what the networks compute in: auto = bf16 where the GPU or CPU computes it natively "
                             "(AVX512-BF16/AMX), else fp16 on CUDA and fp32 on the CPU; int8 (x86 CPUs): the "
                             "upscale networks' residual body in int8, about 2x faster than fp32 on CPUs without "
                             "native bf16")


def _add_train_parsers(subparsers: Any) -> None:
    train = subparsers.add_parser("train", help="train a model with the project's own training code")
    kinds = train.add_subparsers(dest="train_kind", required=True)
    trainers = (("sr", "texforge.server.sr.train", "train an sr model"),
                ("material", "texforge.server.material.train", "train a material model"),
                ("int8", "texforge.server.sr.calibrate_int8", "calibrate FastSR weights for --precision int8"))
    for kind, module_name, purpose in trainers:
        module = _optional_module(module_name)
        parser = kinds.add_parser(kind, help=purpose)
        if module is None:
            parser.set_defaults(func=_unavailable(module_name))
            continue
        module.add_arguments(parser)
        parser.set_defaults(func=cmd_train, train_run=module.run)


def _optional_module(name: str) -> Any:
    import importlib

    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            return None
        raise


def _unavailable(module_name: str) -> Callable[[argparse.Namespace], int]:
    def fail(args: argparse.Namespace) -> int:
        raise CliError(f"{module_name} is not part of this installation")

    return fail


def build_parser(with_train: bool = True) -> argparse.ArgumentParser:
    """The `texforge` argument parser."""
    parser = CommandLineParser(prog="texforge", description="Neural texture upscaling and photo-to-material server.")
    parser.add_argument("--version", action="version", version=f"texforge {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the inference server")
    serve.add_argument("--bind", default=None, help="address to bind (default: $TEXFORGE_SERVER or tcp://127.0.0.1:5555)")
    serve.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    _add_precision_option(serve)
    serve.add_argument("--workers", type=int, default=1, help="job worker threads")
    serve.add_argument("--threads", type=int, default=None, help="CPU threads for inference (default: all cores)")
    serve.add_argument("--extra-model", type=Path, action="append", default=[], metavar="PATH",
                       help="also offer an ESRGAN-family .pth/.safetensors file, named after the file (repeatable)")
    serve.add_argument("--weights-dir", type=Path, default=None, metavar="DIR",
                       help="offer the models of this folder (same file names as the shipped ones: fast-x4.safetensors, "
                            "fast-x4-sharp.safetensors as its sharp partner, ...) instead of the package's")
    serve.add_argument("--max-queue", type=int, default=None, help="jobs queued or running before `busy` (default 8)")
    serve.add_argument("--max-pixels", type=int, default=None, help="largest input image in pixels (default 8192x8192)")
    serve.add_argument("--max-message-mb", type=float, default=None, help="largest request in MiB (default 1024)")
    serve.add_argument("--curve-secret", type=Path, default=None, help="CurveZMQ: the server's .key_secret file")
    serve.add_argument("--curve-clients", type=Path, default=None, help="CurveZMQ: folder of allowed client .key files")
    serve.add_argument("--insecure", action="store_true",
                       help="allow a non-loopback bind without authentication (anyone on the network can use it)")
    serve.add_argument("--no-shared-memory", action="store_true",
                       help="send every image through the socket, even to clients on this host")
    serve.add_argument("--exit-with", type=int, default=None, metavar="PID",
                       help="stop when process PID exits: a tool that starts a server for itself passes its own id, "
                            "so that a crash of the tool leaves no server behind")
    serve.add_argument("--diagnostic-models", action="store_true", help=argparse.SUPPRESS)
    serve.set_defaults(func=cmd_serve)

    for name, func, help_text in (("ping", cmd_ping, "check the server answers"),
                                  ("hello", cmd_hello, "server version, device and limits")):
        command = sub.add_parser(name, help=help_text)
        _add_client_options(command, 5.0)
        command.set_defaults(func=func)

    broker = sub.add_parser("broker", help="spread clients' requests over `texforge worker` processes")
    broker.add_argument("--bind", default=None, help="client-facing address (default: $TEXFORGE_SERVER or tcp://127.0.0.1:5555)")
    broker.add_argument("--backend", default="tcp://127.0.0.1:5556", help="address workers connect to")
    broker.add_argument("--insecure", action="store_true", help="allow non-loopback binds without authentication")
    broker.add_argument("--curve-secret", type=Path, default=None, help="CurveZMQ: the broker's .key_secret file")
    broker.add_argument("--curve-clients", type=Path, default=None, help="folder of allowed client .key files")
    broker.add_argument("--curve-workers", type=Path, default=None, help="folder of allowed worker .key files")
    broker.set_defaults(func=cmd_broker)

    worker = sub.add_parser("worker", help="take jobs from a broker (one per GPU, or per machine)")
    worker.add_argument("--broker", default="tcp://127.0.0.1:5556", help="the broker's backend address")
    worker.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    _add_precision_option(worker)
    worker.add_argument("--workers", type=int, default=1, help="job threads in this worker")
    worker.add_argument("--threads", type=int, default=None, help="CPU threads for inference (default: all cores)")
    worker.add_argument("--max-queue", type=int, default=None, help="jobs this worker holds at once (default 8)")
    worker.add_argument("--broker-key", default=None, help="CurveZMQ: the broker's public .key file")
    worker.add_argument("--worker-cert", default=None, help="CurveZMQ: this worker's .key_secret file")
    worker.add_argument("--diagnostic-models", action="store_true", help=argparse.SUPPRESS)
    worker.set_defaults(func=cmd_worker)

    keys = sub.add_parser("keys", help="generate a CurveZMQ key pair for a server or a client")
    keys.add_argument("directory")
    keys.add_argument("--name", default="server", help="file name stem (e.g. server, or the client's name)")
    keys.set_defaults(func=cmd_keys)

    models = sub.add_parser("models", help="list the server's models (* = the default of its kind or scale)")
    models.add_argument("--json", action="store_true")
    _add_client_options(models, 5.0)
    models.set_defaults(func=cmd_models)

    upscale = sub.add_parser("upscale", help="upscale textures: IN OUT, or IN... OUTDIR for several files or folders",
                             description="Upscale textures. JPEG inputs (.jpg, .jpeg) are sent as JPEG sources: a "
                                         "model with a JPEG-robust partner (fast-x4: fast-x4-jpeg, fast-x2: "
                                         "fast-x2-jpeg) then uses it, so the 8x8 block grid is removed rather than "
                                         "sharpened; other files get the model's own weights.")
    upscale.add_argument("input", nargs="+", metavar="IN", help="image files or folders of images")
    upscale.add_argument("output", metavar="OUT", help="output file, or folder (several inputs, or a folder in)")
    upscale.add_argument("--scale", type=int, default=None, choices=NETWORK_SCALES,
                         help="network scale (default: 2; with --size, the smallest that reaches the size)")
    upscale.add_argument("--format", choices=OUTPUT_FORMATS, default="same",
                         help="file type of results written into a folder (same: the source's, or .png (.exr for "
                              ".hdr) where the source's type cannot be written: .bmp, .webp, .heic)")
    upscale.add_argument("--model", default=None, help="model name (default: the server's best for the scale)")
    upscale.add_argument("--tileable", action="store_true", help=UpscaleArgs.spec("tileable").doc)
    upscale.add_argument("--normal-map", action="store_true", help=UpscaleArgs.spec("normal_map").doc)
    upscale.add_argument("--size", default=None, metavar="WxH", help=UpscaleArgs.spec("size").doc)
    upscale.add_argument("--detail", type=float, default=None, help=UpscaleArgs.spec("detail").doc)
    _add_client_options(upscale, 60.0)
    upscale.set_defaults(func=cmd_upscale)

    material = sub.add_parser("material", help="create material maps from a flash photo")
    material.add_argument("flash")
    material.add_argument("--guide", default=None, help="no-flash photo of the same surface (2-shot)")
    material.add_argument("--guide-aligned", action="store_true", help=MaterialArgs.spec("guide_aligned").doc)
    material.add_argument("-o", "--output", required=True, help="output folder")
    material.add_argument("--size", type=int, default=None, help=MaterialArgs.spec("size").doc)
    material.add_argument("--refine", type=int, default=0, metavar="STEPS", help=MaterialArgs.spec("refine_steps").doc)
    material.add_argument("--tileable", action="store_true", help=MaterialArgs.spec("tileable").doc)
    material.add_argument("--fov", type=float, default=None, metavar="DEGREES", help=MaterialArgs.spec("fov_degrees").doc)
    material.add_argument("--linear-photo", action="store_true",
                          help=MaterialArgs.spec("linear_photo").doc + " (floating-point photos always are)")
    material.add_argument("--normal-convention", choices=tuple(NORMAL_CONVENTIONS), default="opengl",
                          help="green channel of the normal map: opengl (+Y; Blender, Godot, Unity) or directx (-Y; Unreal)")
    material.add_argument("--format", dest="file_format", choices=FILE_FORMATS, default="png",
                          help="map files: png (colour maps 8-bit sRGB, data maps 16-bit) or exr (float32)")
    material.add_argument("--model", default=None)
    _add_client_options(material, 120.0)
    material.set_defaults(func=cmd_material)

    multiply = sub.add_parser("multiply", help="new variations of a texture (and its maps), any size, tileable")
    multiply.add_argument("input", help="the exemplar texture")
    multiply.add_argument("-o", "--output", required=True, help="output folder: variation_K files and multiply.json")
    multiply.add_argument("--count", type=int, default=MultiplyArgs().count, help=MultiplyArgs.spec("count").doc)
    multiply.add_argument("--size", default=None, metavar="WxH", help=MultiplyArgs.spec("size").doc)
    multiply.add_argument("--tileable", action="store_true", help=MultiplyArgs.spec("tileable").doc)
    multiply.add_argument("--seed", type=int, default=None, help=MultiplyArgs.spec("seed").doc)
    multiply.add_argument("--model", default=None, help=MultiplyArgs.spec("model").doc)
    _add_map_option(multiply, "variation_K_NAME files beside each variation")
    _add_client_options(multiply, 120.0)
    multiply.set_defaults(func=cmd_multiply)

    seamless = sub.add_parser("seamless", help="make a photo (and its maps) tileable at its own size")
    seamless.add_argument("input")
    seamless.add_argument("output")
    seamless.add_argument("--border", type=float, default=SeamlessArgs().border, help=SeamlessArgs.spec("border").doc)
    seamless.add_argument("--seed", type=int, default=SeamlessArgs().seed, help=SeamlessArgs.spec("seed").doc)
    seamless.add_argument("--model", default=None, help=SeamlessArgs.spec("model").doc)
    _add_map_option(seamless, "written beside OUTPUT as OUTPUT-stem_NAME")
    _add_client_options(seamless, 120.0)
    seamless.set_defaults(func=cmd_seamless)

    if with_train:
        _add_train_parsers(sub)
    else:  # listed for --help; the real parsers import torch, so they are built only for `train`
        sub.add_parser("train", help="train a model with the project's own code: texforge train sr|material --help")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `texforge` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(with_train=bool(argv) and argv[0] == "train")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s" if args.command == "serve" else "texforge: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args) or 0)
    except ServerUnavailableError as exc:
        print(f"texforge: error: {exc}", file=sys.stderr)
        return EXIT_NO_SERVER
    except RemoteError as exc:
        print(f"texforge: error: server answered {exc.code}: {exc.message}", file=sys.stderr)
        return EXIT_FAILURE
    except (CliError, ImageFormatError, TexforgeError, ValueError, OSError) as exc:
        print(f"texforge: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("texforge: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
