"""`texforge serve`: load models, bind, serve until SIGINT/SIGTERM, shut down cleanly."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import zmq

from ..protocol.curve import CurveClientKeys
from ..protocol.limits import Limits
from ..protocol.shm import is_local_address, shm_available
from .app import Server
from .catalog import build_registry
from .config import ServerConfig
from .device import configure_cpu_threads, describe_device, resolve_device, resolve_precision
from .lifetime import check_running, stop_when_gone
from .memory import settle_native_heap
from .registry import ModelRegistry
from .scaleout.broker import Broker, BrokerCurve
from .security import check_bind_policy
from .weight_files import WEIGHTS_DIR

log = logging.getLogger(__name__)


def run_server(bind: str, device: str = "auto", workers: int = 1, limits: Limits | None = None,
               diagnostic_models: bool = False, shared_memory: bool = True, curve_secret: Path | None = None,
               curve_clients: Path | None = None, insecure: bool = False, threads: int | None = None,
               extra_models: tuple[Path, ...] = (), weights_dir: Path | None = None, precision: str = "auto",
               exit_with: int | None = None) -> int:
    """Run a server in this process until a signal, or until process ``exit_with`` exits; return the exit status."""
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    if exit_with is not None:
        check_running(exit_with)
    # before loading models: fail in milliseconds, not seconds
    check_bind_policy(bind, authenticated=bool(curve_secret and curve_clients), insecure=insecure)
    check_address_free(bind)
    resolved = resolve_device(device)
    numbers = resolve_precision(precision, resolved)
    settle_native_heap()
    configure_cpu_threads(threads)
    registry = build_registry(resolved, diagnostic=diagnostic_models, weights_dir=weights_dir or WEIGHTS_DIR,
                              extra_models=extra_models, precision=numbers)
    config = ServerConfig(bind=bind, device=resolved, precision=numbers, workers=workers, limits=limits or Limits(),
                          shared_memory=shared_memory and is_local_address(bind) and shm_available(),
                          curve_secret=curve_secret, curve_clients=curve_clients, insecure=insecure)
    server = Server(registry, config)
    endpoint = server.bind()
    return _serve_until_signal(server, f"listening on {endpoint}", config, registry, exit_with)


def check_address_free(bind: str) -> None:
    """Refuse at once (ValueError) when another process already listens on `bind`."""
    probe: zmq.SyncSocket = zmq.Context.instance().socket(zmq.ROUTER)
    try:
        probe.bind(bind)
    except zmq.ZMQError as error:
        raise ValueError(f"cannot listen on {bind}: {error.strerror} (is another texforge serve running? "
                         "`texforge ping` tells; or choose another port with --bind tcp://127.0.0.1:PORT)") from None
    finally:
        probe.close(linger=0)


def _serve_until_signal(server: Server, where: str, config: ServerConfig, registry: ModelRegistry,
                        exit_with: int | None = None) -> int:
    stop = _stop_on_signals()
    if exit_with is not None:
        stop_when_gone(exit_with, stop)
    names = ", ".join(d.name for d in registry.descriptors())
    log.info("%s (device %s, %s; models: %s)", where, describe_device(config.device), config.precision, names)
    try:
        server.serve_forever(stop)
    finally:
        server.close()
        log.info("stopped")
    return 0


def run_worker(broker: str, device: str = "auto", workers: int = 1, limits: Limits | None = None,
               diagnostic_models: bool = False, curve: CurveClientKeys | None = None,
               threads: int | None = None, precision: str = "auto") -> int:
    """Run a worker process that takes jobs from a broker; return the exit status."""
    resolved = resolve_device(device)
    numbers = resolve_precision(precision, resolved)
    settle_native_heap()
    configure_cpu_threads(threads)
    registry = build_registry(resolved, diagnostic=diagnostic_models, precision=numbers)
    config = ServerConfig(bind=broker, device=resolved, precision=numbers, workers=workers, limits=limits or Limits())
    server = Server(registry, config)
    server.attach(broker, curve)
    return _serve_until_signal(server, f"working for broker {broker}", config, registry)


def run_broker(frontend: str, backend: str, insecure: bool = False, curve: BrokerCurve | None = None) -> int:
    """Run a broker in this process; return the exit status."""
    check_bind_policy(frontend, authenticated=curve is not None and curve.clients_dir is not None, insecure=insecure)
    check_bind_policy(backend, authenticated=curve is not None and curve.workers_dir is not None, insecure=insecure)
    check_address_free(frontend)
    check_address_free(backend)
    broker = Broker(frontend, backend, curve=curve)
    front, back = broker.bind()
    stop = _stop_on_signals()
    log.info("listening on %s (broker; workers connect to %s)", front, back)
    try:
        broker.serve_forever(stop)
    finally:
        broker.close()
        log.info("stopped")
    return 0


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop
