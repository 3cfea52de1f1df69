# Float reference of firmware/dorsal_fusion.py: the same filter in plain
# floating point (same structure, gains and thresholds, no fixed-point
# scaling or carries). Tests compare the two; the firmware benchmark uses it
# as the baseline (it is what a straightforward MicroPython filter costs).
# Works on one sample at a time: update(ax_g, ay_g, az_g, gx_dps, gy_dps, gz_dps).
import math

import dorsal_fusion as fx


class FloatFusion:
    def __init__(self, rate_hz):
        self.dt = 1.0 / rate_hz
        self.q = [1.0, 0.0, 0.0, 0.0]
        self.s1 = [0.0, 0.0, 0.0]
        self.s2 = [0.0, 0.0, 0.0]
        self.carry = [0.0, 0.0, 0.0]
        self.glp = [0.0, 0.0, 0.0]
        self.mlp = 1.0
        self.bias = [0.0, 0.0, 0.0]
        self.rest = 0
        self.count = 0
        self.alpha = 1.0 / (fx.TAU_S / 2.0 * rate_hz)
        self.alpha0 = min(0.25, 1.0 / (fx.SETTLE_TAU_S / 2.0 * rate_hz))
        self.settle_n = int(fx.SETTLE_S * rate_hz + 0.5)
        self.rest_n = int(fx.REST_S * rate_hz + 0.5)
        self.klp = 1.0 / (1 << fx._shift_for(0.5 * rate_hz))
        self.kb = 1.0 / (1 << fx._shift_for(fx.BIAS_TAU_S * rate_hz))
        self.rj = 0.0
        self.bias_n = 0

    def update(self, ax, ay, az, gx, gy, gz):
        q, s1, s2 = self.q, self.s1, self.s2
        ax = max(-4.0, min(4.0, ax))
        ay = max(-4.0, min(4.0, ay))
        az = max(-4.0, min(4.0, az))
        m2 = ax * ax + ay * ay + az * az
        g = (gx, gy, gz)
        if self.count == 0:
            self.glp = list(g)
            self.mlp = m2
        still = True
        for i in range(3):
            self.glp[i] += (g[i] - self.glp[i]) * self.klp
            if abs(g[i] - self.glp[i]) > fx.REST_GYRO_DPS:
                still = False
        self.mlp += (m2 - self.mlp) * self.klp
        if abs(m2 - self.mlp) > (1 + fx.REST_ACC_G) ** 2 - 1 or abs(m2 - 1) > (1 + fx.REST_NEAR_G) ** 2 - 1:
            still = False
        if self.bias_n >= self.rest_n:
            for i in range(3):
                if abs(self.glp[i] - self.bias[i]) > fx.REST_GYRO_DPS:
                    still = False
        self.rest = min(self.rest + 1, self.rest_n) if still else 0
        if self.rest >= self.rest_n:
            kb = self.kb
            if self.bias_n < self.rest_n:
                kb = self.klp
                self.bias_n += 1
            for i in range(3):
                self.bias[i] += (g[i] - self.bias[i]) * kb
        h = [math.radians(g[i] - self.bias[i]) * self.dt / 2 + self.carry[i] for i in range(3)]
        self.carry = [0.0, 0.0, 0.0]
        w, x, y, z = q
        q = [w - x * h[0] - y * h[1] - z * h[2], x + w * h[0] + y * h[2] - z * h[1],
             y + w * h[1] - x * h[2] + z * h[0], z + w * h[2] + x * h[1] - y * h[0]]
        n = math.sqrt(sum(c * c for c in q))
        w, x, y, z = [c / n for c in q]
        r = ((1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)),
             (2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)),
             (2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)))
        settling = self.count < self.settle_n or (self.bias_n < self.rest_n and self.count < self.settle_n * 15)
        k = self.alpha0 if settling else self.alpha
        impact = m2 > fx.IMPACT_G ** 2
        self.rj += ((1.0 if impact else 0.0) - self.rj) * self.klp
        if not (impact and self.rj < fx.IMPACT_SHARE):
            e = [r[i][0] * ax + r[i][1] * ay + r[i][2] * az for i in range(3)]
            if self.count == 0:
                s1[:] = e
                s2[:] = e
            for i in range(3):
                s1[i] += (e[i] - s1[i]) * k
            for i in range(3):
                s2[i] += (s1[i] - s2[i]) * k
        lim = (1 << 18) / float(1 << 24)
        fxv = max(-lim, min(lim, s2[1]))
        fyv = max(-lim, min(lim, -s2[0]))
        if s2[2] < 0:
            fyv = 0.0
            fxv = lim if s2[1] >= 0 else -lim
        for s in (s1, s2):
            s[0] += fyv * s[2]
            s[1] -= fxv * s[2]
        self.carry = [(r[0][i] * fxv + r[1][i] * fyv) / 2 for i in range(3)]
        self.q = [w, x, y, z]
        self.count += 1
        return self.q
