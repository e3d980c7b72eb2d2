import Foundation
import LyreCore
#if canImport(Glibc)
import Glibc
#endif

/// Harper's `storage.compactOnStart` (and `compactOnStartKeepBackup`): before a database
/// opens, its file is rebuilt (`Rebuild`: every DBI put in key order with `MDB_APPEND`, so
/// leaves are full and there are no free pages) into `<name>.mdb.compacting` beside it —
/// LMDB's compacting copy for a file whose main DB holds more than named DBIs —, synced,
/// and renamed over the original — one atomic step, so a crash leaves
/// either the old file or the new one, never neither. With `keepBackup` the original is
/// kept as `<root>/backup/<name>.mdb` (a hard link made before the rename, or a copy on
/// another file system).
package struct StartCompaction: Sendable {
    package var keepBackup: Bool

    package init(keepBackup: Bool) { self.keepBackup = keepBackup }

    /// What one database's compaction did.
    package struct Outcome: Sendable {
        package var bytesBefore: Int
        package var bytesAfter: Int
    }

    /// Compacts the database file at `path` (not open anywhere). - Throws: storage and file
    /// errors; the original file is then left as it was.
    package func compact(path: String, backupDirectory: String) throws -> Outcome {
        let before = Self.fileSize(path)
        let temporary = path + ".compacting"
        unlink(temporary)
        unlink(temporary + "-lock")
        do {
            let environment = try Environment(path: path, durable: true, initialMapSize: Environment.initialMapSize)
            defer { environment.close() }
            // Nothing else has the file open: no writer, no other `mdb_dbi_open`.
            if try Rebuild.openEveryDBI(environment) {
                let snapshot = try Rebuild.snapshot(environment)
                defer { snapshot.abort() }
                try environment.withReadLock {
                    try Rebuild.write(snapshot, to: temporary, mapSize: environment.currentMapSize,
                                      releasePages: { environment.releaseMappedPagesHoldingLock() })
                }
            } else {
                let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw CompactionFailed(path: temporary, reason: String(cString: strerror(errno))) }
                defer { close(fd) }
                try environment.copy(to: fd, compact: true)
                guard fsync(fd) == 0 else { throw CompactionFailed(path: temporary, reason: String(cString: strerror(errno))) }
            }
        } catch {
            unlink(temporary)
            unlink(temporary + "-lock")
            throw error
        }
        unlink(temporary + "-lock")
        if keepBackup {
            do {
                try Self.keepBackup(of: path, in: backupDirectory)
            } catch {
                unlink(temporary)
                throw error
            }
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CompactionFailed(path: path, reason: reason)
        }
        Self.syncDirectory(of: path)
        return Outcome(bytesBefore: before, bytesAfter: Self.fileSize(path))
    }

    /// Keeps the file at `path` as `<directory>/<its name>` (a hard link, or a copy on another
    /// file system), replacing an earlier backup.
    static func keepBackup(of path: String, in directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let backup = directory + "/" + (path as NSString).lastPathComponent
        unlink(backup)
        if link(path, backup) != 0 { try FileManager.default.copyItem(atPath: path, toPath: backup) }
    }

    static func fileSize(_ path: String) -> Int {
        var s = stat()
        return stat(path, &s) == 0 ? Int(s.st_size) : 0
    }

    /// Makes a rename in the file's folder durable.
    static func syncDirectory(of path: String) {
        let fd = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

struct CompactionFailed: Error, Sendable, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "could not compact \(path): \(reason)" }
}
