import LyreCore
import LyreSQL
import Testing

private func geo(_ name: String, _ args: Value...) throws -> Value {
    try GeoFunctions.call(name, args, parseJSON: TestJSON.parse)
}

/// Harper's digits exactly (turf.js on Node's V8 math, `JSMath`).
private func expectClose(_ value: Value, _ expected: Double, sourceLocation: SourceLocation = #_sourceLocation) {
    guard case .double(let d) = value else {
        Issue.record("expected a number, got \(value)", sourceLocation: sourceLocation)
        return
    }
    #expect(d == expected, "\(d) vs \(expected)", sourceLocation: sourceLocation)
}

private func expectNaN(_ value: Value, sourceLocation: SourceLocation = #_sourceLocation) {
    guard case .double(let d) = value, d.isNaN else {
        Issue.record("expected NaN, got \(value)", sourceLocation: sourceLocation)
        return
    }
}

private let unitSquare: Value = #"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#
private let line001: Value = #"{"type":"LineString","coordinates":[[0,0],[0,1],[1,1]]}"#

@Suite struct GeoAreaTests {
    @Test func squareAtTheOrigin() throws {
        expectClose(try geo("geoarea", unitSquare), 12391399902.071104)
        expectClose(try geo("geoarea", #"{"type":"Polygon","coordinates":[[[0,0],[0,1],[1,1],[1,0],[0,0]]]}"#), 12391399902.071104)
    }

    @Test func multiPolygon() throws {
        let multi: Value = #"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,3],[2,2]]]]}"#
        expectClose(try geo("geoarea", multi), 24771477332.55872)
    }

    @Test func polygonWithHole() throws {
        let holed: Value = #"{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[0,2],[0,0]],[[0.5,0.5],[1.5,0.5],[1.5,1.5],[0.5,1.5],[0.5,0.5]]]}"#
        expectClose(try geo("geoarea", holed), 37168066122.89969)
    }

    @Test func featureAndParsedObjectGiveTheSameArea() throws {
        let feature = try TestJSON.parse(#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}"#)
        expectClose(try geo("geoarea", feature), 12391399902.071104)
        let collection: Value = .object(JSONObject([("type", Value.string("FeatureCollection")), ("features", Value.array([feature, feature]))]))
        expectClose(try geo("geoarea", collection), 2 * 12391399902.071104)
    }

    @Test func pointsAndLinesHaveNoArea() throws {
        #expect(try geo("geoarea", #"{"type":"Point","coordinates":[1,2]}"#) == .double(0))
        #expect(try geo("geoarea", line001) == .double(0))
    }

    @Test(arguments: [Value.null, "[1,2]", "not geo", "{bad json}", 5, #"{"type":"Circle","coordinates":[]}"#])
    func invalidInputIsNaN(_ input: Value) throws {
        expectNaN(try geo("geoarea", input))
    }

    @Test func missingArgumentIsNaN() throws {
        expectNaN(try GeoFunctions.call("geoarea", [], parseJSON: TestJSON.parse))
    }
}

@Suite struct GeoLengthTests {
    @Test func meridianDegree() throws {
        expectClose(try geo("geolength", #"{"type":"LineString","coordinates":[[0,0],[0,1]]}"#), 111.1950802335329)
    }

    static let units: [(String, Double)] = [
        ("kilometers", 222.3732244879406), ("miles", 138.176315621732), ("meters", 222373.2244879406),
        ("feet", 729570.9698290152), ("nauticalmiles", 120.07193546865044), ("degrees", 1.9975138063143105),
        ("radians", 0.034903926751433875),
    ]

    @Test(arguments: units)
    func everyUnitOfTheSpec(_ unit: String, _ expected: Double) throws {
        expectClose(try geo("geolength", line001, .string(unit)), expected)
    }

    @Test func defaultUnitIsKilometers() throws {
        expectClose(try geo("geolength", line001), 222.3732244879406)
        expectClose(try geo("geolength", line001, .null), 222.3732244879406)
    }

    /// turf's figures for each unit (its length sums each segment's radians times the unit's
    /// factor, so these are not the radian total times the factor to the last bit).
    @Test(arguments: [
        ("kilometres", 222.3732244879406), ("metres", 222373.2244879406), ("centimeters", 22237322.448794063),
        ("centimetres", 22237322.448794063), ("millimeters", 222373224.4879406), ("millimetres", 222373224.4879406),
        ("inches", 8754833.84809022), ("yards", 243187.35830001184),
    ])
    func otherUnitsScaleFromRadians(_ unit: String, _ expected: Double) throws {
        expectClose(try geo("geolength", line001, .string(unit)), expected)
    }

    @Test func unknownUnitIsNaN() throws {
        expectNaN(try geo("geolength", line001, "furlongs"))
        expectNaN(try geo("geolength", line001, "Miles"))
    }

    @Test func polygonRingsIncludeTheClosingSegment() throws {
        let perimeter = try geo("geolength", unitSquare)
        let sides = try geo("geolength", #"{"type":"LineString","coordinates":[[0,0],[1,0],[1,1],[0,1],[0,0]]}"#)
        #expect(perimeter == sides)
    }

    @Test func pointHasZeroLength() throws {
        #expect(try geo("geolength", #"{"type":"Point","coordinates":[1,2]}"#) == .double(0))
        expectNaN(try geo("geolength", .null))
    }
}

@Suite struct GeoDistanceTests {
    @Test func originToOneOne() throws {
        expectClose(try geo("geodistance", "[0,0]", "[1,1]"), 157.2495984740402)
    }

    static let parisLondon: [(String, Double)] = [
        ("kilometers", 343.53033999857143), ("miles", 213.45985693460904), ("meters", 343530.33999857143),
        ("degrees", 3.085832831785955), ("radians", 0.05392087042770549),
    ]

    @Test(arguments: parisLondon)
    func parisToLondon(_ unit: String, _ expected: Double) throws {
        expectClose(try geo("geodistance", "[2.3522,48.8566]", "[-0.1276,51.5072]", .string(unit)), expected)
    }

    @Test func pointGeometriesAndFeaturesAreAccepted() throws {
        let feature: Value = #"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,1]}}"#
        expectClose(try geo("geodistance", #"{"type":"Point","coordinates":[0,0]}"#, feature), 157.2495984740402)
        expectClose(try geo("geodistance", [0, 0], [1, 1]), 157.2495984740402)
    }

    @Test func antimeridianAndPoles() throws {
        // Across the antimeridian the short way: 2° of longitude on the equator.
        // (2π/180 · R/111325 = 1.9976659372743393 is the exact figure; turf's haversine gives this.)
        expectClose(try geo("geodistance", "[179,0]", "[-179,0]", "degrees"), 1.9976659372743308)
        // Pole to pole is half a great circle whatever the longitudes.
        expectClose(try geo("geodistance", "[0,90]", "[123,-90]", "radians"), Double.pi)
        // Two longitudes at the pole are the same place (up to cos(π/2) ≠ 0 in doubles).
        let atPole = try geo("geodistance", "[10,90]", "[-170,90]", "kilometers")
        #expect((atPole.doubleValue ?? 1) < 1e-9)
    }

    @Test(arguments: [Value.null, "[1]", "x", #"{"type":"LineString","coordinates":[[0,0],[1,1]]}"#])
    func invalidPointsAreNaN(_ p: Value) throws {
        expectNaN(try geo("geodistance", p, "[1,1]"))
        expectNaN(try geo("geodistance", "[1,1]", p))
    }

    @Test func unknownUnitIsNaN() throws {
        expectNaN(try geo("geodistance", "[0,0]", "[1,1]", "furlongs"))
    }
}

@Suite struct GeoNearTests {
    @Test func spec() throws {
        #expect(try geo("geonear", "[2.3522,48.8566]", "[-0.1276,51.5072]", 400) == true)
        #expect(try geo("geonear", "[2.3522,48.8566]", "[-0.1276,51.5072]", 300, "miles") == true)
        #expect(try geo("geonear", "[2.3522,48.8566]", "[-0.1276,51.5072]", 200, "miles") == false)
        #expect(try geo("geonear", "[2.3522,48.8566]", "[-0.1276,51.5072]", "400") == true)
    }

    @Test func missingPointsAreFalse() throws {
        #expect(try geo("geonear", .null, "[0,0]", 1) == false)
        #expect(try geo("geonear", "[0,0]", .null, 1) == false)
        #expect(try geo("geonear", "[0,0]", "[0,0]", 1, "furlongs") == false)
    }

    @Test func distanceErrorsAreGeneric500() {
        for (distance, text) in [(Value.null, "distance is required"), ("far", "distance must be a number")] {
            do {
                _ = try geo("geonear", "[0,0]", "[1,1]", distance)
                Issue.record("expected an error")
            } catch let error as LyreError {
                #expect(error.status == 400)
                #expect((error.underlying as? GeoError)?.message == text)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}

@Suite struct GeoContainsTests {
    static let box: Value = #"{"type":"Polygon","coordinates":[[[-1,-1],[3,-1],[3,52],[-1,52],[-1,-1]]]}"#

    @Test func spec() throws {
        #expect(try geo("geocontains", Self.box, #"{"type":"Point","coordinates":[2.3522,48.8566]}"#) == true)
        #expect(try geo("geocontains", Self.box, #"{"type":"Point","coordinates":[0,60]}"#) == false)
    }

    @Test func barePositionsAreNotAccepted() throws {
        #expect(try geo("geocontains", Self.box, "[2.3522,48.8566]") == false)
    }

    @Test func boundaryPointIsNotContained() throws {
        #expect(try geo("geocontains", unitSquare, #"{"type":"Point","coordinates":[1,0.5]}"#) == false)
    }

    @Test func holesExcludePoints() throws {
        let holed: Value = #"{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,2],[1,1]]]}"#
        #expect(try geo("geocontains", holed, #"{"type":"Point","coordinates":[1.5,1.5]}"#) == false)
        #expect(try geo("geocontains", holed, #"{"type":"Point","coordinates":[3,3]}"#) == true)
    }

    @Test func otherCombinations() throws {
        #expect(try geo("geocontains", #"{"type":"Point","coordinates":[1,2]}"#, #"{"type":"Point","coordinates":[1,2]}"#) == true)
        #expect(try geo("geocontains", #"{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}"#, #"{"type":"Point","coordinates":[3,4]}"#) == true)
        #expect(try geo("geocontains", #"{"type":"LineString","coordinates":[[0,0],[2,0]]}"#, #"{"type":"Point","coordinates":[1,0]}"#) == true)
        #expect(try geo("geocontains", #"{"type":"LineString","coordinates":[[0,0],[2,0]]}"#, #"{"type":"Point","coordinates":[0,0]}"#) == false)
        #expect(try geo("geocontains", #"{"type":"LineString","coordinates":[[0,0],[4,0]]}"#, #"{"type":"LineString","coordinates":[[1,0],[2,0]]}"#) == true)
        #expect(try geo("geocontains", unitSquare, #"{"type":"LineString","coordinates":[[0.2,0.2],[0.8,0.8]]}"#) == true)
        #expect(try geo("geocontains", GeoContainsTests.box, unitSquare) == true)
        #expect(try geo("geocontains", unitSquare, GeoContainsTests.box) == false)
        #expect(try geo("geocontains", unitSquare, #"{"type":"MultiPoint","coordinates":[[0.5,0.5],[0.2,0.3]]}"#) == true)
        #expect(try geo("geocontains", line001, unitSquare) == false)
        #expect(try geo("geocontains", .null, unitSquare) == false)
    }
}

@Suite struct GeoEqualAndCrossesTests {
    @Test func equalSpec() throws {
        #expect(try geo("geoequal", #"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#,
                        #"{"type":"Polygon","coordinates":[[[1,0],[1,1],[0,0],[1,0]]]}"#) == true)
    }

    @Test func equalRules() throws {
        #expect(try geo("geoequal", #"{"type":"Point","coordinates":[1.0000001,2]}"#, #"{"type":"Point","coordinates":[1,2]}"#) == true)
        #expect(try geo("geoequal", #"{"type":"Point","coordinates":[1.00001,2]}"#, #"{"type":"Point","coordinates":[1,2]}"#) == false)
        #expect(try geo("geoequal", #"{"type":"LineString","coordinates":[[0,0],[1,1],[2,2]]}"#,
                        #"{"type":"LineString","coordinates":[[0,0],[0,0],[2,2]]}"#) == true)
        #expect(try geo("geoequal", #"{"type":"LineString","coordinates":[[0,0],[2,2]]}"#,
                        #"{"type":"LineString","coordinates":[[2,2],[0,0]]}"#) == true)
        #expect(try geo("geoequal", unitSquare, #"{"type":"Point","coordinates":[1,2]}"#) == false)
        let feature: Value = #"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}"#
        #expect(try geo("geoequal", feature, unitSquare) == false)
        #expect(try geo("geoequal", feature, feature) == true)
        #expect(try geo("geoequal", .null, unitSquare) == false)
    }

    @Test func crossesSpec() throws {
        #expect(try geo("geocrosses", #"{"type":"LineString","coordinates":[[-1,0.5],[2,0.5]]}"#, unitSquare) == true)
        #expect(try geo("geocrosses", #"{"type":"Point","coordinates":[5,5]}"#, unitSquare) == false)
    }

    @Test func crossesMeansIntersects() throws {
        #expect(try geo("geocrosses", #"{"type":"Point","coordinates":[1,0.5]}"#, unitSquare) == true)
        #expect(try geo("geocrosses", #"{"type":"Point","coordinates":[0.5,0.5]}"#, unitSquare) == true)
        let far: Value = #"{"type":"Polygon","coordinates":[[[5,5],[6,5],[6,6],[5,6],[5,5]]]}"#
        #expect(try geo("geocrosses", far, unitSquare) == false)
        #expect(try geo("geocrosses", #"{"type":"MultiPolygon","coordinates":[[[[5,5],[6,5],[6,6],[5,6],[5,5]]],[[[0.5,0.5],[2,0.5],[2,2],[0.5,0.5]]]]}"#, unitSquare) == true)
        #expect(try geo("geocrosses", #"{"type":"LineString","coordinates":[[0,2],[2,0]]}"#, #"{"type":"LineString","coordinates":[[0,0],[2,2]]}"#) == true)
        #expect(try geo("geocrosses", #"{"type":"LineString","coordinates":[[0,0],[1,0]]}"#, #"{"type":"LineString","coordinates":[[0,1],[1,1]]}"#) == false)
        #expect(try geo("geocrosses", .null, unitSquare) == false)
    }
}

@Suite struct GeoDifferenceTests {
    @Test func holePunchedKeepsProperties() throws {
        let result = try geo("geodifference",
            #"{"type":"Feature","properties":{"name":"Big"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]]]}}"#,
            #"{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,2],[1,1]]]}"#)
        #expect(result == TestJSON.v(#"{"type":"Feature","properties":{"name":"Big"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[1,2],[2,2],[2,1],[1,1]]]}}"#))
    }

    @Test func splitIntoMultiPolygon() throws {
        let result = try geo("geodifference",
            #"{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,1],[0,1],[0,0]]]}"#,
            #"{"type":"Polygon","coordinates":[[[1,-1],[2,-1],[2,2],[1,2],[1,-1]]]}"#)
        #expect(result == TestJSON.v(#"{"type":"Feature","properties":{},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[2,0],[4,0],[4,1],[2,1],[2,0]]]]}}"#))
    }

    @Test func fullyCoveredIsNull() throws {
        #expect(try geo("geodifference", unitSquare, GeoContainsTests.box) == .null)
        #expect(try geo("geodifference", unitSquare, unitSquare) == .null)
    }

    @Test func clockwiseInputAndDisjointSubtrahend() throws {
        let result = try geo("geodifference",
            #"{"type":"Polygon","coordinates":[[[1,1],[1,0],[0,0],[0,1],[1,1]]]}"#,
            #"{"type":"Polygon","coordinates":[[[5,5],[6,5],[6,6],[5,6],[5,5]]]}"#)
        #expect(result == TestJSON.v(#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}"#))
    }

    @Test func cornerBite() throws {
        let result = try geo("geodifference",
            #"{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[0,2],[0,0]]]}"#,
            #"{"type":"Polygon","coordinates":[[[1,1],[3,1],[3,3],[1,3],[1,1]]]}"#)
        #expect(result == TestJSON.v(#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,1],[1,1],[1,2],[0,2],[0,0]]]}}"#))
    }

    @Test func invalidOrMissingIsNaN() throws {
        expectNaN(try geo("geodifference", .null, unitSquare))
        expectNaN(try geo("geodifference", unitSquare, .null))
        expectNaN(try geo("geodifference", line001, unitSquare))
    }
}

@Suite struct GeoConvertAndCircleTests {
    @Test func spec() throws {
        #expect(try geo("geoconvert", "[1,2]", "point") == TestJSON.v(#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}"#))
        #expect(try geo("geoconvert", "[[0,0],[1,1]]", "lineString") == TestJSON.v(#"{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}}"#))
        let hq = try geo("geoconvert", "[-104.98,39.76]", "point", #"{"name":"HQ"}"#)
        #expect(hq["properties"] == .string(#"{"name":"HQ"}"#))
        #expect(try geo("geoconvert", "[[[0,0],[1,0],[1,1],[0,0]]]", "polygon", ["a": 1])["properties"] == ["a": 1])
    }

    @Test func errorsAreGeneric500WithReason() {
        let cases: [([Value], String)] = [
            ([.null, "point"], "coordinates is required"),
            (["[1,2]"], "geo_type is required"),
            (["[1,2]", "Point"], "geoType of Point is invalid please use one of the following types: point,lineString,multiLineString,multiPoint,multiPolygon,polygon"),
            (["[[0,0],[1,0],[1,1]]", "polygon"], "Each LinearRing of a Polygon must have 4 or more Positions."),
            (["[[[0,0],[1,0],[1,1],[0,2]]]", "polygon"], "First and last Position are not equivalent."),
            (["[1]", "point"], "coordinates must be at least 2 numbers long"),
        ]
        for (args, text) in cases {
            do {
                _ = try GeoFunctions.call("geoconvert", args, parseJSON: TestJSON.parse)
                Issue.record("expected an error for \(args)")
            } catch {
                #expect(error.status == 400)
                #expect((error.underlying as? GeoError)?.message == text)
            }
        }
    }

    @Test func circle() throws {
        let circle = try geo("geocircle", "[0,0]", 1)
        guard case .array(let rings)? = circle["geometry"]?["coordinates"], case .array(let ring) = rings[0] else {
            Issue.record("no ring"); return
        }
        #expect(ring.count == 65)
        #expect(ring.first == ring.last)
        #expect(ring[0] == [0, 0.00899320363724538])
        #expect(ring[1] == [-0.0008814881100936511, 0.008949898903286386])
        #expect(circle["properties"] == .object(JSONObject()))
    }

    @Test func spellings() {
        #expect(GeoFunctions.canonicalName(forSpelling: "geoArea") == "geoarea")
        #expect(GeoFunctions.canonicalName(forSpelling: "GEOAREA") == "geoarea")
        #expect(GeoFunctions.canonicalName(forSpelling: "geoarea") == "geoarea")
        #expect(GeoFunctions.canonicalName(forSpelling: "GeoArea") == nil)
        #expect(GeoFunctions.canonicalName(forSpelling: "upper") == nil)
    }
}
