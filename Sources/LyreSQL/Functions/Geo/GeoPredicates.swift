internal import Foundation
internal import LyreCore

/// turf.js 6.5's `booleanContains`, `booleanDisjoint` and `booleanEqual`, with their exact
/// (epsilon-free) floating-point tests.
enum GeoPredicates {
    // MARK: Primitives

    static func sameCoords(_ a: GeoPosition, _ b: GeoPosition) -> Bool {
        a[0] == b[0] && a[1] == b[1]
    }

    enum Boundary { case none, start, end, both }

    /// turf `isPointOnLineSegment` (booleanPointOnLine's variant with excluded ends).
    static func onSegment(_ start: GeoPosition, _ end: GeoPosition, _ pt: GeoPosition, exclude: Boundary = .none) -> Bool {
        let x = pt[0], y = pt[1]
        let x1 = start[0], y1 = start[1], x2 = end[0], y2 = end[1]
        let dxc = x - x1, dyc = y - y1, dxl = x2 - x1, dyl = y2 - y1
        let cross = dxc * dyl - dyc * dxl
        guard cross == 0 else { return false }
        let alongX = abs(dxl) >= abs(dyl)
        let (p, a, b, d) = alongX ? (x, x1, x2, dxl) : (y, y1, y2, dyl)
        switch exclude {
        case .none: return d > 0 ? a <= p && p <= b : b <= p && p <= a
        case .start: return d > 0 ? a < p && p <= b : b <= p && p < a
        case .end: return d > 0 ? a <= p && p < b : b < p && p <= a
        case .both: return d > 0 ? a < p && p < b : b < p && p < a
        }
    }

    /// turf `booleanPointOnLine`.
    static func pointOnLine(_ pt: GeoPosition, _ line: [GeoPosition], ignoreEndVertices: Bool = false) -> Bool {
        guard line.count > 1 else { return false }
        for i in 0..<(line.count - 1) {
            var exclude = Boundary.none
            if ignoreEndVertices {
                if i == 0 { exclude = .start }
                if i == line.count - 2 { exclude = .end }
                if i == 0 && i + 1 == line.count - 1 { exclude = .both }
            }
            if onSegment(line[i], line[i + 1], pt, exclude: exclude) { return true }
        }
        return false
    }

    /// turf `inRing` (ray casting; `ignoreBoundary` says what a boundary point counts as).
    static func inRing(_ pt: GeoPosition, _ ringIn: [GeoPosition], ignoreBoundary: Bool) -> Bool {
        var ring = ringIn
        if let first = ring.first, let last = ring.last, ring.count > 1, first[0] == last[0], first[1] == last[1] {
            ring.removeLast()
        }
        var inside = false
        var j = ring.count - 1
        for i in 0..<ring.count {
            let xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1]
            let onBoundary = pt[1] * (xi - xj) + yi * (xj - pt[0]) + yj * (pt[0] - xi) == 0
                && (xi - pt[0]) * (xj - pt[0]) <= 0 && (yi - pt[1]) * (yj - pt[1]) <= 0
            if onBoundary { return !ignoreBoundary }
            let intersect = (yi > pt[1]) != (yj > pt[1]) && pt[0] < (xj - xi) * (pt[1] - yi) / (yj - yi) + xi
            if intersect { inside.toggle() }
            j = i
        }
        return inside
    }

    /// turf `booleanPointInPolygon` over a Polygon's rings or a MultiPolygon's polygons.
    static func pointInPolygons(_ pt: GeoPosition, _ polygons: [[[GeoPosition]]], ignoreBoundary: Bool = false) -> Bool {
        for polygon in polygons {
            guard let outer = polygon.first, !outer.isEmpty else { continue }
            if inRing(pt, outer, ignoreBoundary: ignoreBoundary) {
                var inHole = false
                for hole in polygon.dropFirst() where !hole.isEmpty {
                    if inRing(pt, hole, ignoreBoundary: !ignoreBoundary) { inHole = true; break }
                }
                if !inHole { return true }
            }
        }
        return false
    }

    static func bbox(_ positions: [GeoPosition]) -> (Double, Double, Double, Double) {
        var b = (Double.infinity, Double.infinity, -Double.infinity, -Double.infinity)
        for p in positions {
            b.0 = min(b.0, p[0]); b.1 = min(b.1, p[1]); b.2 = max(b.2, p[0]); b.3 = max(b.3, p[1])
        }
        return b
    }

    /// turf's `doBBoxOverlap` (really: `b2` inside `b1`).
    static func bboxContains(_ b1: (Double, Double, Double, Double), _ b2: (Double, Double, Double, Double)) -> Bool {
        !(b1.0 > b2.0 || b1.2 < b2.2 || b1.1 > b2.1 || b1.3 < b2.3)
    }

    // MARK: booleanContains

    static func contains(_ g1: GeoGeometry, _ g2: GeoGeometry) -> Bool {
        switch (g1, g2) {
        case (.point(let a), .point(let b)):
            return sameCoords(a, b)
        case (.multiPoint(let points), .point(let p)):
            return points.contains { sameCoords($0, p) }
        case (.multiPoint(let points1), .multiPoint(let points2)):
            return points2.allSatisfy { p in points1.contains { sameCoords(p, $0) } }
        case (.lineString(let line), .point(let p)):
            return pointOnLine(p, line, ignoreEndVertices: true)
        case (.lineString(let line1), .lineString(let line2)):
            return pointsOnLine(line2, line1)
        case (.lineString(let line), .multiPoint(let points)):
            return pointsOnLine(points, line)
        case (.polygon(let rings), .point(let p)):
            return pointInPolygons(p, [rings], ignoreBoundary: true)
        case (.polygon(let rings), .lineString(let line)):
            guard bboxContains(bbox(rings.flatMap { $0 }), bbox(line)) else { return false }
            for i in 0..<max(0, line.count - 1) {
                let mid = [(line[i][0] + line[i + 1][0]) / 2, (line[i][1] + line[i + 1][1]) / 2]
                if pointInPolygons(mid, [rings], ignoreBoundary: true) { return true }
            }
            return false
        case (.polygon(let rings1), .polygon(let rings2)):
            guard bboxContains(bbox(rings1.flatMap { $0 }), bbox(rings2.flatMap { $0 })) else { return false }
            for ring in rings2 {
                for coord in ring where !pointInPolygons(coord, [rings1]) { return false }
            }
            return true
        case (.polygon(let rings), .multiPoint(let points)):
            return points.allSatisfy { pointInPolygons($0, [rings], ignoreBoundary: true) }
        default:
            return false
        }
    }

    /// turf `isLineOnLine` / `isMultiPointOnLine`: every point on the line, one not at an end.
    private static func pointsOnLine(_ points: [GeoPosition], _ line: [GeoPosition]) -> Bool {
        var interior = false
        for p in points {
            if !pointOnLine(p, line) { return false }
            if !interior { interior = pointOnLine(p, line, ignoreEndVertices: true) }
        }
        return interior
    }

    // MARK: booleanDisjoint

    /// `true` when no part of `g1` meets any part of `g2` (turf `booleanDisjoint`).
    static func disjoint(_ g1: GeoGeometry, _ g2: GeoGeometry) -> Bool {
        for a in g1.flattened {
            for b in g2.flattened where !disjointParts(a, b) { return false }
        }
        return true
    }

    private static func disjointParts(_ g1: GeoGeometry, _ g2: GeoGeometry) -> Bool {
        switch (g1, g2) {
        case (.point(let a), .point(let b)): return !sameCoords(a, b)
        case (.point(let p), .lineString(let line)), (.lineString(let line), .point(let p)):
            return !segmentsContain(line, p)
        case (.point(let p), .polygon(let rings)), (.polygon(let rings), .point(let p)):
            return !pointInPolygons(p, [rings])
        case (.lineString(let a), .lineString(let b)):
            return !linesIntersect([a], [b])
        case (.lineString(let line), .polygon(let rings)), (.polygon(let rings), .lineString(let line)):
            return !lineInPolygon(rings, line)
        case (.polygon(let a), .polygon(let b)):
            return !polygonsMeet(b, a)
        default:
            return false
        }
    }

    private static func segmentsContain(_ line: [GeoPosition], _ p: GeoPosition) -> Bool {
        guard line.count > 1 else { return false }
        for i in 0..<(line.count - 1) where onSegment(line[i], line[i + 1], p) { return true }
        return false
    }

    private static func lineInPolygon(_ rings: [[GeoPosition]], _ line: [GeoPosition]) -> Bool {
        for coord in line where pointInPolygons(coord, [rings]) { return true }
        return linesIntersect([line], rings)
    }

    private static func polygonsMeet(_ a: [[GeoPosition]], _ b: [[GeoPosition]]) -> Bool {
        if let outer = a.first { for coord in outer where pointInPolygons(coord, [b]) { return true } }
        if let outer = b.first { for coord in outer where pointInPolygons(coord, [a]) { return true } }
        return linesIntersect(a, b)
    }

    /// turf `lineIntersect` between two sets of lines: any pair of segments crossing or
    /// touching (collinear overlaps do not count, as in turf).
    static func linesIntersect(_ lines1: [[GeoPosition]], _ lines2: [[GeoPosition]]) -> Bool {
        for l1 in lines1 where l1.count > 1 {
            for l2 in lines2 where l2.count > 1 {
                for i in 0..<(l1.count - 1) {
                    for j in 0..<(l2.count - 1) where segmentsIntersect(l1[i], l1[i + 1], l2[j], l2[j + 1]) {
                        return true
                    }
                }
            }
        }
        return false
    }

    private static func segmentsIntersect(_ p1: GeoPosition, _ p2: GeoPosition, _ p3: GeoPosition, _ p4: GeoPosition) -> Bool {
        let (x1, y1, x2, y2) = (p1[0], p1[1], p2[0], p2[1])
        let (x3, y3, x4, y4) = (p3[0], p3[1], p4[0], p4[1])
        let denom = (y4 - y3) * (x2 - x1) - (x4 - x3) * (y2 - y1)
        let numeA = (x4 - x3) * (y1 - y3) - (y4 - y3) * (x1 - x3)
        let numeB = (x2 - x1) * (y1 - y3) - (y2 - y1) * (x1 - x3)
        guard denom != 0 else { return false }
        let uA = numeA / denom, uB = numeB / denom
        return uA >= 0 && uA <= 1 && uB >= 0 && uB <= 1
    }

    // MARK: booleanEqual

    /// turf `booleanEqual`: same type, coordinates equal to 6 decimals after `cleanCoords`.
    /// Features compare as Features (also `id`, `properties` and `bbox`).
    static func equal(_ v1: Value, _ v2: Value) throws(GeoInvalid) -> Bool {
        let g1 = try GeoGeometry.of(v1), g2 = try GeoGeometry.of(v2)
        guard g1.typeName == g2.typeName else { return false }
        let f1 = isFeature(v1), f2 = isFeature(v2)
        guard f1 == f2 else { return false }
        if f1 {
            guard v1["id"] == v2["id"],
                  deepEqual(v1["properties"], v2["properties"]) else { return false }
            switch (v1["bbox"], v2["bbox"]) {
            case (nil, nil): break
            case (let b1?, let b2?):
                guard let p1 = try? GeoGeometry.position(b1), let p2 = try? GeoGeometry.position(b2),
                      sameFixed(p1, p2) else { return false }
            default: return false
            }
        }
        return try geometriesEqual(clean(g1), clean(g2))
    }

    private static func isFeature(_ v: Value) -> Bool {
        if case .string("Feature")? = v["type"] { return true }
        return false
    }

    private static func deepEqual(_ a: Value?, _ b: Value?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let x?, let y?): return x.jsonataEquals(y)
        default: return false
        }
    }

    private static func fixed(_ x: Double) -> String {
        String(format: "%.6f", x)
    }

    static func sameFixed(_ a: GeoPosition, _ b: GeoPosition) -> Bool {
        guard a.count == b.count else { return false }
        for i in a.indices where fixed(a[i]) != fixed(b[i]) { return false }
        return true
    }

    private static func geometriesEqual(_ g1: GeoGeometry, _ g2: GeoGeometry) -> Bool {
        switch (g1, g2) {
        case (.point(let a), .point(let b)): return sameFixed(a, b)
        case (.lineString(let a), .lineString(let b)): return linesEqual(a, b, index: 0, isPolygon: false)
        case (.polygon(let a), .polygon(let b)): return polygonsEqual(a, b)
        case (.multiPoint(let a), .multiPoint(let b)):
            return a.count == b.count && a.allSatisfy { p in b.contains { sameFixed(p, $0) } }
        case (.multiLineString(let a), .multiLineString(let b)):
            return a.count == b.count && a.allSatisfy { l in b.contains { linesEqual(l, $0, index: 0, isPolygon: false) } }
        case (.multiPolygon(let a), .multiPolygon(let b)):
            return a.count == b.count && a.allSatisfy { p in b.contains { polygonsEqual(p, $0) } }
        default: return false
        }
    }

    private static func polygonsEqual(_ a: [[GeoPosition]], _ b: [[GeoPosition]]) -> Bool {
        guard a.count == b.count, let outer1 = a.first, let outer2 = b.first,
              linesEqual(outer1, outer2, index: 1, isPolygon: true) else { return false }
        return a.dropFirst().allSatisfy { h1 in b.dropFirst().contains { linesEqual(h1, $0, index: 1, isPolygon: true) } }
    }

    /// geojson-equality's `compareLine`: rings may start elsewhere and run backwards.
    private static func linesEqual(_ p1: [GeoPosition], _ p2In: [GeoPosition], index: Int, isPolygon: Bool) -> Bool {
        guard p1.count == p2In.count, p1.count > index else { return p1.count == p2In.count && p1.isEmpty }
        var p2 = p2In
        if isPolygon && !sameFixed(p1[0], p2[0]) {
            guard let start = p2.firstIndex(where: { sameFixed($0, p1[0]) }) else { return false }
            p2 = Array(p2[start...]) + Array(p2[1..<(start + 1)])
        }
        func samePath(_ a: [GeoPosition], _ b: [GeoPosition]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { sameFixed($0, $1) }
        }
        if sameFixed(p1[index], p2[index]) { return samePath(p1, p2) }
        if sameFixed(p1[index], p2[p2.count - (1 + index)]) { return samePath(p1.reversed(), p2) }
        return false
    }

    /// turf `cleanCoords`: drops repeated and collinear intermediate positions.
    private static func clean(_ g: GeoGeometry) throws(GeoInvalid) -> GeoGeometry {
        switch g {
        case .point, .collection: return g
        case .multiPoint(let points):
            var unique: [GeoPosition] = []
            for p in points where !unique.contains(where: { sameCoords($0, p) }) { unique.append(p) }
            return .multiPoint(unique)
        case .lineString(let line): return .lineString(try cleanLine(line))
        case .multiLineString(let lines):
            var result: [[GeoPosition]] = []
            for line in lines { result.append(try cleanLine(line)) }
            return .multiLineString(result)
        case .polygon(let rings):
            var result: [[GeoPosition]] = []
            for ring in rings { result.append(try cleanLine(ring)) }
            return .polygon(result)
        case .multiPolygon(let polygons):
            var result: [[[GeoPosition]]] = []
            for polygon in polygons {
                var rings: [[GeoPosition]] = []
                for ring in polygon { rings.append(try cleanLine(ring)) }
                result.append(rings)
            }
            return .multiPolygon(result)
        }
    }

    private static func cleanLine(_ points: [GeoPosition]) throws(GeoInvalid) -> [GeoPosition] {
        guard points.count >= 2 else { throw GeoInvalid() }
        if points.count == 2 && !sameCoords(points[0], points[1]) { return points }
        var kept: [GeoPosition] = [points[0]]
        for i in 1..<(points.count - 1) {
            if sameCoords(points[i], kept[kept.count - 1]) { continue }
            kept.append(points[i])
            if kept.count > 2 && onSegment(kept[kept.count - 3], kept[kept.count - 1], kept[kept.count - 2]) {
                kept.remove(at: kept.count - 2)
            }
        }
        kept.append(points[points.count - 1])
        if sameCoords(points[0], points[points.count - 1]) && kept.count < 4 { throw GeoInvalid() }
        if kept.count >= 3 && onSegment(kept[kept.count - 3], kept[kept.count - 1], kept[kept.count - 2]) {
            kept.remove(at: kept.count - 2)
        }
        return kept
    }
}
