# Golden-vector check that runs unchanged under MicroPython and CPython.
# Usage: <interpreter> golden_check.py PATH_TO_GOLDEN_JSON
# Prints one line per failure and a final "golden: N ok, M failed" line;
# exits 1 when anything failed.
import sys
import json
import binascii

import dorsal_protocol as p


def unhex(s):
    return binascii.unhexlify(s)


def tohex(b):
    return binascii.hexlify(b).decode()


def encode(case):
    k = case["kind"]
    f = case["fields"]
    if k == "data":
        return p.encode_data(f["seq"], f["t0_ms"], f["period_us"], [tuple(r) for r in f["records"]], f["type"])
    if k == "pressure":
        return p.encode_pressure(f["seq"], f["t0_ms"], f["period_us"], f["values"])
    if k == "battery":
        return p.encode_battery(f["t_ms"], f["voltage_mv"], f["percent"], f["flags"])
    if k == "event":
        return p.encode_event(f["t_ms"], f["event"], f["value"])
    if k == "command":
        return p.encode_command(f["command"], f["tag"], tuple(f["args"]))
    if k == "response":
        return p.encode_response(f["command"], f["tag"], f["status"], unhex(f["payload"]))
    if k == "info":
        return p.encode_info(tuple(f["firmware"]), f["capabilities"], f["rate_hz"], f["backlog_capacity"],
                             f["board"], f["imu"], f["name"])
    if k == "frame":
        return p.frame(unhex(f["message"]))
    if k == "segments":
        return b"".join(p.segments(unhex(f["message"]), f["mtu"]))
    raise ValueError("unknown kind " + k)


def decode_matches(case, raw):
    k = case["kind"]
    f = case["fields"]
    if k == "data":
        h, recs = p.decode_data(raw)
        return (list(h) == [p.PROTOCOL_VERSION, f["type"], f["seq"], f["t0_ms"], f["period_us"], len(f["records"]),
                            p.RECORD_SIZE]
                and [list(r) for r in recs] == f["records"])
    if k == "pressure":
        h, vals = p.decode_pressure(raw)
        return h[2] == f["seq"] and list(vals) == f["values"]
    if k == "battery":
        return list(p.decode_battery(raw)) == [f["t_ms"], f["voltage_mv"], f["percent"], f["flags"]]
    if k == "event":
        return list(p.decode_event(raw)) == [f["t_ms"], f["event"], f["value"]]
    if k == "command":
        c, tag, args = p.decode_command(raw)
        return c == f["command"] and tag == f["tag"] and list(args) == f["args"]
    if k == "response":
        c, tag, st, payload = p.decode_response(raw)
        return [c, tag, st, tohex(payload)] == [f["command"], f["tag"], f["status"], f["payload"]]
    if k == "info":
        d = p.decode_info(raw)
        return (list(d["firmware"]) == f["firmware"] and d["board"] == f["board"] and d["imu"] == f["imu"]
                and d["name"] == f["name"] and d["rate_hz"] == f["rate_hz"]
                and d["capabilities"] == f["capabilities"] and d["backlog_capacity"] == f["backlog_capacity"])
    if k == "frame":
        d = p.Deframer()
        msgs = d.feed(raw)
        return len(msgs) == 1 and tohex(msgs[0]) == f["message"]
    if k == "segments":
        r = p.Reassembler()
        room = f["mtu"] - 4
        out = None
        pos = 0
        while pos < len(raw):
            seg = raw[pos:pos + 1 + room]
            pos += len(seg)
            out = r.feed(seg)
        return out is not None and tohex(out) == f["message"]
    return False


def main(path):
    with open(path) as fh:
        cases = json.load(fh)["cases"]
    ok = 0
    failed = 0
    for case in cases:
        try:
            raw = unhex(case["hex"])
            enc_ok = tohex(encode(case)) == case["hex"]
            dec_ok = decode_matches(case, raw)
        except Exception as e:  # report, keep checking the others
            print("FAIL", case["name"], "raised", repr(e))
            failed += 1
            continue
        if enc_ok and dec_ok:
            ok += 1
        else:
            print("FAIL", case["name"], "encode" if not enc_ok else "", "decode" if not dec_ok else "")
            failed += 1
    print("golden: %d ok, %d failed" % (ok, failed))
    return failed


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1]) else 0)
