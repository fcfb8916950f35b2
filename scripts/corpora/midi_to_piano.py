#!/usr/bin/env python3
"""Rewrites a Standard MIDI File for an all-piano rendering (standard library only).

Every program change becomes program 0 (Acoustic Grand Piano) and every event on MIDI channel 10
(index 9, General MIDI percussion) is dropped; its delta time is carried to the next kept event,
so the timing of everything else is unchanged. Meta and SysEx events are kept as they are.
The output always writes explicit status bytes (no running status).

usage: midi_to_piano.py IN.mid OUT.mid
"""
import struct
import sys

DRUM_CHANNEL = 9


def read_vlq(data, i):
    value = 0
    while True:
        b = data[i]
        i += 1
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            return value, i


def write_vlq(value):
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def data_length(status):
    kind = status & 0xF0
    return 1 if kind in (0xC0, 0xD0) else 2


def rewrite_track(track):
    out = bytearray()
    i, status, carried = 0, None, 0
    while i < len(track):
        delta, i = read_vlq(track, i)
        carried += delta
        if track[i] & 0x80:
            status = track[i]
            i += 1
        elif status is None or status >= 0xF0:
            raise ValueError(f"data byte without a running status at track offset {i}")
        if status == 0xFF:                                   # meta: type, length, data
            kind = track[i]
            length, j = read_vlq(track, i + 1)
            event = bytes([0xFF, kind]) + track[i + 1:j + length]
            i = j + length
            status = None                                    # meta events cancel running status
        elif status in (0xF0, 0xF7):                         # sysex: length, data
            length, j = read_vlq(track, i)
            event = bytes([status]) + track[i:j + length]
            i = j + length
            status = None
        else:
            n = data_length(status)
            payload = bytearray(track[i:i + n])
            i += n
            if status & 0x0F == DRUM_CHANNEL:
                continue                                     # dropped; its delta stays in `carried`
            if status & 0xF0 == 0xC0:
                payload[0] = 0                               # every instrument -> Acoustic Grand Piano
            event = bytes([status]) + bytes(payload)
        out += write_vlq(carried) + event
        carried = 0
    return bytes(out)


def rewrite(data):
    if data[:4] != b"MThd":
        raise ValueError("not a Standard MIDI File (no MThd)")
    header_length = struct.unpack(">I", data[4:8])[0]
    out = bytearray(data[:8 + header_length])
    i = 8 + header_length
    while i + 8 <= len(data):
        kind, length = data[i:i + 4], struct.unpack(">I", data[i + 4:i + 8])[0]
        body = data[i + 8:i + 8 + length]
        if kind == b"MTrk":
            body = rewrite_track(body)
        out += kind + struct.pack(">I", len(body)) + body
        i += 8 + length
    return bytes(out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], "rb") as f:
        source = f.read()
    with open(sys.argv[2], "wb") as f:
        f.write(rewrite(source))
