# Orientation fusion on the device: fixed point, allocation-free, one batch of
# wire records at a time.
#
# The filter (inclination only; heading drifts without a magnetometer):
# - the gyroscope, minus a bias estimated while the device is at rest, is
#   integrated into the orientation q (sensor -> Earth, z up) at the fixed
#   period of the IMU's output data rate;
# - the accelerometer is rotated into the Earth frame and low-passed there by
#   two first-order stages (time constant TAU_S in all), so the oscillating
#   accelerations of walking and of moving the device about average out, and
#   impacts (|a| far from 1 g) are left out altogether;
# - each sample, the small rotation that makes the low-passed acceleration
#   vertical is applied to q (and to the filter states), as in the
#   inclination correction of VQF (Laidig & Seel 2023).
#
# Why fixed point: on a board every float intermediate is a heap object, so
# a float filter leaves kilobytes of garbage per sample. Here every value is
# an integer that fits in 32 bits (checked by the tests on recorded motion),
# so the same code runs as @micropython.viper on 32-bit boards, on the 64-bit
# unix port and as plain Python on CPython, with identical results.
#
# Formats: Qn means value * 2**n. Quaternion Q30, accelerations Q13 g,
# low-pass states Q24 g, half-angle increments Q30 rad, gyro input 1/16 deg/s
# (the wire unit), bias Q16 of that unit.
#
# fuse(state, buf, start, n) works in place on n wire records (22 bytes, 11
# little-endian halfwords each) starting at halfword `start` of buf: it reads
# acceleration (mg) and angular rate, and writes the orientation (Q14), the
# bias-corrected angular rate and the fusion status bits.

import array

try:
    import micropython
except ImportError:  # CPython: the same code runs as plain Python

    class micropython:  # noqa: N801 - stands in for the module of that name
        @staticmethod
        def viper(f):
            return f

    def ptr16(obj):
        # viper's ptr16: unsigned little-endian halfwords over any buffer
        return memoryview(obj).cast("B").cast("H")


TAU_S = 3.0  # low-pass time constant of the acceleration (both stages together)
SETTLE_S = 2.0  # faster correction after start-up
SETTLE_TAU_S = 0.2
SETTLE_MAX_S = 30.0  # settling ends by then even without a first rest (15 * SETTLE_S in the code)
REST_S = 1.5  # still this long before the gyro bias is learnt
REST_GYRO_DPS = 2.0  # deviation from the gyro's 0.5 s mean (and, once the bias is known, of that mean from the bias)
REST_ACC_G = 0.05  # deviation of |a| from its 0.5 s mean
REST_NEAR_G = 0.1  # |a| within this of 1 g
BIAS_TAU_S = 2.0
IMPACT_G = 2.0  # |a| above this: an impact, not used for inclination (inputs clamp at 4 g)
IMPACT_SHARE = 0.03  # ... unless this share of the last 0.5 s were impacts too (vigorous movement)

# Status bits (the protocol's ST_* values; repeated as plain numbers because
# this module must not depend on the protocol module's import under viper).
_ST_SETTLING = 0x0002
_ST_BIAS_VALID = 0x0004
_ST_ACC_REJECTED = 0x0008
_ST_AT_REST = 0x0010

# 32-bit slots of the state array (each stored as two halfwords, low first,
# because viper's ptr32 loads are zero-extended on 64-bit ports).
S_QW = 0  # ..3: quaternion Q30
S_CARRY = 4  # ..6: half-angle remainder carried to the next sample, Q30
S_LP1 = 7  # ..9: first low-pass stage, Earth frame, Q24 g
S_LP2 = 10  # ..12: second stage
S_GLP = 13  # ..15: gyro mean for rest detection, Q8 of 1/16 deg/s
S_MLP = 16  # |a|^2 mean, Q24 g^2
S_BIAS = 17  # ..19: gyro bias, Q16 of 1/16 deg/s
S_REST = 20  # samples at rest in a row
S_COUNT = 21  # samples since start (saturates)
S_FLAGS = 22  # bit 0: bias valid
P_KQ = 23  # gyro: half-angle Q30 per Q4 unit = KQ >> KS
P_KS = 24
P_ALPHA = 25  # low-pass gain per sample, Q16
P_ALPHA0 = 26  # during settling
P_SETTLE = 27  # samples of settling
P_REST_N = 28  # samples at rest before the bias is updated
P_REST_G = 29  # gyro deviation threshold, Q8 of 1/16 deg/s
P_REST_A = 30  # |a|^2 deviation threshold, Q24 g^2
P_NEAR = 31  # |a|^2 distance from 1 g^2 allowed at rest, Q24
P_KLP = 32  # shift of the 0.5 s means
P_KB = 33  # shift of the bias update
P_IMP_LO = 34  # |a|^2 below this or above the next: impact, Q24
P_IMP_HI = 35
S_IMPACTS = 36  # share of recent samples that were impacts, Q16
P_IMP_SHARE = 37  # above this share impacts are used after all, Q16
S_BIAS_N = 38  # rest samples the bias has learnt from (saturates)
N_SLOTS = 39

_ONE_Q30 = 1 << 30


def _shift_for(samples):
    # The power of two nearest to a time constant in samples.
    k = 0
    while (1 << (k + 1)) <= samples * 1.414:
        k += 1
    return k


def gyro_constants(rate_hz):
    # (KQ, KS): half-angle increment in Q30 per 1/16 deg/s in Q4 is
    # pi/180/16 * dt/2 * 2**30 / 16; KQ keeps 11 significant bits so that a
    # Q4 rate up to 2**20 times KQ stays below 2**31.
    per_q4 = 3.141592653589793 / 180.0 / 16.0 * (0.5 / rate_hz) * _ONE_Q30 / 16.0
    ks = 0
    while per_q4 * (1 << (ks + 1)) < 2048:
        ks += 1
    return int(per_q4 * (1 << ks) + 0.5), ks


def _g2(g):
    # g^2 in the Q24 units of the filter's |a|^2
    return int(g * g * (1 << 24) + 0.5)


def new_state(rate_hz):
    # A fresh filter for this output data rate (samples per second).
    v = [0] * N_SLOTS
    v[S_QW] = _ONE_Q30
    kq, ks = gyro_constants(rate_hz)
    v[P_KQ] = kq
    v[P_KS] = ks
    stage_tau_s = TAU_S / 2.0
    # gains above 1/4 per sample would overflow the low-pass update (and mean
    # a rate too low for this filter anyway)
    v[P_ALPHA] = min(16384, int(65536.0 / (stage_tau_s * rate_hz) + 0.5))
    v[P_ALPHA0] = min(16384, int(65536.0 / (SETTLE_TAU_S / 2.0 * rate_hz) + 0.5))
    v[P_SETTLE] = int(SETTLE_S * rate_hz + 0.5)
    v[P_REST_N] = int(REST_S * rate_hz + 0.5)
    v[P_REST_G] = int(REST_GYRO_DPS * 16 * 256)
    # |a|^2 changes by about 2*da for a change da of |a| near 1 g
    v[P_REST_A] = _g2(1.0 + REST_ACC_G) - _g2(1.0)
    v[P_NEAR] = _g2(1.0 + REST_NEAR_G) - _g2(1.0)
    v[P_KLP] = _shift_for(0.5 * rate_hz)
    v[P_KB] = _shift_for(BIAS_TAU_S * rate_hz)
    v[P_IMP_LO] = 0
    v[P_IMP_HI] = _g2(IMPACT_G)
    v[P_IMP_SHARE] = int(IMPACT_SHARE * 65536)
    st = array.array("h", bytes(4 * N_SLOTS))
    for i in range(N_SLOTS):
        put(st, i, v[i])
    return st


def get(state, i):
    # One 32-bit slot as a Python int (for tests and the host).
    lo = state[2 * i] & 0xFFFF
    hi = state[2 * i + 1]
    return (hi << 16) | lo


def put(state, i, value):
    lo = value & 0xFFFF
    hi = (value >> 16) & 0xFFFF
    state[2 * i] = lo - 65536 if lo > 32767 else lo
    state[2 * i + 1] = hi - 65536 if hi > 32767 else hi


def quaternion(state):
    # The current orientation as floats (w, x, y, z).
    return tuple(get(state, S_QW + i) / _ONE_Q30 for i in range(4))


def gyro_bias_dps(state):
    return tuple(get(state, S_BIAS + i) / 65536.0 / 16.0 for i in range(3))


@micropython.viper
def fuse(state, buf, start: int, n: int) -> int:
    st = ptr16(state)
    p = ptr16(buf)
    # ---- load the state (two halfwords per 32-bit value, sign from the high one)
    h = int(st[1]); qw = ((h - ((h & 0x8000) << 1)) << 16) | int(st[0])
    h = int(st[3]); qx = ((h - ((h & 0x8000) << 1)) << 16) | int(st[2])
    h = int(st[5]); qy = ((h - ((h & 0x8000) << 1)) << 16) | int(st[4])
    h = int(st[7]); qz = ((h - ((h & 0x8000) << 1)) << 16) | int(st[6])
    h = int(st[9]); cx = ((h - ((h & 0x8000) << 1)) << 16) | int(st[8])
    h = int(st[11]); cy = ((h - ((h & 0x8000) << 1)) << 16) | int(st[10])
    h = int(st[13]); cz = ((h - ((h & 0x8000) << 1)) << 16) | int(st[12])
    h = int(st[15]); s1x = ((h - ((h & 0x8000) << 1)) << 16) | int(st[14])
    h = int(st[17]); s1y = ((h - ((h & 0x8000) << 1)) << 16) | int(st[16])
    h = int(st[19]); s1z = ((h - ((h & 0x8000) << 1)) << 16) | int(st[18])
    h = int(st[21]); s2x = ((h - ((h & 0x8000) << 1)) << 16) | int(st[20])
    h = int(st[23]); s2y = ((h - ((h & 0x8000) << 1)) << 16) | int(st[22])
    h = int(st[25]); s2z = ((h - ((h & 0x8000) << 1)) << 16) | int(st[24])
    h = int(st[27]); lgx = ((h - ((h & 0x8000) << 1)) << 16) | int(st[26])
    h = int(st[29]); lgy = ((h - ((h & 0x8000) << 1)) << 16) | int(st[28])
    h = int(st[31]); lgz = ((h - ((h & 0x8000) << 1)) << 16) | int(st[30])
    h = int(st[33]); mlp = ((h - ((h & 0x8000) << 1)) << 16) | int(st[32])
    h = int(st[35]); bx = ((h - ((h & 0x8000) << 1)) << 16) | int(st[34])
    h = int(st[37]); by = ((h - ((h & 0x8000) << 1)) << 16) | int(st[36])
    h = int(st[39]); bz = ((h - ((h & 0x8000) << 1)) << 16) | int(st[38])
    h = int(st[41]); rest = ((h - ((h & 0x8000) << 1)) << 16) | int(st[40])
    h = int(st[43]); count = ((h - ((h & 0x8000) << 1)) << 16) | int(st[42])
    h = int(st[45]); flags = ((h - ((h & 0x8000) << 1)) << 16) | int(st[44])
    h = int(st[73]); rj = ((h - ((h & 0x8000) << 1)) << 16) | int(st[72])
    imp_share = int(st[74]) | (int(st[75]) << 16)
    h = int(st[77]); bias_n = ((h - ((h & 0x8000) << 1)) << 16) | int(st[76])
    kq = int(st[46]) | (int(st[47]) << 16)
    ks = int(st[48])
    alpha = int(st[50]) | (int(st[51]) << 16)
    alpha0 = int(st[52]) | (int(st[53]) << 16)
    settle_n = int(st[54]) | (int(st[55]) << 16)
    rest_n = int(st[56]) | (int(st[57]) << 16)
    rest_g = int(st[58]) | (int(st[59]) << 16)
    rest_a = int(st[60]) | (int(st[61]) << 16)
    near = int(st[62]) | (int(st[63]) << 16)
    klp = int(st[64])
    kb = int(st[66])
    imp_lo = int(st[68]) | (int(st[69]) << 16)
    imp_hi = int(st[70]) | (int(st[71]) << 16)
    clamp = 1 << 18  # largest horizontal low-pass component corrected per sample (Q24, ~0.9 deg)

    i = start
    end = start + 11 * n
    while i < end:
        # ---- inputs: specific force in mg, angular rate in 1/16 deg/s
        h = int(p[i + 4]); ax = h - ((h & 0x8000) << 1)
        h = int(p[i + 5]); ay = h - ((h & 0x8000) << 1)
        h = int(p[i + 6]); az = h - ((h & 0x8000) << 1)
        h = int(p[i + 7]); gx = h - ((h & 0x8000) << 1)
        h = int(p[i + 8]); gy = h - ((h & 0x8000) << 1)
        h = int(p[i + 9]); gz = h - ((h & 0x8000) << 1)
        status = 0
        # mg -> Q13 g (16777/2048 = 8192/1000 within 1e-5), clamped to 4 g
        ax = (ax * 16777) >> 11
        ay = (ay * 16777) >> 11
        az = (az * 16777) >> 11
        if ax > 32767:
            ax = 32767
        if ax < -32768:
            ax = -32768
        if ay > 32767:
            ay = 32767
        if ay < -32768:
            ay = -32768
        if az > 32767:
            az = 32767
        if az < -32768:
            az = -32768
        hx = ax >> 1
        hy = ay >> 1
        hz = az >> 1
        m2 = hx * hx + hy * hy + hz * hz  # |a|^2, Q24

        # ---- rest detection and gyro bias
        if count == 0:
            lgx = gx << 8
            lgy = gy << 8
            lgz = gz << 8
            mlp = m2
        lgx += ((gx << 8) - lgx) >> klp
        lgy += ((gy << 8) - lgy) >> klp
        lgz += ((gz << 8) - lgz) >> klp
        mlp += (m2 - mlp) >> klp
        still = 1
        dev = (gx << 8) - lgx
        if dev > rest_g or dev < -rest_g:
            still = 0
        dev = (gy << 8) - lgy
        if dev > rest_g or dev < -rest_g:
            still = 0
        dev = (gz << 8) - lgz
        if dev > rest_g or dev < -rest_g:
            still = 0
        dev = m2 - mlp
        if dev > rest_a or dev < -rest_a:
            still = 0
        if bias_n >= rest_n:
            # once the bias is known, a slow steady turn (leaning back in a
            # chair) is not rest either: the mean rate must be near the bias
            dev = lgx - (bx >> 8)
            if dev > rest_g or dev < -rest_g:
                still = 0
            dev = lgy - (by >> 8)
            if dev > rest_g or dev < -rest_g:
                still = 0
            dev = lgz - (bz >> 8)
            if dev > rest_g or dev < -rest_g:
                still = 0
        dev = m2 - 16777216
        if dev > near or dev < -near:
            still = 0
        if still:
            if rest < rest_n:
                rest += 1
        else:
            rest = 0
        if rest >= rest_n:
            status |= 0x0010
            # the first second of rest learns fast (a consumer gyro can be
            # several deg/s off at power-up), later rests slowly and quietly
            sb = kb
            if bias_n < rest_n:
                sb = klp
                bias_n += 1
            # the bias of a consumer gyro is below 4096/16 = 256 deg/s
            tx = gx
            if tx > 4095:
                tx = 4095
            if tx < -4095:
                tx = -4095
            bx += ((tx << 16) - bx) >> sb
            tx = gy
            if tx > 4095:
                tx = 4095
            if tx < -4095:
                tx = -4095
            by += ((tx << 16) - by) >> sb
            tx = gz
            if tx > 4095:
                tx = 4095
            if tx < -4095:
                tx = -4095
            bz += ((tx << 16) - bz) >> sb
            flags |= 1
        if flags & 1:
            status |= 0x0004

        # ---- gyro: bias-corrected rate (Q4 of 1/16 deg/s) -> half-angle increment
        wx = (gx << 4) - (bx >> 12)
        wy = (gy << 4) - (by >> 12)
        wz = (gz << 4) - (bz >> 12)
        dx = ((wx * kq) >> ks) + cx
        dy = ((wy * kq) >> ks) + cy
        dz = ((wz * kq) >> ks) + cz
        if dx > 268435456:
            dx = 268435456
        if dx < -268435456:
            dx = -268435456
        if dy > 268435456:
            dy = 268435456
        if dy < -268435456:
            dy = -268435456
        if dz > 268435456:
            dz = 268435456
        if dz < -268435456:
            dz = -268435456
        # Q16 increments; the rest is carried so nothing is lost over time
        ex = dx >> 14
        ey = dy >> 14
        ez = dz >> 14
        cx = dx - (ex << 14)
        cy = dy - (ey << 14)
        cz = dz - (ez << 14)
        # q += q (x) (0, e): Q15 * Q16 = Q31 -> Q30
        tw = qw >> 15
        tx = qx >> 15
        ty = qy >> 15
        tz = qz >> 15
        qw += (-tx * ex - ty * ey - tz * ez) >> 1
        qx += (tw * ex + ty * ez - tz * ey) >> 1
        qy += (tw * ey - tx * ez + tz * ex) >> 1
        qz += (tw * ez + tx * ey - ty * ex) >> 1
        # renormalise: q *= (3 - |q|^2) / 2, |q|^2 from Q14 components
        tw = (qw + 32768) >> 16
        tx = (qx + 32768) >> 16
        ty = (qy + 32768) >> 16
        tz = (qz + 32768) >> 16
        dev = (268435456 - (tw * tw + tx * tx + ty * ty + tz * tz)) >> 1
        if dev > 4194304:
            dev = 4194304
        if dev < -4194304:
            dev = -4194304
        dev = dev >> 8
        qw += ((qw >> 15) * dev) >> 5
        qx += ((qx >> 15) * dev) >> 5
        qy += ((qy >> 15) * dev) >> 5
        qz += ((qz >> 15) * dev) >> 5

        # ---- rotation matrix of q, Q14
        tw = (qw + 32768) >> 16
        tx = (qx + 32768) >> 16
        ty = (qy + 32768) >> 16
        tz = (qz + 32768) >> 16
        r00 = 16384 - ((ty * ty + tz * tz) >> 13)
        r01 = (tx * ty - tw * tz) >> 13
        r02 = (tx * tz + tw * ty) >> 13
        r10 = (tx * ty + tw * tz) >> 13
        r11 = 16384 - ((tx * tx + tz * tz) >> 13)
        r12 = (ty * tz - tw * tx) >> 13
        r20 = (tx * tz - tw * ty) >> 13
        r21 = (ty * tz + tw * tx) >> 13
        r22 = 16384 - ((tx * tx + ty * ty) >> 13)

        # ---- acceleration in the Earth frame (Q14 * Q13 = Q27 -> Q24), low-passed
        # settling: the first SETTLE_S, and on until the gyro bias has had its
        # first fast learning (the tilt drifts with an unknown bias), for at
        # most SETTLE_MAX_S when the device never rests
        if count < settle_n or (bias_n < rest_n and count < settle_n * 15):
            status |= 0x0002
            k = alpha0
        else:
            k = alpha
        # impacts are left out, unless they are so frequent (vigorous
        # movement) that leaving them out would bias the mean
        impact = 0
        if m2 < imp_lo or m2 > imp_hi:
            impact = 1
        rj += ((impact << 16) - rj) >> klp
        if impact and rj < imp_share:
            status |= 0x0008
        else:
            ex = (r00 * ax + r01 * ay + r02 * az) >> 3
            ey = (r10 * ax + r11 * ay + r12 * az) >> 3
            ez = (r20 * ax + r21 * ay + r22 * az) >> 3
            if count == 0:
                s1x = ex
                s1y = ey
                s1z = ez
                s2x = ex
                s2y = ey
                s2z = ez
            s1x += (((ex - s1x) >> 11) * k) >> 5
            s1y += (((ey - s1y) >> 11) * k) >> 5
            s1z += (((ez - s1z) >> 11) * k) >> 5
            s2x += (((s1x - s2x) >> 11) * k) >> 5
            s2y += (((s1y - s2y) >> 11) * k) >> 5
            s2z += (((s1z - s2z) >> 11) * k) >> 5

        # ---- inclination correction: the rotation phi that makes s2 vertical
        fx = s2y
        fy = -s2x
        if fx > clamp:
            fx = clamp
        if fx < -clamp:
            fx = -clamp
        if fy > clamp:
            fy = clamp
        if fy < -clamp:
            fy = -clamp
        if s2z < 0:  # upside down: turn about x until gravity is in reach
            fy = 0
            fx = clamp
            if s2y < 0:
                fx = -clamp
        # phi in Q22 rad (Q24 g taken as Q24 rad for a 1 g vertical, minus 2
        # bits); rotate both stages by phi (v += phi x v, the horizontal part;
        # the vertical change is of second order): Q22 * Q12 = Q34 -> Q24
        fx = fx >> 2
        fy = fy >> 2
        tx = s1z >> 12
        s1x += (fy * tx) >> 10
        s1y -= (fx * tx) >> 10
        tx = s2z >> 12
        s2x += (fy * tx) >> 10
        s2y -= (fx * tx) >> 10
        # in the body frame (R^T phi), as a half angle in Q30, applied with the
        # next sample's increment: Q22 * Q13 = Q35 -> Q30, halved
        cx += ((r00 >> 1) * fx + (r10 >> 1) * fy) >> 6
        cy += ((r01 >> 1) * fx + (r11 >> 1) * fy) >> 6
        cz += ((r02 >> 1) * fx + (r12 >> 1) * fy) >> 6

        if count < 1073741823:
            count += 1

        # ---- outputs: quaternion Q14, corrected rate, status
        tw = (qw + 32768) >> 16
        tx = (qx + 32768) >> 16
        ty = (qy + 32768) >> 16
        tz = (qz + 32768) >> 16
        p[i] = tw & 0xFFFF
        p[i + 1] = tx & 0xFFFF
        p[i + 2] = ty & 0xFFFF
        p[i + 3] = tz & 0xFFFF
        tx = (wx + 8) >> 4
        ty = (wy + 8) >> 4
        tz = (wz + 8) >> 4
        if tx > 32767:
            tx = 32767
        if tx < -32767:
            tx = -32767
        if ty > 32767:
            ty = 32767
        if ty < -32767:
            ty = -32767
        if tz > 32767:
            tz = 32767
        if tz < -32767:
            tz = -32767
        p[i + 7] = tx & 0xFFFF
        p[i + 8] = ty & 0xFFFF
        p[i + 9] = tz & 0xFFFF
        p[i + 10] = (int(p[i + 10]) & 0xFFE1) | status
        i += 11

    # ---- store the state
    st[0] = qw & 0xFFFF
    st[1] = (qw >> 16) & 0xFFFF
    st[2] = qx & 0xFFFF
    st[3] = (qx >> 16) & 0xFFFF
    st[4] = qy & 0xFFFF
    st[5] = (qy >> 16) & 0xFFFF
    st[6] = qz & 0xFFFF
    st[7] = (qz >> 16) & 0xFFFF
    st[8] = cx & 0xFFFF
    st[9] = (cx >> 16) & 0xFFFF
    st[10] = cy & 0xFFFF
    st[11] = (cy >> 16) & 0xFFFF
    st[12] = cz & 0xFFFF
    st[13] = (cz >> 16) & 0xFFFF
    st[14] = s1x & 0xFFFF
    st[15] = (s1x >> 16) & 0xFFFF
    st[16] = s1y & 0xFFFF
    st[17] = (s1y >> 16) & 0xFFFF
    st[18] = s1z & 0xFFFF
    st[19] = (s1z >> 16) & 0xFFFF
    st[20] = s2x & 0xFFFF
    st[21] = (s2x >> 16) & 0xFFFF
    st[22] = s2y & 0xFFFF
    st[23] = (s2y >> 16) & 0xFFFF
    st[24] = s2z & 0xFFFF
    st[25] = (s2z >> 16) & 0xFFFF
    st[26] = lgx & 0xFFFF
    st[27] = (lgx >> 16) & 0xFFFF
    st[28] = lgy & 0xFFFF
    st[29] = (lgy >> 16) & 0xFFFF
    st[30] = lgz & 0xFFFF
    st[31] = (lgz >> 16) & 0xFFFF
    st[32] = mlp & 0xFFFF
    st[33] = (mlp >> 16) & 0xFFFF
    st[34] = bx & 0xFFFF
    st[35] = (bx >> 16) & 0xFFFF
    st[36] = by & 0xFFFF
    st[37] = (by >> 16) & 0xFFFF
    st[38] = bz & 0xFFFF
    st[39] = (bz >> 16) & 0xFFFF
    st[40] = rest & 0xFFFF
    st[41] = (rest >> 16) & 0xFFFF
    st[42] = count & 0xFFFF
    st[43] = (count >> 16) & 0xFFFF
    st[44] = flags & 0xFFFF
    st[45] = (flags >> 16) & 0xFFFF
    st[72] = rj & 0xFFFF
    st[73] = (rj >> 16) & 0xFFFF
    st[76] = bias_n & 0xFFFF
    st[77] = (bias_n >> 16) & 0xFFFF
    return n
