internal import Foundation

/// Polygon difference `A − B` (turf `difference`, which uses the polygon-clipping library),
/// by overlay: every edge of both inputs is split at every intersection, the pieces of `A`'s
/// boundary outside `B` and the pieces of `B`'s boundary inside `A` (reversed) are kept, and
/// the kept edges are linked into rings, always turning as far left as possible so that
/// regions touching at a vertex come out as separate rings.
///
/// Output follows sql-functions.md §9.3: exterior rings counter-clockwise, holes clockwise,
/// collinear vertices removed, each ring starting at its lowest-longitude (then
/// lowest-latitude) vertex and closed; polygons ordered by that first vertex.
enum GeoDifference {
    struct Point: Hashable {
        var x: Double
        var y: Double
    }

    typealias Ring = [Point]
    /// A polygon: the exterior ring first, then holes; rings are not closed.
    typealias Polygon = [Ring]

    /// `a − b`; an empty result means nothing remains.
    static func difference(_ a: [[[GeoPosition]]], _ b: [[[GeoPosition]]]) -> [[[GeoPosition]]] {
        let polysA = normalize(a), polysB = normalize(b)
        guard !polysA.isEmpty else { return [] }

        struct Edge { var a: Point; var b: Point }
        var edgesA: [Edge] = [], edgesB: [Edge] = []
        for polygon in polysA { for ring in polygon { for i in ring.indices { edgesA.append(Edge(a: ring[i], b: ring[(i + 1) % ring.count])) } } }
        for polygon in polysB { for ring in polygon { for i in ring.indices { edgesB.append(Edge(a: ring[i], b: ring[(i + 1) % ring.count])) } } }

        // Split points per edge, as parameters along the edge.
        var splitsA = Array(repeating: [(Double, Point)](), count: edgesA.count)
        var splitsB = Array(repeating: [(Double, Point)](), count: edgesB.count)
        for i in edgesA.indices {
            for j in edgesB.indices {
                for hit in intersections(edgesA[i].a, edgesA[i].b, edgesB[j].a, edgesB[j].b) {
                    if let t = hit.t { splitsA[i].append((t, hit.point)) }
                    if let u = hit.u { splitsB[j].append((u, hit.point)) }
                }
            }
        }
        func pieces(_ edge: Edge, _ splits: [(Double, Point)]) -> [Edge] {
            var points = [edge.a]
            for (_, p) in splits.sorted(by: { $0.0 < $1.0 }) where p != points.last! && p != edge.b { points.append(p) }
            points.append(edge.b)
            return zip(points, points.dropFirst()).compactMap { $0 == $1 ? nil : Edge(a: $0, b: $1) }
        }
        let piecesA = edgesA.indices.flatMap { pieces(edgesA[$0], splitsA[$0]) }
        let piecesB = edgesB.indices.flatMap { pieces(edgesB[$0], splitsB[$0]) }

        struct Key: Hashable { var a: Point; var b: Point }
        var directedB = Set<Key>()
        for e in piecesB { directedB.insert(Key(a: e.a, b: e.b)) }
        var directedA = Set<Key>()
        for e in piecesA { directedA.insert(Key(a: e.a, b: e.b)) }

        var kept: [Edge] = []
        for e in piecesA {
            if directedB.contains(Key(a: e.a, b: e.b)) { continue }         // shared, same side: inside B
            if directedB.contains(Key(a: e.b, b: e.a)) { kept.append(e); continue }  // shared, opposite sides
            if !inside(midpoint(e.a, e.b), polysB) { kept.append(e) }
        }
        for e in piecesB {
            if directedA.contains(Key(a: e.a, b: e.b)) || directedA.contains(Key(a: e.b, b: e.a)) { continue }
            if inside(midpoint(e.a, e.b), polysA) { kept.append(Edge(a: e.b, b: e.a)) }
        }

        // Link the kept edges into rings.
        var outgoing: [Point: [Int]] = [:]
        for (i, e) in kept.enumerated() { outgoing[e.a, default: []].append(i) }
        var used = Array(repeating: false, count: kept.count)
        var rings: [Ring] = []
        for first in kept.indices where !used[first] {
            used[first] = true
            var ring = [kept[first].a]
            var current = kept[first]
            var closed = false
            while true {
                let v = current.b
                let back = Point(x: current.a.x - v.x, y: current.a.y - v.y)
                var best: Int?   // -1 closes the ring
                var bestAngle = Double.infinity
                var candidates = (outgoing[v] ?? []).filter { !used[$0] }
                if v == ring[0] { candidates.append(-1) }
                for c in candidates {
                    let target = c == -1 ? kept[first].b : kept[c].b
                    let d = Point(x: target.x - v.x, y: target.y - v.y)
                    var angle = -atan2(back.x * d.y - back.y * d.x, back.x * d.x + back.y * d.y)
                    if angle <= 0 { angle += 2 * Double.pi }
                    if angle < bestAngle { bestAngle = angle; best = c }
                }
                guard let next = best else { break }
                if next == -1 { closed = true; break }
                used[next] = true
                ring.append(v)
                current = kept[next]
            }
            if closed {
                let simplified = removeCollinear(ring)
                if simplified.count >= 3 { rings.append(simplified) }
            }
        }

        // Exteriors (counter-clockwise) and holes (clockwise).
        var exteriors: [Ring] = [], holes: [Ring] = []
        for ring in rings {
            let area = signedArea(ring)
            if area > 0 { exteriors.append(ring) } else if area < 0 { holes.append(ring) }
        }
        var polygons: [Polygon] = exteriors.map { [$0] }
        for hole in holes {
            var owner: Int?
            var ownerArea = Double.infinity
            for (i, exterior) in exteriors.enumerated() where ringContains(exterior, hole) {
                let area = signedArea(exterior)
                if area < ownerArea { ownerArea = area; owner = i }
            }
            if let owner { polygons[owner].append(hole) }
        }
        var result: [[[GeoPosition]]] = polygons.map { polygon in
            let exterior = rotate(polygon[0])
            let holes = polygon.dropFirst().map(rotate).sorted { lessThan($0[0], $1[0]) }
            return ([exterior] + holes).map { ring in (ring + [ring[0]]).map { [$0.x, $0.y] } }
        }
        result.sort { lessThan(Point(x: $0[0][0][0], y: $0[0][0][1]), Point(x: $1[0][0][0], y: $1[0][0][1])) }
        return result
    }

    // MARK: Helpers

    /// Rings without the closing position or repeated positions; exteriors counter-clockwise, holes clockwise.
    private static func normalize(_ polygons: [[[GeoPosition]]]) -> [Polygon] {
        var result: [Polygon] = []
        for polygon in polygons {
            var rings: Polygon = []
            for (index, positions) in polygon.enumerated() {
                var ring: Ring = []
                for p in positions {
                    let point = Point(x: p[0], y: p[1])
                    if ring.last != point { ring.append(point) }
                }
                if ring.count > 1 && ring.first == ring.last { ring.removeLast() }
                guard ring.count >= 3 else { if index == 0 { break } else { continue } }
                let area = signedArea(ring)
                if (index == 0) != (area > 0) { ring.reverse() }
                rings.append(ring)
            }
            if !rings.isEmpty { result.append(rings) }
        }
        return result
    }

    static func signedArea(_ ring: Ring) -> Double {
        var sum = 0.0
        for i in ring.indices {
            let p = ring[i], q = ring[(i + 1) % ring.count]
            sum += p.x * q.y - q.x * p.y
        }
        return sum / 2
    }

    private static func midpoint(_ a: Point, _ b: Point) -> Point {
        Point(x: (a.x + b.x) / 2, y: (a.y + b.y) / 2)
    }

    /// Even-odd test of a point known not to lie on any boundary.
    private static func inRing(_ p: Point, _ ring: Ring) -> Bool {
        var inside = false
        var j = ring.count - 1
        for i in ring.indices {
            let a = ring[i], b = ring[j]
            if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
                inside.toggle()
            }
            j = i
        }
        return inside
    }

    private static func inside(_ p: Point, _ polygons: [Polygon]) -> Bool {
        polygons.contains { polygon in
            inRing(p, polygon[0]) && !polygon.dropFirst().contains { inRing(p, $0) }
        }
    }

    /// Whether `inner` lies inside `outer` (tested at edge midpoints, which avoids shared vertices).
    private static func ringContains(_ outer: Ring, _ inner: Ring) -> Bool {
        var votes = 0
        for i in inner.indices {
            let m = midpoint(inner[i], inner[(i + 1) % inner.count])
            votes += inRing(m, outer) ? 1 : -1
        }
        return votes > 0
    }

    private static func removeCollinear(_ ringIn: Ring) -> Ring {
        var ring = ringIn
        var changed = true
        while changed && ring.count >= 3 {
            changed = false
            for i in ring.indices {
                let prev = ring[(i + ring.count - 1) % ring.count], cur = ring[i], next = ring[(i + 1) % ring.count]
                if (cur.x - prev.x) * (next.y - cur.y) - (cur.y - prev.y) * (next.x - cur.x) == 0 {
                    ring.remove(at: i)
                    changed = true
                    break
                }
            }
        }
        return ring
    }

    private static func lessThan(_ a: Point, _ b: Point) -> Bool {
        a.x < b.x || (a.x == b.x && a.y < b.y)
    }

    private static func rotate(_ ring: Ring) -> Ring {
        var start = 0
        for i in ring.indices where lessThan(ring[i], ring[start]) { start = i }
        return Array(ring[start...] + ring[..<start])
    }

    struct Hit {
        var point: Point
        /// Parameter on the first segment when the point is strictly inside it.
        var t: Double?
        /// Parameter on the second segment when the point is strictly inside it.
        var u: Double?
    }

    /// Points where segment `p→q` meets segment `r→s` that split either segment.
    private static func intersections(_ p: Point, _ q: Point, _ r: Point, _ s: Point) -> [Hit] {
        let dx1 = q.x - p.x, dy1 = q.y - p.y, dx2 = s.x - r.x, dy2 = s.y - r.y
        let denom = dx1 * dy2 - dy1 * dx2
        let rpx = r.x - p.x, rpy = r.y - p.y
        if denom == 0 {
            // Parallel: only collinear overlaps split anything.
            guard rpx * dy1 - rpy * dx1 == 0 else { return [] }
            var hits: [Hit] = []
            func param(_ x: Point, _ a: Point, _ dx: Double, _ dy: Double) -> Double {
                ((x.x - a.x) * dx + (x.y - a.y) * dy) / (dx * dx + dy * dy)
            }
            for x in [r, s] {
                let t = param(x, p, dx1, dy1)
                if t > 0 && t < 1 { hits.append(Hit(point: x, t: t, u: nil)) }
            }
            for x in [p, q] {
                let u = param(x, r, dx2, dy2)
                if u > 0 && u < 1 { hits.append(Hit(point: x, t: nil, u: u)) }
            }
            return hits
        }
        let t = (rpx * dy2 - rpy * dx2) / denom
        let u = (rpx * dy1 - rpy * dx1) / denom
        guard t >= 0 && t <= 1 && u >= 0 && u <= 1 else { return [] }
        let tInside = t > 0 && t < 1, uInside = u > 0 && u < 1
        guard tInside || uInside else { return [] }
        // Prefer an exact input vertex when the crossing is at an end of one segment.
        var point = Point(x: p.x + t * dx1, y: p.y + t * dy1)
        if !uInside { point = u <= 0 ? r : s }
        else if !tInside { point = t <= 0 ? p : q }
        else {
            for v in [p, q, r, s] where abs(v.x - point.x) <= 1e-12 * max(1, abs(v.x)) && abs(v.y - point.y) <= 1e-12 * max(1, abs(v.y)) {
                point = v
            }
        }
        return [Hit(point: point, t: tInside && point != p && point != q ? t : nil,
                    u: uInside && point != r && point != s ? u : nil)]
    }
}
