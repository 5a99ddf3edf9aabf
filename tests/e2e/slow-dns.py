#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""slow-dns.py - a DNS server that answers one name, late, for the
slow-resolver test (tests/e2e/handoff-slowdns.sh).

    slow-dns.py ADDR NAME IPV4 DELAY-MS LOG

Listens on ADDR:53 (UDP).  A query for NAME gets, after DELAY-MS, the A
record IPV4 (TTL 60) or, for any other type, an empty NOERROR answer;
any other name gets NXDOMAIN at once.  Every query is logged to LOG as
one line: seconds since the start, the name, the type number.
"""
import socket
import struct
import sys
import threading
import time


def parse_question(q):
    """Return (name, qtype, end offset) of the first question."""
    labels, i = [], 12
    while q[i]:
        n = q[i]
        labels.append(q[i + 1:i + 1 + n].decode('ascii', 'replace'))
        i += 1 + n
    qtype, = struct.unpack('!H', q[i + 1:i + 3])
    return '.'.join(labels).lower(), qtype, i + 5


def answer(q, name, ip, end):
    qid = q[:2]
    qname, qtype, _ = parse_question(q)
    question = q[12:end]
    if qname != name:
        return qid + struct.pack('!HHHHH', 0x8183, 1, 0, 0, 0) + question
    if qtype == 1:
        rr = struct.pack('!HHHIH', 0xc00c, 1, 1, 60, 4) + socket.inet_aton(ip)
        return qid + struct.pack('!HHHHH', 0x8180, 1, 1, 0, 0) + question + rr
    return qid + struct.pack('!HHHHH', 0x8180, 1, 0, 0, 0) + question


def main():
    addr, name, ip, delay, log = sys.argv[1:6]
    name, delay = name.lower().rstrip('.'), int(delay) / 1000.0
    t0 = time.monotonic()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    lock = threading.Lock()
    with open(log, 'a', buffering=1) as out:
        while True:
            q, peer = s.recvfrom(512)
            if len(q) < 17:
                continue
            try:
                qname, qtype, end = parse_question(q)
            except (IndexError, struct.error):
                continue
            with lock:
                out.write('%.3f %s %d\n' % (time.monotonic() - t0, qname, qtype))
            reply = answer(q, name, ip, end)
            wait = delay if qname == name else 0

            def send(reply=reply, peer=peer, wait=wait):
                time.sleep(wait)
                s.sendto(reply, peer)
            threading.Thread(target=send, daemon=True).start()


if __name__ == '__main__':
    main()
