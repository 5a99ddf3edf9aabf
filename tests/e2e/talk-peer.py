#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# talk-peer.py - the client side of the guest's own flows (mig-talk) in the
# network-state test: accepts the guest's TCP connection on ADDR:5001 and
# answers every UDP datagram "udp SEQ GOT" on ADDR:5002 with "ack SEQ".
# Writes its counters to FILE (atomically, every 200 ms and at SIGTERM):
#   {"tcp": {"lines", "last_seq", "max_gap_ms", "closed", "error"},
#    "udp": {"received", "replied", "last_seq", "last_got"},
#    "gaps": [[t_ms, gap_ms], ...]  (gaps over 200 ms, for the log)}
#
#   talk-peer.py ADDR FILE

import json
import os
import selectors
import signal
import socket
import sys
import time

addr, out = sys.argv[1], sys.argv[2]
t0 = time.monotonic()
st = {"tcp": {"lines": 0, "last_seq": 0, "max_gap_ms": 0, "closed": False,
              "error": ""},
      "udp": {"received": 0, "replied": 0, "last_seq": 0, "last_got": 0},
      "gaps": []}
running = True


def dump():
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(st, f)
    os.replace(tmp, out)


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lst.bind((addr, 5001))
lst.listen(1)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind((addr, 5002))
sel = selectors.DefaultSelector()
sel.register(lst, selectors.EVENT_READ, "accept")
sel.register(udp, selectors.EVENT_READ, "udp")
conn, buf, last_line, next_dump = None, b"", None, 0.0
while running:
    for key, _ in sel.select(0.1):
        now = time.monotonic()
        if key.data == "accept":
            conn, _ = lst.accept()
            sel.register(conn, selectors.EVENT_READ, "tcp")
        elif key.data == "udp":
            data, peer = udp.recvfrom(256)
            parts = data.split()
            if len(parts) == 3 and parts[0] == b"udp":
                st["udp"]["received"] += 1
                st["udp"]["last_seq"] = int(parts[1])
                st["udp"]["last_got"] = max(st["udp"]["last_got"], int(parts[2]))
                udp.sendto(b"ack " + parts[1], peer)
                st["udp"]["replied"] += 1
        else:
            try:
                data = conn.recv(65536)
            except OSError as e:
                data, st["tcp"]["error"] = b"", str(e)
            if not data:
                st["tcp"]["closed"] = True
                sel.unregister(conn)
                conn.close()
                continue
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                parts = line.split()
                if len(parts) != 2 or parts[0] != b"tcp":
                    continue
                if last_line is not None:
                    gap = (now - last_line) * 1000
                    st["tcp"]["max_gap_ms"] = max(st["tcp"]["max_gap_ms"], round(gap))
                    if gap > 200:
                        st["gaps"].append([round((now - t0) * 1000), round(gap)])
                last_line = now
                st["tcp"]["lines"] += 1
                st["tcp"]["last_seq"] = int(parts[1])
    if time.monotonic() >= next_dump:
        dump()
        next_dump = time.monotonic() + 0.2
dump()
