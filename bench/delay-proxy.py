#!/usr/bin/env python3
"""bench/delay-proxy.py — a TCP proxy on loopback that adds network latency.

bench/run.sh uses it for row 4 only when the kernel cannot delay packets
itself (no sch_netem for `tc qdisc ... netem`, or no network namespaces).

    delay-proxy.py --upstream PORT --rtt-ms MS --port-file FILE

Listens on 127.0.0.1 (a free port, written to FILE once listening) and
forwards every connection to 127.0.0.1:PORT, modelling a link with round
trip MS and unlimited bandwidth:

  * each chunk of bytes, in either direction, is delivered MS/2 after it was
    read (order kept);
  * a new connection's first bytes from the client are held until one extra
    round trip after the accept: the TCP handshake a real link would cost
    (loopback completes it at once, before the proxy sees the connection).

So one request on a fresh connection answers after two round trips, and on
a kept-alive connection after one, as over a real link of that latency.
Runs until SIGTERM."""

import argparse
import asyncio
import os
import signal
import sys
import time

CHUNK = 65536


async def pump(reader, writer, delay, not_before):
    """Copy reader to writer, each chunk delivered `delay` s after it was
    read and never before the monotonic time `not_before`."""
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    sender = asyncio.ensure_future(deliver())
    try:
        while True:
            data = await reader.read(CHUNK)
            due = max(time.monotonic() + delay, not_before)
            queue.put_nowait((due, data or None))
            if not data:
                break
        await sender
    except (ConnectionError, OSError):
        sender.cancel()


async def handle(client_r, client_w, upstream_port, rtt):
    accepted = time.monotonic()
    try:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", upstream_port)
    except OSError:
        client_w.close()
        return
    one_way = rtt / 2.0
    try:
        await asyncio.gather(
            pump(client_r, up_w, one_way, accepted + rtt + one_way),
            pump(up_r, client_w, one_way, 0.0),
        )
    finally:
        for w in (up_w, client_w):
            try:
                w.close()
            except OSError:
                pass


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--rtt-ms", type=float, required=True)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    rtt = args.rtt_ms / 1000.0

    server = await asyncio.start_server(
        lambda r, w: handle(r, w, args.upstream, rtt), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, args.port_file)

    # SIGTERM ends it (bench/run.sh's clean-up sends it). SIGINT is left as
    # the shell set it: ignored in a background job, so a Ctrl-C reaches
    # run.sh, which then stops the proxy itself.
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))
    async with server:
        await stop
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
