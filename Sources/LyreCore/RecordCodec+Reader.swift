// Reading RecordCodec's format: a bounds-checked cursor that decodes, skips or
// transcodes values. Every read checks its bounds and throws on malformed bytes.

extension RecordCodec {
    struct RecordReader {
        let bytes: UnsafeRawBufferPointer
        var position: Int
        /// The end of the region being read (the record, or a container's body).
        var limit: Int

        /// A reader placed after the version byte of a record.
        init(record bytes: UnsafeRawBufferPointer) throws {
            self.bytes = bytes
            self.position = 0
            self.limit = bytes.count
            guard let version = bytes.first else { throw malformed("empty record") }
            guard version == RecordCodec.formatVersion else { throw malformed("unknown format version \(version)") }
            position = 1
        }

        func malformed(_ what: String) -> LyreError {
            LyreError.internalError(CodecError("malformed record: \(what) at byte \(position)"))
        }

        mutating func expectEnd() throws {
            guard position == limit else { throw malformed("trailing bytes") }
        }

        @inline(__always)
        mutating func byte() throws -> UInt8 {
            guard position < limit else { throw malformed("unexpected end") }
            defer { position &+= 1 }
            return bytes[position]
        }

        mutating func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let b = try byte()
                guard shift < 64 else { throw malformed("varint too long") }
                result |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return result }
                shift += 7
            }
        }

        /// A count or length, checked against the bytes left (every item takes a byte).
        mutating func count() throws -> Int {
            let value = try varint()
            guard value <= UInt64(limit - position) else { throw malformed("count \(value) beyond the data") }
            return Int(value)
        }

        mutating func slice(_ length: Int) throws -> UnsafeRawBufferPointer {
            guard length <= limit - position else { throw malformed("length \(length) beyond the data") }
            defer { position &+= length }
            return UnsafeRawBufferPointer(rebasing: bytes[position..<position + length])
        }

        mutating func string() throws -> String {
            String(decoding: try slice(try count()), as: UTF8.self)
        }

        /// An entry's key as UTF-8 bytes: a well-known name's two-byte escape (`8k 00`, never
        /// a shortest-form varint), else a length and the bytes.
        mutating func key() throws -> UnsafeRawBufferPointer {
            guard position + 1 < limit, bytes[position] >= 0x80, bytes[position + 1] == 0 else {
                return try slice(try count())
            }
            let index = Int(bytes[position] & 0x7F)
            guard index < RecordCodec.wellKnownKeyBytes.count else { throw malformed("unknown well-known key \(index)") }
            position &+= 2
            return RecordCodec.wellKnownKeyBytes[index]
        }

        mutating func keyString() throws -> String {
            String(decoding: try key(), as: UTF8.self)
        }

        mutating func keyEquals(_ name: UnsafeRawBufferPointer) throws -> Bool {
            let key = try key()
            return key.count == name.count && key.elementsEqual(name)
        }

        mutating func bodyLength() throws -> Int {
            var length = 0
            for shift in 0..<4 { length |= Int(try byte()) << (8 * shift) }
            guard length <= limit - position else { throw malformed("container length \(length) beyond the data") }
            return length
        }

        mutating func double() throws -> Double {
            let raw = try slice(8)
            var bits: UInt64 = 0
            for i in (0..<8).reversed() { bits = bits << 8 | UInt64(raw[i]) }
            return Double(bitPattern: bits)
        }

        mutating func int() throws -> Int64 {
            let z = try varint()
            return Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
        }

        /// Runs `body` with the limit narrowed to a container's body, then checks it was consumed.
        mutating func withBody<T>(depth: Int, _ body: (inout RecordReader) throws -> T) throws -> T {
            guard depth < RecordCodec.maximumDepth else { throw malformed("nesting too deep") }
            let length = try bodyLength()
            let outerLimit = limit
            limit = position + length
            let result = try body(&self)
            try expectEnd()
            limit = outerLimit
            return result
        }

        mutating func skipValue() throws {
            switch try byte() {
            case Tag.null, Tag.false, Tag.true: return
            case Tag.int: _ = try varint()
            case Tag.double: _ = try slice(8)
            case Tag.string: _ = try slice(try count())
            case Tag.array, Tag.object: _ = try slice(try bodyLength())
            case let tag: throw malformedTag(tag)
            }
        }

        private mutating func malformedTag(_ tag: UInt8) -> LyreError {
            position -= 1
            return malformed("unknown value tag \(tag)")
        }

        mutating func value(depth: Int) throws -> Value {
            switch try byte() {
            case Tag.null: return .null
            case Tag.false: return .bool(false)
            case Tag.true: return .bool(true)
            case Tag.int: return .int(try int())
            case Tag.double: return .double(try double())
            case Tag.string: return .string(try string())
            case Tag.array:
                return try withBody(depth: depth) { reader in
                    let count = try reader.count()
                    var elements: [Value] = []
                    elements.reserveCapacity(count)
                    for _ in 0..<count { elements.append(try reader.value(depth: depth + 1)) }
                    return .array(elements)
                }
            case Tag.object:
                return try withBody(depth: depth) { reader in
                    let count = try reader.count()
                    var entries: [JSONObject.Entry] = []
                    entries.reserveCapacity(count)
                    for _ in 0..<count {
                        let key = try reader.keyString()
                        entries.append(JSONObject.Entry(key: key, value: try reader.value(depth: depth + 1)))
                    }
                    return .object(JSONObject(entries: entries))
                }
            case let tag: throw malformedTag(tag)
            }
        }

        mutating func transcodeKey(into output: inout [UInt8]) throws {
            JSON.writeString(utf8: try key(), into: &output)
        }

        mutating func transcodeValue(into output: inout [UInt8], depth: Int) throws {
            switch try byte() {
            case Tag.null: JSON.writeNull(into: &output)
            case Tag.false: JSON.writeBool(false, into: &output)
            case Tag.true: JSON.writeBool(true, into: &output)
            case Tag.int: JSON.writeInt(try int(), into: &output)
            case Tag.double: JSON.writeDouble(try double(), into: &output)
            case Tag.string: JSON.writeString(utf8: try slice(try count()), into: &output)
            case Tag.array:
                try withBody(depth: depth) { reader in
                    let count = try reader.count()
                    output.append(UInt8(ascii: "["))
                    for i in 0..<count {
                        if i > 0 { output.append(UInt8(ascii: ",")) }
                        try reader.transcodeValue(into: &output, depth: depth + 1)
                    }
                    output.append(UInt8(ascii: "]"))
                }
            case Tag.object:
                try withBody(depth: depth) { reader in
                    let count = try reader.count()
                    output.append(UInt8(ascii: "{"))
                    for i in 0..<count {
                        if i > 0 { output.append(UInt8(ascii: ",")) }
                        try reader.transcodeKey(into: &output)
                        output.append(UInt8(ascii: ":"))
                        try reader.transcodeValue(into: &output, depth: depth + 1)
                    }
                    output.append(UInt8(ascii: "}"))
                }
            case let tag: throw malformedTag(tag)
            }
        }
    }
}
