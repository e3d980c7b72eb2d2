import Foundation
import LyreFuzzing
import Testing

/// Replays the committed fuzzing inputs through the fuzz targets' entry points, so that a
/// regression fails the normal test run: the seed corpora minimized by `scripts/fuzz --merge`
/// (`Fuzz/corpus/TARGET/`) and every input that once crashed or broke an invariant
/// (`Fuzz/regressions/TARGET/`). A broken invariant is reported with its file; a trap in the
/// code under test crashes the test process (replay the file with `lyre-fuzz TARGET FILE`).
@Suite struct CorpusReplayTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func files(_ folder: String, _ target: FuzzTarget) -> [URL] {
        let directory = fuzzDirectory.appendingPathComponent(folder).appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
    }

    static func replay(_ files: [URL], through target: FuzzTarget) throws {
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: file))
            do {
                try target.run(bytes)
            } catch {
                Issue.record("\(target.rawValue) \(file.lastPathComponent): \(error)")
            }
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func seedCorpusReplays(target: FuzzTarget) throws {
        let corpus = Self.files("corpus", target)
        #expect(!corpus.isEmpty, "Fuzz/corpus/\(target.rawValue) is empty")
        try Self.replay(corpus, through: target)
    }

    @Test(arguments: FuzzTarget.allCases)
    func regressionInputsReplay(target: FuzzTarget) throws {
        try Self.replay(Self.files("regressions", target), through: target)
    }
}
