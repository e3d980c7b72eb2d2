public import LyreCore

/// The geospatial SQL functions of sql-functions.md §9 (turf.js 6.5 semantics), dispatched
/// by name for the SQL executor.
///
/// ```swift
/// let km = try GeoFunctions.call("geodistance", ["[0,0]", "[1,1]"], parseJSON: { try JSON.parse($0) })
/// // .double(157.2495984740402)
/// ```
///
/// Conventions of the results:
/// * NaN (invalid input, unknown unit, null argument) is returned as `.double(.nan)`; the SQL
///   layer omits the key (sql.md §5.9.4) and treats it as false in comparisons.
/// * Boolean functions answer `.bool(false)` for invalid or missing input.
/// * `geoDifference` returns a Feature, or `.null` when nothing remains.
public enum GeoFunctions {
    /// Lower-cased names of every geo function.
    public static let names: Set<String> = [
        "geoarea", "geolength", "geodifference", "geodistance", "geonear",
        "geocontains", "geoequal", "geocrosses", "geoconvert", "geocircle",
    ]

    private static let camelCase: [String: String] = [
        "geoarea": "geoArea", "geolength": "geoLength", "geodifference": "geoDifference",
        "geodistance": "geoDistance", "geonear": "geoNear", "geocontains": "geoContains",
        "geoequal": "geoEqual", "geocrosses": "geoCrosses", "geoconvert": "geoConvert",
        "geocircle": "geoCircle",
    ]

    /// The lower-cased name when `spelling` names a geo function in one of the accepted
    /// spellings (all lower case, all upper case, or camelCase such as `geoArea`;
    /// sql-functions.md §1.1); `nil` otherwise (`GeoArea` is an unknown function).
    public static func canonicalName(forSpelling spelling: String) -> String? {
        let lower = spelling.lowercased()
        guard names.contains(lower) else { return nil }
        if spelling == lower || spelling == spelling.uppercased() || spelling == camelCase[lower] { return lower }
        return nil
    }

    /// Calls the geo function `lowercasedName` with already evaluated arguments.
    ///
    /// - Parameters:
    ///   - lowercasedName: one of ``names``.
    ///   - args: the argument values in order; `.null` for a null or missing value. Trailing
    ///     optional arguments may be left out.
    ///   - parseJSON: parses a JSON text; used for geometry arguments given as strings that
    ///     start with `{` and end with `}` or start with `[` and end with `]` (a failure keeps
    ///     the string, which is then not a geometry). The executor passes LyreCore's `JSON.parse`.
    /// - Returns: the function's result (see the type's conventions).
    /// - Throws: ``LyreError`` 500 with the generic text (sql-functions.md §9.3) for `geoNear`
    ///   without a usable distance and for `geoConvert` failures; the specific text
    ///   (`distance is required`, `coordinates is required`, …) is the error's `underlying`
    ///   ``GeoError``. Also 500 for an unknown name.
    public static func call(_ lowercasedName: String, _ args: [Value], parseJSON: (String) throws -> Value) throws(LyreError) -> Value {
        func arg(_ i: Int) -> Value { i < args.count ? args[i] : .null }
        func geo(_ i: Int) -> Value { parsed(arg(i), parseJSON) }
        func unit(_ i: Int) -> String? {
            switch arg(i) {
            case .null: "kilometers"
            case .string(let s): s
            default: nil
            }
        }
        let nan = Value.double(.nan)

        switch lowercasedName {
        case "geoarea":
            guard let geometries = try? GeoGeometry.each(geo(0)) else { return nan }
            return .double(GeoMeasure.area(geometries))
        case "geolength":
            guard let geometries = try? GeoGeometry.each(geo(0)), let unit = unit(1),
                  let length = try? GeoMeasure.length(geometries, unit: unit) else { return nan }
            return .double(length)
        case "geodistance":
            return .double(distance(geo(0), geo(1), unit(2)))
        case "geonear":
            if arg(0).isNull || arg(1).isNull { return .bool(false) }
            let limit: Double
            switch arg(2) {
            case .null: throw GeoError("distance is required").lyreError
            case .int, .double: limit = arg(2).doubleValue!
            case .bool(let b): limit = b ? 1 : 0
            case .string(let s):
                guard let d = Double(s.trimmingWhitespace()) ?? (s.trimmingWhitespace().isEmpty ? 0 : nil) else {
                    throw GeoError("distance must be a number").lyreError
                }
                limit = d
            default: throw GeoError("distance must be a number").lyreError
            }
            return .bool(distance(geo(0), geo(1), unit(3)) <= limit)
        case "geocontains":
            guard let g1 = try? GeoGeometry.of(geo(0)), let g2 = try? GeoGeometry.of(geo(1)) else { return .bool(false) }
            return .bool(GeoPredicates.contains(g1, g2))
        case "geoequal":
            return .bool((try? GeoPredicates.equal(geo(0), geo(1))) ?? false)
        case "geocrosses":
            guard let g1 = try? GeoGeometry.each(geo(0)), let g2 = try? GeoGeometry.each(geo(1)) else { return .bool(false) }
            return .bool(!GeoPredicates.disjoint(.collection(g1.compactMap { $0 }), .collection(g2.compactMap { $0 })))
        case "geodifference":
            return difference(geo(0), geo(1))
        case "geoconvert":
            return try convert(geo(0), arg(1), arg(2))
        case "geocircle":
            guard let center = coord(geo(0)), let radius = arg(1).doubleValue, let unit = unit(2),
                  let ring = try? GeoMeasure.circle(center: center, radius: radius, unit: unit) else { return nan }
            var properties: Value = .object(JSONObject())
            if case .string("Feature")? = geo(0)["type"], let p = geo(0)["properties"], case .object = p { properties = p }
            return feature(type: "Polygon", coordinates: .array([.array(ring.map(position))]), properties: properties)
        default:
            throw GeoError("unknown geo function \(lowercasedName)").lyreError
        }
    }

    // MARK: Helpers

    /// A geometry argument: JSON text in a string is parsed (§9.1).
    static func parsed(_ value: Value, _ parseJSON: (String) throws -> Value) -> Value {
        guard case .string(let s) = value, let first = s.first, let last = s.last,
              (first == "{" && last == "}") || (first == "[" && last == "]") else { return value }
        return (try? parseJSON(s)) ?? value
    }

    /// turf `getCoord`: a `[lon, lat]` position, a Point geometry or a Point Feature.
    static func coord(_ value: Value) -> GeoPosition? {
        switch value {
        case .array(let items):
            guard items.count >= 2 else { return nil }
            if case .array = items[0] { return nil }
            if case .array = items[1] { return nil }
            return items.map { $0.doubleValue ?? .nan }
        case .object:
            if case .string("Feature")? = value["type"], let geometry = value["geometry"],
               case .string("Point")? = geometry["type"], let c = geometry["coordinates"] {
                return try? GeoGeometry.position(c)
            }
            if case .string("Point")? = value["type"], let c = value["coordinates"] {
                return try? GeoGeometry.position(c)
            }
            return nil
        default:
            return nil
        }
    }

    private static func distance(_ a: Value, _ b: Value, _ unit: String?) -> Double {
        guard let p1 = coord(a), let p2 = coord(b), let unit,
              let d = try? GeoMeasure.distance(p1, p2, unit: unit) else { return .nan }
        return d
    }

    static func position(_ p: GeoPosition) -> Value {
        .array(p.map(number))
    }

    /// Integral coordinates are written as integers, as JavaScript prints them.
    static func number(_ d: Double) -> Value {
        if d == d.rounded(), abs(d) <= 9_007_199_254_740_992 { return .int(Int64(d)) }
        return .double(d)
    }

    private static func feature(type: String, coordinates: Value, properties: Value) -> Value {
        var geometry = JSONObject()
        geometry.appendUnchecked("type", .string(type))
        geometry.appendUnchecked("coordinates", coordinates)
        var feature = JSONObject()
        feature.appendUnchecked("type", "Feature")
        feature.appendUnchecked("properties", properties)
        feature.appendUnchecked("geometry", .object(geometry))
        return .object(feature)
    }

    private static func polygons(_ value: Value) -> [[[GeoPosition]]]? {
        switch try? GeoGeometry.of(value) {
        case .polygon(let rings)?: [rings]
        case .multiPolygon(let polygons)?: polygons
        default: nil
        }
    }

    private static func difference(_ a: Value, _ b: Value) -> Value {
        guard let polysA = polygons(a), let polysB = polygons(b) else { return .double(.nan) }
        var properties: Value = .object(JSONObject())
        if let p = a["properties"], !p.isNull { properties = p }
        let result = GeoDifference.difference(polysA, polysB)
        let coordinates: (([[GeoPosition]]) -> Value) = { polygon in .array(polygon.map { .array($0.map(position)) }) }
        switch result.count {
        case 0: return .null
        case 1: return feature(type: "Polygon", coordinates: coordinates(result[0]), properties: properties)
        default: return feature(type: "MultiPolygon", coordinates: .array(result.map(coordinates)), properties: properties)
        }
    }

    private static let convertTypes: [(String, String)] = [
        ("point", "Point"), ("lineString", "LineString"), ("multiLineString", "MultiLineString"),
        ("multiPoint", "MultiPoint"), ("multiPolygon", "MultiPolygon"), ("polygon", "Polygon"),
    ]

    private static func convert(_ coordinates: Value, _ type: Value, _ properties: Value) throws(LyreError) -> Value {
        if coordinates.isNull { throw GeoError("coordinates is required").lyreError }
        if type.isNull { throw GeoError("geo_type is required").lyreError }
        guard case .string(let name) = type, let geoType = convertTypes.first(where: { $0.0 == name })?.1 else {
            let text: String
            if case .string(let s) = type { text = s } else { text = "\(type)" }
            throw GeoError("geoType of \(text) is invalid please use one of the following types: \(convertTypes.map(\.0).joined(separator: ","))").lyreError
        }
        switch geoType {
        case "Point":
            guard case .array(let items) = coordinates else { throw GeoError("coordinates must be an Array").lyreError }
            guard items.count >= 2 else { throw GeoError("coordinates must be at least 2 numbers long").lyreError }
            guard items[0].isNumber, items[1].isNumber else { throw GeoError("coordinates must contain numbers").lyreError }
        case "LineString":
            guard case .array(let items) = coordinates, items.count >= 2 else {
                throw GeoError("coordinates must be an array of two or more positions").lyreError
            }
        case "Polygon":
            guard case .array(let rings) = coordinates else { throw GeoError("coordinates must be an Array").lyreError }
            for ring in rings {
                guard case .array(let positions) = ring, positions.count >= 4 else {
                    throw GeoError("Each LinearRing of a Polygon must have 4 or more Positions.").lyreError
                }
                guard case .array(let first) = positions[0], case .array(let last) = positions[positions.count - 1],
                      first.count == last.count, zip(first, last).allSatisfy({ $0.doubleValue != nil && $0.doubleValue == $1.doubleValue }) else {
                    throw GeoError("First and last Position are not equivalent.").lyreError
                }
            }
        default:
            guard case .array = coordinates else { throw GeoError("coordinates must be an Array").lyreError }
        }
        return feature(type: geoType, coordinates: coordinates, properties: properties.isNull ? .object(JSONObject()) : properties)
    }
}

/// The specific reason behind a geo function's generic 500 error (for logs).
public struct GeoError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// sql-functions.md §9.3: Harper surfaces these as error 500 *generic*; they come from
    /// the caller's arguments, so Lyre answers 400 with the same generic text.
    var lyreError: LyreError {
        LyreError(.badRequest, status: 400, LyreError.internalError().message, underlying: self)
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[start...end])
    }
}
