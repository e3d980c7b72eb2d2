/// The binary encoding of a stored record (a JSON object), designed so that a
/// record can be transcoded to JSON, or have a few attributes picked out, without
/// building a `Value` for the whole record.
///
/// ## Byte layout (format version 1)
///
/// ```
/// record  := 0x01 (version) · varint(entry count) · entry*
/// entry   := varint(key byte count) · key UTF-8 · value
/// value   := 0x00                                  null
///          | 0x01 | 0x02                           false | true
///          | 0x03 · zigzag varint                  int (Int64)
///          | 0x04 · 8 bytes                        double, IEEE bits little-endian
///          | 0x05 · varint(byte count) · UTF-8     string
///          | 0x06 · u32 LE(body bytes) · body      array;  body := varint(count) · value*
///          | 0x07 · u32 LE(body bytes) · body      object; body := varint(count) · entry*
/// ```
///
/// Varints are LEB128 (7 bits a byte, low bits first), always written in their shortest form,
/// except for one escape: a key written `8k 00` (the index `k` as a two-byte varint, which no
/// shortest form ever is) stands for the `k`-th of `wellKnownKeys`, the attribute names every
/// Harper record carries (`__createdtime__`, `__updatedtime__`): 2 bytes instead of 16 each,
/// 28 bytes less for every stored record. Records written before the escape existed never
/// contain it and read as they always did, so nothing migrates (an older Lyre cannot read the
/// escape: docs/compatibility.md). Every value can be skipped without
/// being decoded (strings and containers carry their byte length), so `value(of:in:)`
/// walks the top-level keys comparing bytes and skipping values, and `writeJSON` copies
/// strings straight from the record into the output with JSON escaping.
///
/// Malformed bytes throw `LyreError.internalError` (the cause says where); nothing traps.
public enum RecordCodec {
    /// The first byte of every record.
    public static let formatVersion: UInt8 = 1
    /// Nesting deeper than this is refused when decoding (it cannot come from JSON).
    static let maximumDepth = 1024

    /// Names written as a two-byte escape wherever a key is written (see the layout). Only
    /// ever appended to: an index, once written, means its name forever.
    static let wellKnownKeys = ["__createdtime__", "__updatedtime__"]
    /// Their UTF-8 bytes, for readers that compare and copy keys as bytes (allocated once,
    /// never freed or written).
    nonisolated(unsafe) static let wellKnownKeyBytes: [UnsafeRawBufferPointer] = wellKnownKeys.map { name in
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: name.utf8.count, alignment: 1)
        storage.copyBytes(from: Array(name.utf8))
        return UnsafeRawBufferPointer(storage)
    }

    enum Tag {
        static let null: UInt8 = 0x00
        static let `false`: UInt8 = 0x01
        static let `true`: UInt8 = 0x02
        static let int: UInt8 = 0x03
        static let double: UInt8 = 0x04
        static let string: UInt8 = 0x05
        static let array: UInt8 = 0x06
        static let object: UInt8 = 0x07
    }

    public static func encode(_ record: JSONObject, into output: inout [UInt8]) {
        output.append(formatVersion)
        appendVarint(UInt64(record.count), into: &output)
        for entry in record.entries {
            appendKey(entry.key, into: &output)
            appendValue(entry.value, into: &output)
        }
    }

    public static func encode(_ record: JSONObject) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 + 24 * record.count)
        encode(record, into: &out)
        return out
    }

    /// A record encoded entry by entry, where some values are records already encoded: an
    /// audit entry holds the records a write just stored without encoding them again.
    public struct Builder {
        public private(set) var bytes: [UInt8] = [RecordCodec.formatVersion]

        /// A record of `entryCount` entries (exactly that many must be appended).
        public init(entryCount: Int, capacity: Int = 64) {
            bytes.reserveCapacity(capacity)
            RecordCodec.appendVarint(UInt64(entryCount), into: &bytes)
        }

        public mutating func append(_ key: String, _ value: Value) {
            RecordCodec.appendKey(key, into: &bytes)
            RecordCodec.appendValue(value, into: &bytes)
        }

        /// Appends `key` with an array of records given as their `encode(_:)` bytes: a
        /// record's bytes after its version byte are an object value's body.
        public mutating func append(_ key: String, encodedRecords: [[UInt8]]) {
            appendKey(key)
            appendArray(ofEncodedRecords: encodedRecords)
        }

        // Nested values built piece by piece (a replication outbox entry: objects whose
        // records are already encoded). A key is followed by exactly one value: `appendValue`,
        // `appendArray(ofEncodedRecords:)`, or a container opened, filled and closed.

        /// An open array or object: its byte length is written when it is closed.
        public struct Container {
            fileprivate let lengthAt: Int
        }

        /// Appends an object entry's key (of this record or of an open object).
        public mutating func appendKey(_ key: String) {
            RecordCodec.appendKey(key, into: &bytes)
        }

        public mutating func appendValue(_ value: Value) {
            RecordCodec.appendValue(value, into: &bytes)
        }

        /// Appends an array value of the records given as their `encode(_:)` bytes.
        public mutating func appendArray(ofEncodedRecords encodedRecords: [[UInt8]]) {
            let array = openArray(count: encodedRecords.count)
            for record in encodedRecords {
                bytes.append(Tag.object)
                let objectAt = RecordCodec.beginBody(into: &bytes)
                bytes.append(contentsOf: record.dropFirst())
                RecordCodec.endBody(objectAt, into: &bytes)
            }
            close(array)
        }

        /// Opens an array value of `count` values (exactly that many must follow).
        public mutating func openArray(count: Int) -> Container {
            bytes.append(Tag.array)
            let container = Container(lengthAt: RecordCodec.beginBody(into: &bytes))
            RecordCodec.appendVarint(UInt64(count), into: &bytes)
            return container
        }

        /// Opens an object value of `count` entries (exactly that many keys and values must follow).
        public mutating func openObject(count: Int) -> Container {
            bytes.append(Tag.object)
            let container = Container(lengthAt: RecordCodec.beginBody(into: &bytes))
            RecordCodec.appendVarint(UInt64(count), into: &bytes)
            return container
        }

        /// Closes the innermost open container.
        public mutating func close(_ container: Container) {
            RecordCodec.endBody(container.lengthAt, into: &bytes)
        }
    }

    /// Decodes a whole record.
    ///
    /// - Throws: `LyreError.internalError` on malformed bytes.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> JSONObject {
        var reader = try RecordReader(record: bytes)
        let count = try reader.count()
        var entries: [JSONObject.Entry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let key = try reader.keyString()
            entries.append(JSONObject.Entry(key: key, value: try reader.value(depth: 0)))
        }
        try reader.expectEnd()
        return JSONObject(entries: entries)
    }

    /// Decodes only the attributes whose UTF-8 names are in `attributes`, in record order;
    /// the other values are skipped without being decoded (a query reading two columns of a
    /// wide record builds two values, not all of them).
    ///
    /// - Throws: `LyreError.internalError` on malformed bytes.
    public static func decode(_ bytes: UnsafeRawBufferPointer, only attributes: [[UInt8]]) throws -> JSONObject {
        var reader = try RecordReader(record: bytes)
        let count = try reader.count()
        var entries: [JSONObject.Entry] = []
        entries.reserveCapacity(Swift.min(count, attributes.count))
        for _ in 0..<count {
            let key = try reader.key()
            if attributes.contains(where: { $0.count == key.count && $0.elementsEqual(key) }) {
                entries.append(JSONObject.Entry(key: String(decoding: key, as: UTF8.self), value: try reader.value(depth: 0)))
            } else {
                try reader.skipValue()
            }
        }
        try reader.expectEnd()
        return JSONObject(entries: entries)
    }

    /// `decode(_:only:)` with names prepared once for many records: a scan that reads every
    /// column of a table of thousands of attributes compared each key with each name.
    ///
    /// - Throws: `LyreError.internalError` on malformed bytes.
    public static func decode(_ bytes: UnsafeRawBufferPointer, only selection: AttributeSelection) throws -> JSONObject {
        var reader = try RecordReader(record: bytes)
        let count = try reader.count()
        var entries: [JSONObject.Entry] = []
        entries.reserveCapacity(Swift.min(count, selection.count))
        for _ in 0..<count {
            let key = try reader.key()
            if selection.contains(key) {
                entries.append(JSONObject.Entry(key: String(decoding: key, as: UTF8.self), value: try reader.value(depth: 0)))
            } else {
                try reader.skipValue()
            }
        }
        try reader.expectEnd()
        return JSONObject(entries: entries)
    }

    /// Attribute names (UTF-8) to pick out of records, sorted once so that each of a record's
    /// keys is found by binary search.
    public struct AttributeSelection: Sendable {
        private let names: [[UInt8]]

        public init(_ names: [[UInt8]]) {
            self.names = names.sorted { $0.lexicographicallyPrecedes($1) }
        }

        public var count: Int { names.count }

        func contains(_ key: UnsafeRawBufferPointer) -> Bool {
            var low = 0, high = names.count
            while low < high {
                let middle = (low + high) / 2
                let order = names[middle].withUnsafeBytes { RecordCodec.compare($0, key) }
                if order == 0 { return true }
                if order < 0 { low = middle + 1 } else { high = middle }
            }
            return false
        }
    }

    public static func decode(_ bytes: [UInt8]) throws -> JSONObject {
        try bytes.withUnsafeBytes { try decode($0) }
    }

    /// The value of one attribute, or `nil` when the record lacks it.
    ///
    /// - Throws: `LyreError.internalError` on malformed bytes.
    public static func value(of attribute: String, in bytes: UnsafeRawBufferPointer) throws -> Value? {
        var reader = try RecordReader(record: bytes)
        var name = attribute
        return try name.withUTF8 { name -> Value? in
            let count = try reader.count()
            for _ in 0..<count {
                if try reader.keyEquals(UnsafeRawBufferPointer(name)) {
                    return try reader.value(depth: 0)
                }
                try reader.skipValue()
            }
            return nil
        }
    }

    /// Writes the record as a JSON object straight from its encoding.
    /// With `attributes`, writes exactly those keys in that order (missing ones as `null`).
    ///
    /// - Throws: `LyreError.internalError` on malformed bytes (`output` may then hold a
    ///   partial object).
    public static func writeJSON(_ bytes: UnsafeRawBufferPointer, attributes: [String]?, into output: inout some JSONOutput) throws {
        // Transcode into a specialized byte array, then hand it over in one write: the
        // per-byte work stays monomorphic whatever the caller's output type is.
        var buffer: [UInt8] = []
        buffer.reserveCapacity(bytes.count + bytes.count / 2 + 16)
        try transcode(bytes, attributes: attributes, into: &buffer)
        buffer.withUnsafeBytes { output.writeBytes($0) }
    }

    /// `writeJSON` into a byte array.
    public static func transcode(_ bytes: UnsafeRawBufferPointer, attributes: [String]?, into output: inout [UInt8]) throws {
        var reader = try RecordReader(record: bytes)
        let count = try reader.count()
        output.append(UInt8(ascii: "{"))
        guard let attributes else {
            for i in 0..<count {
                if i > 0 { output.append(UInt8(ascii: ",")) }
                try reader.transcodeKey(into: &output)
                output.append(UInt8(ascii: ":"))
                try reader.transcodeValue(into: &output, depth: 0)
            }
            // Bytes after the last entry are malformed, as `decode` says (found by fuzzing).
            try reader.expectEnd()
            output.append(UInt8(ascii: "}"))
            return
        }
        if attributes.count > 16 {
            try transcodeMany(&reader, count: count, attributes: attributes, into: &output)
            return
        }
        let entriesStart = reader.position
        for (i, attribute) in attributes.enumerated() {
            if i > 0 { output.append(UInt8(ascii: ",")) }
            JSON.writeString(attribute, into: &output)
            output.append(UInt8(ascii: ":"))
            var name = attribute
            let found = try name.withUTF8 { name -> Bool in
                reader.position = entriesStart
                for _ in 0..<count {
                    if try reader.keyEquals(UnsafeRawBufferPointer(name)) { return true }
                    try reader.skipValue()
                }
                return false
            }
            if found {
                try reader.transcodeValue(into: &output, depth: 0)
            } else {
                JSON.writeNull(into: &output)
            }
        }
        output.append(UInt8(ascii: "}"))
    }

    /// `transcode` of many attributes: the record's keys are read once and sorted, and each
    /// attribute is found by binary search, where the loop above reads the record again for
    /// each (a `get_attributes: ["*"]` of a table of thousands of attributes took minutes).
    private static func transcodeMany(_ reader: inout RecordReader, count: Int, attributes: [String],
                                      into output: inout [UInt8]) throws {
        var keys: [(key: UnsafeRawBufferPointer, value: Int)] = []
        keys.reserveCapacity(count)
        for _ in 0..<count {
            let key = try reader.key()
            keys.append((key, reader.position))
            try reader.skipValue()
        }
        let end = reader.position
        // The first of a repeated key wins, as the linear search does: a stable sort by key.
        let sorted = keys.enumerated().sorted { a, b in
            let order = compare(a.element.key, b.element.key)
            return order != 0 ? order < 0 : a.offset < b.offset
        }.map(\.element)
        for (i, attribute) in attributes.enumerated() {
            if i > 0 { output.append(UInt8(ascii: ",")) }
            JSON.writeString(attribute, into: &output)
            output.append(UInt8(ascii: ":"))
            var name = attribute
            let found = name.withUTF8 { name -> Int? in
                let name = UnsafeRawBufferPointer(name)
                var low = 0, high = sorted.count
                while low < high {
                    let middle = (low + high) / 2
                    if compare(sorted[middle].key, name) < 0 { low = middle + 1 } else { high = middle }
                }
                return low < sorted.count && compare(sorted[low].key, name) == 0 ? sorted[low].value : nil
            }
            if let found {
                reader.position = found
                try reader.transcodeValue(into: &output, depth: 0)
            } else {
                JSON.writeNull(into: &output)
            }
        }
        reader.position = end
        output.append(UInt8(ascii: "}"))
    }

    /// Byte order of two keys (as `lexicographicallyPrecedes` sorts): negative when `a` comes first.
    fileprivate static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let common = Swift.min(a.count, b.count)
        var i = 0
        while i < common {
            if a[i] != b[i] { return Int(a[i]) - Int(b[i]) }
            i += 1
        }
        return a.count - b.count
    }

    // MARK: Encoding

    static func appendVarint(_ value: UInt64, into output: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            output.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        output.append(UInt8(truncatingIfNeeded: v))
    }

    /// An entry's key: the two-byte escape for a well-known name, else the string.
    static func appendKey(_ key: String, into output: inout [UInt8]) {
        var key = key
        let escaped = key.withUTF8 { utf8 -> Bool in
            // Both well-known names are 15 bytes starting with "__"; most keys fail here.
            guard utf8.count == 15, utf8[0] == UInt8(ascii: "_"), utf8[1] == UInt8(ascii: "_") else { return false }
            for (index, name) in wellKnownKeyBytes.enumerated() where name.elementsEqual(utf8) {
                output.append(0x80 | UInt8(index))
                output.append(0)
                return true
            }
            return false
        }
        if !escaped { appendString(key, into: &output) }
    }

    static func appendString(_ string: String, into output: inout [UInt8]) {
        var string = string
        string.withUTF8 { utf8 in
            appendVarint(UInt64(utf8.count), into: &output)
            output.append(contentsOf: utf8)
        }
    }

    static func appendValue(_ value: Value, into output: inout [UInt8]) {
        switch value {
        case .null: output.append(Tag.null)
        case .bool(let b): output.append(b ? Tag.true : Tag.false)
        case .int(let i):
            output.append(Tag.int)
            appendVarint(UInt64(bitPattern: (i << 1) ^ (i >> 63)), into: &output)
        case .double(let d):
            output.append(Tag.double)
            withUnsafeBytes(of: d.bitPattern.littleEndian) { output.append(contentsOf: $0) }
        case .string(let s):
            output.append(Tag.string)
            appendString(s, into: &output)
        case .array(let elements):
            output.append(Tag.array)
            let lengthAt = beginBody(into: &output)
            appendVarint(UInt64(elements.count), into: &output)
            for element in elements { appendValue(element, into: &output) }
            endBody(lengthAt, into: &output)
        case .object(let object):
            output.append(Tag.object)
            let lengthAt = beginBody(into: &output)
            appendVarint(UInt64(object.count), into: &output)
            for entry in object.entries {
                appendKey(entry.key, into: &output)
                appendValue(entry.value, into: &output)
            }
            endBody(lengthAt, into: &output)
        }
    }

    fileprivate static func beginBody(into output: inout [UInt8]) -> Int {
        let at = output.count
        output.append(contentsOf: [0, 0, 0, 0] as [UInt8])
        return at
    }

    fileprivate static func endBody(_ lengthAt: Int, into output: inout [UInt8]) {
        let length = UInt32(truncatingIfNeeded: output.count - lengthAt - 4)
        output[lengthAt] = UInt8(truncatingIfNeeded: length)
        output[lengthAt + 1] = UInt8(truncatingIfNeeded: length >> 8)
        output[lengthAt + 2] = UInt8(truncatingIfNeeded: length >> 16)
        output[lengthAt + 3] = UInt8(truncatingIfNeeded: length >> 24)
    }
}
