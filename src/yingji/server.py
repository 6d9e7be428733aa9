"""Serving: one or several web processes sharing one listening socket.

The socket is created here (with IPPROTO_TCP, so that asyncio turns Nagle off on every
accepted connection) and inherited by forked processes; each builds its own application and
database pool after the fork. The job worker runs in the first process only.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from typing import Any

import anyio.to_thread
import uvicorn

THREADS = 40


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _run_one(sock: socket.socket, with_worker: bool) -> None:
    from yingji import jobs, runtime
    from yingji.app import create_app

    runtime.set_database(None)  # a fresh pool in this process
    application = create_app(runtime.settings(), runtime.get_database())
    if with_worker:
        jobs.start_consumer_thread()

    @application.on_event("startup")
    async def _threads() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS

    config = uvicorn.Config(application, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def serve(host: str, port: int, *, processes: int = 1, with_worker: bool = True) -> None:
    sock = listen(host, port)
    if processes <= 1:
        _run_one(sock, with_worker)
        return
    children: list[int] = []
    for number in range(processes):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _run_one(sock, with_worker and number == 0)
            except BaseException:  # the child must never return into the parent's code
                code = 1
            os._exit(code)
        children.append(pid)
    _supervise(children)


def _supervise(children: list[int]) -> None:
    def stop(signum: int, _frame: Any) -> None:
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    for pid in children:
        _pid, code = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(code) not in (0, -signal.SIGTERM):
            status = 1
            stop(signal.SIGTERM, None)
    sys.exit(status)
