import ArgumentParser
import LyreCore

/// `lyre version`: prints the version and exits.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print Lyre's version.",
        discussion: "Prints the version number alone on one line (Lyre speaks Harper \(LyreVersion.harperCompatibility)'s Operations API)."
    )

    func run() {
        print(LyreVersion.string)
    }
}
