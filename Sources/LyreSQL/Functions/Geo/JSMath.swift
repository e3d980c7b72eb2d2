internal import Foundation

/// `Math.sin`, `Math.cos`, `Math.asin`, `Math.atan`, `Math.atan2` and `Math.pow(x, 2)` as Node's V8
/// computes them (its fdlibm-derived `base::ieee754`), bit for bit, so geo results agree with
/// Harper's turf.js to the last digit: the C library's functions round differently in about
/// 1 of 40 cases, which changes about 1 distance in 5 in its last digit. The algorithms and
/// constants are Sun's fdlibm 5.3 (argument reduction by π/2, minimax polynomials on
/// [-π/4, π/4], arctangent from a table at 0.5, 1 and 1.5). When written it agreed with
/// Node 20 on 400,000 arguments; the geo tests pin distances where the C library differs.
/// Sines and cosines of arguments beyond 2^19·π/2, which fdlibm reduces with a
/// multi-precision π, use the C library (`geoCircle` with a radius over ~800,000 Earth radii).
enum JSMath {
    /// `Math.pow(x, 2)`: V8 answers exactly `x * x`.
    static func square(_ x: Double) -> Double { x * x }

    static func sin(_ x: Double) -> Double {
        let ix = high(x) & 0x7fff_ffff
        if ix <= 0x3fe9_21fb { return kernelSin(x, 0, false) }
        if ix >= 0x7ff0_0000 { return x - x }
        guard let (n, y0, y1) = reduce(x) else { return Foundation.sin(x) }
        switch n & 3 {
        case 0: return kernelSin(y0, y1, true)
        case 1: return kernelCos(y0, y1)
        case 2: return -kernelSin(y0, y1, true)
        default: return -kernelCos(y0, y1)
        }
    }

    static func cos(_ x: Double) -> Double {
        let ix = high(x) & 0x7fff_ffff
        if ix <= 0x3fe9_21fb { return kernelCos(x, 0) }
        if ix >= 0x7ff0_0000 { return x - x }
        guard let (n, y0, y1) = reduce(x) else { return Foundation.cos(x) }
        switch n & 3 {
        case 0: return kernelCos(y0, y1)
        case 1: return -kernelSin(y0, y1, true)
        case 2: return -kernelCos(y0, y1)
        default: return kernelSin(y0, y1, true)
        }
    }

    static func atan(_ input: Double) -> Double {
        var x = input
        let hx = high(x)
        let ix = hx & 0x7fff_ffff
        if ix >= 0x4410_0000 {  // |x| >= 2^66
            if x.isNaN { return x + x }
            return hx > 0 ? atanHigh[3] + atanLow[3] : -atanHigh[3] - atanLow[3]
        }
        let id: Int
        if ix < 0x3fdc_0000 {  // |x| < 0.4375
            if ix < 0x3e40_0000 { return x }  // |x| < 2^-27
            id = -1
        } else {
            x = Swift.abs(x)
            if ix < 0x3ff3_0000 {  // |x| < 1.1875
                if ix < 0x3fe6_0000 {
                    id = 0
                    x = (2.0 * x - 1.0) / (2.0 + x)
                } else {
                    id = 1
                    x = (x - 1.0) / (x + 1.0)
                }
            } else if ix < 0x4003_8000 {  // |x| < 2.4375
                id = 2
                x = (x - 1.5) / (1.0 + 1.5 * x)
            } else {
                id = 3
                x = -1.0 / x
            }
        }
        let z = x * x
        let w = z * z
        let s1 = z * (aT[0] + w * (aT[2] + w * (aT[4] + w * (aT[6] + w * (aT[8] + w * aT[10])))))
        let s2 = w * (aT[1] + w * (aT[3] + w * (aT[5] + w * (aT[7] + w * aT[9]))))
        if id < 0 { return x - x * (s1 + s2) }
        let result = atanHigh[id] - ((x * (s1 + s2) - atanLow[id]) - x)
        return hx < 0 ? -result : result
    }

    static func asin(_ x: Double) -> Double {
        let hx = high(x)
        let ix = hx & 0x7fff_ffff
        if ix >= 0x3ff0_0000 {  // |x| >= 1
            if Swift.abs(x) == 1 { return x * piOver2 + x * piOver2Low }
            return (x - x) / (x - x)  // NaN
        }
        if ix < 0x3fe0_0000 {  // |x| < 0.5
            if ix < 0x3e40_0000 { return x }  // |x| < 2^-27
            let t = x * x
            return x + x * (asinP(t) / asinQ(t))
        }
        // 0.5 <= |x| < 1
        let w = 1.0 - Swift.abs(x)
        let t = w * 0.5
        let p = asinP(t), q = asinQ(t)
        let s = t.squareRoot()
        let result: Double
        if ix >= 0x3fef_3333 {  // |x| > 0.975
            result = piOver2 - (2.0 * (s + s * (p / q)) - piOver2Low)
        } else {
            let w = Double(bitPattern: s.bitPattern & 0xffff_ffff_0000_0000)
            let c = (t - w * w) / (s + w)
            let p2 = 2.0 * s * (p / q) - (piOver2Low - 2.0 * c)
            let q2 = piOver4 - 2.0 * w
            result = piOver4 - (p2 - q2)
        }
        return hx > 0 ? result : -result
    }

    static func atan2(_ y: Double, _ x: Double) -> Double {
        if x.isNaN || y.isNaN { return x + y }
        if x == 1.0 { return atan(y) }
        let hx = high(x), hy = high(y)
        let ix = hx & 0x7fff_ffff, iy = hy & 0x7fff_ffff
        var m = Int((hy >> 31) & 1) | Int((hx >> 30) & 2)
        let tiny = 1.0e-300
        if y == 0 {
            switch m {
            case 0, 1: return y
            case 2: return pi + tiny
            default: return -pi - tiny
            }
        }
        if x == 0 { return hy < 0 ? -piOver2 - tiny : piOver2 + tiny }
        if x.isInfinite {
            if y.isInfinite {
                switch m {
                case 0: return piOver4 + tiny
                case 1: return -piOver4 - tiny
                case 2: return 3.0 * piOver4 + tiny
                default: return -3.0 * piOver4 - tiny
                }
            }
            switch m {
            case 0: return 0.0
            case 1: return -0.0
            case 2: return pi + tiny
            default: return -pi - tiny
            }
        }
        if y.isInfinite { return hy < 0 ? -piOver2 - tiny : piOver2 + tiny }
        let k = (Int(iy) - Int(ix)) >> 20
        let z: Double
        if k > 60 {  // |y/x| > 2^60
            z = piOver2 + 0.5 * piLow
            m &= 1
        } else if hx < 0, k < -60 {
            z = 0.0
        } else {
            z = atan(Swift.abs(y / x))
        }
        switch m {
        case 0: return z
        case 1: return -z
        case 2: return pi - (z - piLow)
        default: return (z - piLow) - pi
        }
    }

    // MARK: fdlibm's pieces

    private static let pi = 3.1415926535897931160e+00
    private static let piLow = 1.2246467991473531772e-16
    private static let piOver2 = 1.5707963267948965580e+00
    private static let piOver4 = 7.8539816339744827900e-01
    private static let piOver2Low = 6.12323399573676603587e-17

    /// asin's rational approximation on [0, 0.25]: numerator and denominator.
    private static func asinP(_ t: Double) -> Double {
        t * (1.66666666666666657415e-01 + t * (-3.25565818622400915405e-01 + t * (2.01212532134862925881e-01
            + t * (-4.00555345006794114027e-02 + t * (7.91534994289814532176e-04 + t * 3.47933107596021167570e-05)))))
    }

    private static func asinQ(_ t: Double) -> Double {
        1.0 + t * (-2.40339491173441421878e+00 + t * (2.02094576023350569471e+00 + t * (-6.88283971605453293030e-01
            + t * 7.70381505559019352791e-02)))
    }

    private static let atanHigh = [4.63647609000806093515e-01, 7.85398163397448278999e-01,
                                   9.82793723247329054082e-01, 1.57079632679489655800e+00]
    private static let atanLow = [2.26987774529616870924e-17, 3.06161699786838301793e-17,
                                  1.39033110312309984516e-17, 6.12323399573676603587e-17]
    private static let aT = [
        3.33333333333329318027e-01, -1.99999999998764832476e-01, 1.42857142725034663711e-01,
        -1.11111104054623557880e-01, 9.09088713343650656196e-02, -7.69187620504482999495e-02,
        6.66107313738753120669e-02, -5.83357013379057348645e-02, 4.97687799461593236017e-02,
        -3.65315727442169155270e-02, 1.62858201153657823623e-02,
    ]

    /// The high 32 bits of a double, as a signed integer (fdlibm's `GET_HIGH_WORD`).
    private static func high(_ x: Double) -> Int32 { Int32(truncatingIfNeeded: x.bitPattern >> 32) }

    /// sin on [-π/4, π/4]; `y` is the tail of the reduced argument.
    private static func kernelSin(_ x: Double, _ y: Double, _ hasTail: Bool) -> Double {
        let ix = high(x) & 0x7fff_ffff
        if ix < 0x3e40_0000, Int(x) == 0 { return x }  // |x| < 2^-27
        let z = x * x
        let v = z * x
        let r = 8.33333333332248946124e-03 + z * (-1.98412698298579493134e-04 + z * (2.75573137070700676789e-06
            + z * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)))
        let s1 = -1.66666666666666324348e-01
        if !hasTail { return x + v * (s1 + z * r) }
        return x - ((z * (0.5 * y - v * r) - y) - v * s1)
    }

    /// cos on [-π/4, π/4]; `y` is the tail of the reduced argument.
    private static func kernelCos(_ x: Double, _ y: Double) -> Double {
        let ix = high(x) & 0x7fff_ffff
        if ix < 0x3e40_0000, Int(x) == 0 { return 1.0 }  // |x| < 2^-27
        let z = x * x
        let r = z * (4.16666666666666019037e-02 + z * (-1.38888888888741095749e-03 + z * (2.48015872894767294178e-05
            + z * (-2.75573143513906633035e-07 + z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11)))))
        if ix < 0x3fd3_3333 { return 1.0 - (0.5 * z - (z * r - x * y)) }  // |x| < 0.3
        let qx = ix > 0x3fe9_0000 ? 0.28125 : Double(bitPattern: UInt64(UInt32(ix - 0x0020_0000)) << 32)
        let hz = 0.5 * z - qx
        let a = 1.0 - qx
        return a - (hz - (z * r - x * y))
    }

    /// High words of n·π/2 for n = 1...32 (fdlibm's `npio2_hw`).
    private static let multiplesOfPiOver2High: [Int32] = (1...32).map { high(Double($0) * piOver2) }

    /// x = n·π/2 + (y0 + y1) with |y0 + y1| ≤ π/4, for |x| up to 2^19·π/2 (fdlibm's
    /// `__ieee754_rem_pio2` without its large-argument path); nil beyond.
    private static func reduce(_ x: Double) -> (Int, Double, Double)? {
        let pio2_1 = 1.57079632673412561417e+00, pio2_1t = 6.07710050650619224932e-11
        let pio2_2 = 6.07710050630396597660e-11, pio2_2t = 2.02226624879595063154e-21
        let pio2_3 = 2.02226624871116645580e-21, pio2_3t = 8.47842766036889956997e-32
        let hx = high(x)
        let ix = hx & 0x7fff_ffff
        if ix < 0x4002_d97c {  // |x| < 3π/4: n = ±1
            if hx > 0 {
                var z = x - pio2_1
                if ix != 0x3ff9_21fb {
                    let y0 = z - pio2_1t
                    return (1, y0, (z - y0) - pio2_1t)
                }
                z -= pio2_2
                let y0 = z - pio2_2t
                return (1, y0, (z - y0) - pio2_2t)
            }
            var z = x + pio2_1
            if ix != 0x3ff9_21fb {
                let y0 = z + pio2_1t
                return (-1, y0, (z - y0) + pio2_1t)
            }
            z += pio2_2
            let y0 = z + pio2_2t
            return (-1, y0, (z - y0) + pio2_2t)
        }
        guard ix <= 0x4139_21fb else { return nil }
        let t = Swift.abs(x)
        let n = Int(t * 6.36619772367581382433e-01 + 0.5)
        let fn = Double(n)
        var r = t - fn * pio2_1
        var w = fn * pio2_1t
        var y0: Double
        if n < 32, ix != multiplesOfPiOver2High[n - 1] {
            y0 = r - w
        } else {
            let j = Int(ix >> 20)
            y0 = r - w
            var i = j - Int((high(y0) >> 20) & 0x7ff)
            if i > 16 {
                var t2 = r
                w = fn * pio2_2
                r = t2 - w
                w = fn * pio2_2t - ((t2 - r) - w)
                y0 = r - w
                i = j - Int((high(y0) >> 20) & 0x7ff)
                if i > 49 {
                    t2 = r
                    w = fn * pio2_3
                    r = t2 - w
                    w = fn * pio2_3t - ((t2 - r) - w)
                    y0 = r - w
                }
            }
        }
        let y1 = (r - y0) - w
        return hx < 0 ? (-n, -y0, -y1) : (n, y0, y1)
    }
}
