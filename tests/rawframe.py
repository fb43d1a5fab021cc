#!/usr/bin/env python3
"""Sends one hostile frame to the helper and prints what comes back.

usage: rawframe.py SOCKET KIND
KIND: garbage, truncated, oversized, version, badfield, unknowntype, idle
Prints "reply RESULT MESSAGE" when the helper answered, "closed" when it
closed the connection without an answer."""
import os
import socket
import struct
import sys

UL_PROTO_VERSION = 1
REQ_STATUS = 1


def field(tag, value):
    return struct.pack(">HH", tag, len(value)) + value


def frame(version, mtype, body=b""):
    payload = struct.pack(">HH", version, mtype) + body
    return struct.pack(">I", len(payload)) + payload


def read_reply(s):
    head = b""
    while len(head) < 4:
        chunk = s.recv(4 - len(head))
        if not chunk:
            return None
        head += chunk
    (n,) = struct.unpack(">I", head)
    body = b""
    while len(body) < n:
        chunk = s.recv(n - len(body))
        if not chunk:
            return None
        body += chunk
    version, mtype = struct.unpack(">HH", body[:4])
    pos, result, message = 4, None, ""
    while pos + 4 <= len(body):
        tag, ln = struct.unpack(">HH", body[pos:pos + 4])
        val = body[pos + 4:pos + 4 + ln]
        if tag == 1:
            (result,) = struct.unpack(">q", val)
        elif tag == 2:
            message = val.rstrip(b"\0").decode()
        pos += 4 + ln
    return version, result, message


def main():
    path, kind = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    if kind == "garbage":
        # a right header, then noise where the fields should be
        s.sendall(frame(UL_PROTO_VERSION, REQ_STATUS, os.urandom(200)))
    elif kind == "truncated":
        full = frame(UL_PROTO_VERSION, REQ_STATUS, field(10, b"comms\0"))
        s.sendall(full[:-3])
        s.shutdown(socket.SHUT_WR)
    elif kind == "oversized":
        s.sendall(struct.pack(">I", 10 * 1024 * 1024) + b"\0" * 4096)
    elif kind == "version":
        s.sendall(frame(UL_PROTO_VERSION + 1, REQ_STATUS))
    elif kind == "badfield":
        # a string without its NUL, then a tag nobody knows
        s.sendall(frame(UL_PROTO_VERSION, REQ_STATUS,
                        field(10, b"comms") + field(999, b"x")))
    elif kind == "unknowntype":
        s.sendall(frame(UL_PROTO_VERSION, 4242))
    elif kind == "idle":
        pass  # send nothing: the helper must close us after its deadline
    try:
        reply = read_reply(s)
    except (ConnectionResetError, socket.timeout):
        reply = None
    if reply is None:
        print("closed")
    else:
        print("reply version=%d result=%s message=%s" % reply)


main()
