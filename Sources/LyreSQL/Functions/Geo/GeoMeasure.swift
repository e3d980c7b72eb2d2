internal import Foundation

/// Distances, lengths, areas and destinations with turf.js 6.5's formulas and constants
/// (sql-functions.md §9.2). Operations are written in turf's order, and sines, cosines and
/// arctangents are V8's (`JSMath`), so results match Harper's IEEE-double digits.
enum GeoMeasure {
    /// Mean Earth radius in meters (turf `earthRadius`).
    static let earthRadius = 6371008.8
    /// WGS84 equatorial radius, used by turf's `area`.
    static let areaRadius = 6378137.0

    /// Factor converting radians to `unit` (turf `factors`); `nil` for an unknown unit.
    static func factor(_ unit: String) -> Double? {
        switch unit {
        case "centimeters", "centimetres": earthRadius * 100
        case "degrees": earthRadius / 111325
        case "feet": earthRadius * 3.28084
        case "inches": earthRadius * 39.37
        case "kilometers", "kilometres": earthRadius / 1000
        case "meters", "metres": earthRadius
        case "miles": earthRadius / 1609.344
        case "millimeters", "millimetres": earthRadius * 1000
        case "nauticalmiles": earthRadius / 1852
        case "radians": 1
        case "yards": earthRadius * 1.0936
        default: nil
        }
    }

    /// turf `degreesToRadians`: `(x % 360) × π / 180`.
    static func radians(_ degrees: Double) -> Double {
        degrees.truncatingRemainder(dividingBy: 360) * Double.pi / 180
    }

    /// turf `radiansToDegrees`: `(x % 2π) × 180 / π`.
    static func degrees(_ radians: Double) -> Double {
        radians.truncatingRemainder(dividingBy: 2 * Double.pi) * 180 / Double.pi
    }

    /// Haversine distance (turf `distance`) in `unit`.
    static func distance(_ from: GeoPosition, _ to: GeoPosition, unit: String) throws(GeoInvalid) -> Double {
        let dLat = radians(to[1] - from[1])
        let dLon = radians(to[0] - from[0])
        let lat1 = radians(from[1])
        let lat2 = radians(to[1])
        let a = JSMath.square(JSMath.sin(dLat / 2)) + JSMath.square(JSMath.sin(dLon / 2)) * JSMath.cos(lat1) * JSMath.cos(lat2)
        guard let f = factor(unit) else { throw GeoInvalid() }
        return 2 * JSMath.atan2(a.squareRoot(), (1 - a).squareRoot()) * f
    }

    /// turf `length`: the sum of the segment distances of every line and ring.
    static func length(_ geometries: [GeoGeometry?], unit: String) throws(GeoInvalid) -> Double {
        var total = 0.0
        func line(_ positions: [GeoPosition]) throws(GeoInvalid) {
            guard positions.count > 1 else { return }
            for i in 1..<positions.count {
                total += try distance(positions[i - 1], positions[i], unit: unit)
            }
        }
        for geometry in geometries {
            guard let geometry else { continue }
            for part in geometry.flattened {
                switch part {
                case .lineString(let positions): try line(positions)
                case .polygon(let rings): for ring in rings { try line(ring) }
                default: break
                }
            }
        }
        return total
    }

    /// turf `area` in square meters.
    static func area(_ geometries: [GeoGeometry?]) -> Double {
        var total = 0.0
        for geometry in geometries {
            guard let geometry else { continue }
            switch geometry {
            case .polygon(let rings): total += polygonArea(rings)
            case .multiPolygon(let polygons):
                var sum = 0.0
                for polygon in polygons { sum += polygonArea(polygon) }
                total += sum
            default: break
            }
        }
        return total
    }

    static func polygonArea(_ rings: [[GeoPosition]]) -> Double {
        guard let outer = rings.first else { return 0 }
        var total = abs(ringArea(outer))
        for hole in rings.dropFirst() { total -= abs(ringArea(hole)) }
        return total
    }

    /// Spherical-excess approximation of one ring (turf `ringArea`).
    static func ringArea(_ coords: [GeoPosition]) -> Double {
        let n = coords.count
        guard n > 2 else { return 0 }
        var total = 0.0
        for i in 0..<n {
            let lower, middle, upper: Int
            if i == n - 2 {
                (lower, middle, upper) = (n - 2, n - 1, 0)
            } else if i == n - 1 {
                (lower, middle, upper) = (n - 1, 0, 1)
            } else {
                (lower, middle, upper) = (i, i + 1, i + 2)
            }
            total += (radians(coords[upper][0]) - radians(coords[lower][0])) * JSMath.sin(radians(coords[middle][1]))
        }
        return total * areaRadius * areaRadius / 2
    }

    /// turf `destination`: the position `distance` away from `origin` along `bearing` degrees.
    static func destination(_ origin: GeoPosition, distance: Double, bearing: Double, unit: String) throws(GeoInvalid) -> GeoPosition {
        let longitude1 = radians(origin[0])
        let latitude1 = radians(origin[1])
        let bearingRad = radians(bearing)
        guard let f = factor(unit) else { throw GeoInvalid() }
        let delta = distance / f
        let latitude2 = JSMath.asin(JSMath.sin(latitude1) * JSMath.cos(delta) + JSMath.cos(latitude1) * JSMath.sin(delta) * JSMath.cos(bearingRad))
        let longitude2 = longitude1 + JSMath.atan2(JSMath.sin(bearingRad) * JSMath.sin(delta) * JSMath.cos(latitude1),
                                                   JSMath.cos(delta) - JSMath.sin(latitude1) * JSMath.sin(latitude2))
        return [degrees(longitude2), degrees(latitude2)]
    }

    /// turf `circle` with 64 steps: 64 destinations at bearings `i × −360 / 64`, closed.
    static func circle(center: GeoPosition, radius: Double, unit: String, steps: Int = 64) throws(GeoInvalid) -> [GeoPosition] {
        var ring: [GeoPosition] = []
        for i in 0..<steps {
            ring.append(try destination(center, distance: radius, bearing: Double(i) * -360 / Double(steps), unit: unit))
        }
        ring.append(ring[0])
        return ring
    }
}
