// lyre-fuzz: the libFuzzer driver for LyreFuzzing's targets, and a replayer of inputs.
//
// Built for fuzzing by `scripts/fuzz` (`-sanitize=fuzzer -DLYRE_FUZZING`): libFuzzer runs
// the target named by the environment variable LYRE_FUZZ_TARGET. Built normally, it
// replays files through a target: `lyre-fuzz TARGET FILE...`.
//
// Why `lyre_fuzz_main` instead of leaving `main` to libFuzzer: SwiftPM links an executable
// target with `--defsym main=<module>_main` (its entry point is renamed so tests can link
// the module), so without a Swift `@main` the link fails on an undefined `lyre_fuzz_main`.
// Defining that symbol ourselves and calling `LLVMFuzzerRunDriver` (libFuzzer's documented
// entry for programs with their own `main`) works with any SwiftPM version that renames it so.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LyreFuzzing

/// Writes `text` to standard error (through the descriptor: C's `stderr` is a global
/// variable strict concurrency refuses to touch).
func printError(_ text: String) {
    var text = text
    text.withUTF8 { utf8 in _ = write(2, utf8.baseAddress, utf8.count) }
}

#if LYRE_FUZZING

/// libFuzzer's driver: parses libFuzzer's flags from argv and runs `callback` on inputs.
/// Declared with `@_silgen_name` to avoid a C target for one declaration; pointers and an
/// int pass the same way in Swift's and C's calling conventions on the platforms we build.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The target chosen by LYRE_FUZZ_TARGET, read once.
private let selectedTarget: FuzzTarget = {
    let name = getenv("LYRE_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        printError("lyre-fuzz: set LYRE_FUZZ_TARGET to one of: \(names) (got \"\(name)\")\n")
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
func lyreFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selectedTarget.runTrapping(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_cdecl("lyre_fuzz_main")
func lyreFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    _ = selectedTarget
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, lyreFuzzTestOneInput)
}

#else

/// `lyre-fuzz TARGET FILE...`: runs each file through the target, as the fuzzer would, and
/// reports broken invariants (a trap in the code under test still crashes, with its stack).
@main
struct LyreFuzz {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count >= 2 else {
            printError("usage: lyre-fuzz \(names) FILE...\n(a fuzzing build is made by scripts/fuzz)\n")
            exit(2)
        }
        var failures = 0
        for path in arguments.dropFirst() {
            guard let bytes = readFile(path) else {
                printError("lyre-fuzz: cannot read \(path)\n")
                exit(2)
            }
            do {
                try target.run(bytes)
                print("ok   \(path)")
            } catch {
                failures += 1
                print("FAIL \(path): \(error)")
            }
        }
        exit(failures == 0 ? 0 : 1)
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n > 0 { bytes += chunk[..<n] }
            if n < chunk.count { break }
        }
        return ferror(file) == 0 ? bytes : nil
    }
}

#endif
