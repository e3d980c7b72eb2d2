internal import CLMDB
package import LyreCore

/// An error returned by an LMDB call, with the call that failed.
package struct LMDBError: Error, Sendable, CustomStringConvertible {
    package let code: Int32
    package let call: String

    package var isMapFull: Bool { code == MDB_MAP_FULL }
    package var isNotFound: Bool { code == MDB_NOTFOUND }

    package var description: String {
        "\(call): \(String(cString: mdb_strerror(code))) (\(code))"
    }
}

/// Converts an LMDB return code into a thrown `LMDBError`.
@inline(__always)
func check(_ rc: Int32, _ call: @autoclosure () -> String) throws {
    if rc != 0 { throw LMDBError(code: rc, call: call()) }
}

extension LyreError {
    /// Wraps a storage failure as the generic 500 with the cause kept for logs.
    package static func storage(_ error: any Error & Sendable) -> LyreError {
        if let lyre = error as? LyreError { return lyre }
        return .internalError(error)
    }
}
