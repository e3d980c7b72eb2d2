internal import LyreCore

/// A GeoJSON position `[longitude, latitude, …]`; non-numeric members read as NaN.
typealias GeoPosition = [Double]

/// A GeoJSON geometry read from a ``Value`` (turf.js 6.5 conventions: no validation beyond
/// the shape of the coordinate arrays).
enum GeoGeometry: Equatable {
    case point(GeoPosition)
    case multiPoint([GeoPosition])
    case lineString([GeoPosition])
    case multiLineString([[GeoPosition]])
    case polygon([[GeoPosition]])
    case multiPolygon([[[GeoPosition]]])
    case collection([GeoGeometry])

    /// How deeply GeometryCollections (and FeatureCollections) may nest: RFC 7946 §3.1.8
    /// advises against nesting them at all; a deeper value is not a usable geometry, so
    /// the recursion over it stays short whatever the input.
    static let maximumNesting = 32

    /// Reads a bare geometry object (`{"type": "Polygon", "coordinates": …}`).
    static func read(_ value: Value, nesting: Int = 0) throws(GeoInvalid) -> GeoGeometry {
        guard case .object(let object) = value, case .string(let type)? = object["type"] else { throw GeoInvalid() }
        if type == "GeometryCollection" {
            guard nesting < maximumNesting, case .array(let items)? = object["geometries"] else { throw GeoInvalid() }
            var parts: [GeoGeometry] = []
            for item in items { parts.append(try read(item, nesting: nesting + 1)) }
            return .collection(parts)
        }
        guard let coordinates = object["coordinates"] else { throw GeoInvalid() }
        switch type {
        case "Point": return .point(try position(coordinates))
        case "MultiPoint": return .multiPoint(try positions(coordinates))
        case "LineString": return .lineString(try positions(coordinates))
        case "MultiLineString": return .multiLineString(try list(coordinates, positions))
        case "Polygon": return .polygon(try list(coordinates, positions))
        case "MultiPolygon": return .multiPolygon(try list(coordinates) { (v) throws(GeoInvalid) in try list(v, positions) })
        default: throw GeoInvalid()
        }
    }

    static func position(_ value: Value) throws(GeoInvalid) -> GeoPosition {
        guard case .array(let items) = value, items.count >= 2 else { throw GeoInvalid() }
        var result: GeoPosition = []
        result.reserveCapacity(items.count)
        for item in items {
            if case .array = item { throw GeoInvalid() }
            result.append(item.doubleValue ?? .nan)
        }
        return result
    }

    static func positions(_ value: Value) throws(GeoInvalid) -> [GeoPosition] {
        try list(value, position)
    }

    private static func list<T>(_ value: Value, _ read: (Value) throws(GeoInvalid) -> T) throws(GeoInvalid) -> [T] {
        guard case .array(let items) = value else { throw GeoInvalid() }
        var result: [T] = []
        result.reserveCapacity(items.count)
        for item in items { result.append(try read(item)) }
        return result
    }

    /// Every geometry of a GeoJSON value (turf `geomEach`): a FeatureCollection's features,
    /// a Feature's geometry (`nil` for a null geometry), the members of a GeometryCollection.
    static func each(_ value: Value, nesting: Int = 0) throws(GeoInvalid) -> [GeoGeometry?] {
        guard nesting < maximumNesting, case .object(let object) = value, case .string(let type)? = object["type"] else {
            throw GeoInvalid()
        }
        switch type {
        case "FeatureCollection":
            guard case .array(let features)? = object["features"] else { throw GeoInvalid() }
            var result: [GeoGeometry?] = []
            for feature in features { result.append(contentsOf: try each(feature, nesting: nesting + 1)) }
            return result
        case "Feature":
            guard let geometry = object["geometry"], !geometry.isNull else { return [nil] }
            return try each(geometry, nesting: nesting + 1)
        default:
            let geometry = try read(value)
            if case .collection(let parts) = geometry { return parts }
            return [geometry]
        }
    }

    /// turf `getGeom`: the geometry of a Feature, or the geometry itself.
    static func of(_ value: Value) throws(GeoInvalid) -> GeoGeometry {
        if case .string("Feature")? = value["type"] {
            guard let geometry = value["geometry"] else { throw GeoInvalid() }
            return try read(geometry)
        }
        return try read(value)
    }

    /// The single-part geometries (turf `flattenEach`).
    var flattened: [GeoGeometry] {
        switch self {
        case .point, .lineString, .polygon: [self]
        case .multiPoint(let points): points.map { .point($0) }
        case .multiLineString(let lines): lines.map { .lineString($0) }
        case .multiPolygon(let polygons): polygons.map { .polygon($0) }
        case .collection(let parts): parts.flatMap(\.flattened)
        }
    }

    /// All positions, for bounding boxes.
    var allPositions: [GeoPosition] {
        switch self {
        case .point(let p): [p]
        case .multiPoint(let ps), .lineString(let ps): ps
        case .multiLineString(let ls), .polygon(let ls): ls.flatMap { $0 }
        case .multiPolygon(let polygons): polygons.flatMap { $0.flatMap { $0 } }
        case .collection(let parts): parts.flatMap(\.allPositions)
        }
    }

    /// GeoJSON's type name.
    var typeName: String {
        switch self {
        case .point: "Point"
        case .multiPoint: "MultiPoint"
        case .lineString: "LineString"
        case .multiLineString: "MultiLineString"
        case .polygon: "Polygon"
        case .multiPolygon: "MultiPolygon"
        case .collection: "GeometryCollection"
        }
    }
}

/// An argument that is not a usable geometry: the function answers NaN or `false`.
struct GeoInvalid: Error {}
