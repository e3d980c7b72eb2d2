internal import CLyreZlib
import Foundation

/// gzip of whole files through the system zlib (rotated logs, `logging.rotation.compress`).
public enum Gzip {
    /// Compresses `source` into `destination` (written under a temporary name, then renamed,
    /// so a `.gz` file is always complete), reading 64 KiB at a time.
    /// - Throws: `GzipFailure` when a file cannot be read or written; `destination` is then absent.
    static func compress(file source: String, to destination: String) throws {
        guard let input = FileHandle(forReadingAtPath: source) else { throw GzipFailure(description: "cannot read \(source)") }
        defer { try? input.close() }
        let partial = destination + ".partial"
        guard let output = gzopen(partial, "wb6") else { throw GzipFailure(description: "cannot create \(partial)") }
        var ok = true
        while ok {
            guard let chunk = try? input.read(upToCount: 1 << 16), !chunk.isEmpty else { break }
            ok = chunk.withUnsafeBytes { bytes in
                gzwrite(output, bytes.baseAddress, UInt32(bytes.count)) == Int32(bytes.count)
            }
        }
        ok = gzclose(output) == Z_OK && ok
        guard ok, rename(partial, destination) == 0 else {
            unlink(partial)
            throw GzipFailure(description: "cannot write \(destination)")
        }
    }

    /// The bytes of a gzip file (tests and tools).
    /// - Throws: `GzipFailure` when the file cannot be read or is not gzip.
    public static func decompress(file path: String) throws -> [UInt8] {
        guard let input = gzopen(path, "rb") else { throw GzipFailure(description: "cannot read \(path)") }
        defer { gzclose(input) }
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { gzread(input, $0.baseAddress, UInt32($0.count)) }
            guard n >= 0 else { throw GzipFailure(description: "\(path) is not gzip") }
            if n == 0 { return all }
            all += buffer[..<Int(n)]
        }
    }
}

public struct GzipFailure: Error, Sendable, CustomStringConvertible {
    public var description: String
}
