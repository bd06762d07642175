#!/usr/bin/env python3
"""One-way delay for a node's listening ports, for deploy/netns-cluster.sh.

This machine's kernel has no netem (CONFIG_NET_SCH_NETEM is not set), so tc can shape rate (tbf)
but cannot add latency. Each node therefore listens on 127.0.0.1 inside its namespace, and this
relay listens on the node's own address and forwards every connection to it, holding each chunk
of bytes for DELAY in both directions: a peer sees one-way latency DELAY, as over a real link.

    netns-relay.py --delay-ms D PUBLIC_IP:PORT=127.0.0.1:PORT [...]

It exits when its parent shell kills it; it never connects anywhere but the given targets.
"""
import argparse
import asyncio
import sys
import time

CHUNK = 256 * 1024


async def pump(reader, writer, delay):
    # Chunks keep their order: each is written once its due time (arrival + delay) has come.
    queue = asyncio.Queue()

    async def read():
        try:
            while True:
                data = await reader.read(CHUNK)
                await queue.put((time.monotonic() + delay, data))
                if not data:
                    return
        except (ConnectionError, OSError):
            await queue.put((0.0, b""))

    async def write():
        try:
            while True:
                due, data = await queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    # Half-close, as the sender did: the other direction may still carry data (a peer that
                    # said goodbye still reads the answers). A full close here would reset the socket, and a
                    # reset makes the receiver's kernel drop what it has not read yet.
                    if writer.can_write_eof():
                        writer.write_eof()
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass

    await asyncio.gather(read(), write())


def serve(target_host, target_port, delay):
    async def on_client(client_reader, client_writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(target_host, target_port)
        except OSError:
            client_writer.close()
            return
        try:
            await asyncio.gather(pump(client_reader, up_writer, delay), pump(up_reader, client_writer, delay))
        finally:  # both directions are over
            for w in (up_writer, client_writer):
                try:
                    w.close()
                except Exception:
                    pass

    return on_client


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, required=True)
    parser.add_argument("maps", nargs="+", metavar="PUBLIC_IP:PORT=TARGET_IP:PORT")
    args = parser.parse_args()
    delay = args.delay_ms / 1000.0
    servers = []
    for m in args.maps:
        public, target = m.split("=")
        host, port = public.rsplit(":", 1)
        thost, tport = target.rsplit(":", 1)
        servers.append(await asyncio.start_server(serve(thost, int(tport), delay), host, int(port), reuse_address=False))
    print("relay ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
